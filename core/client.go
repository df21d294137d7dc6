package core

import "slices"

// Client, its records of requests and sockets, and the output queue.

type reqState uint8

const (
	reqOutgoing reqState = iota // queued, not yet written
	reqPending                  // written on sock, awaiting its answer
)

// request is one incarnation of a request on the wire. Two ids name it
// and they are never mixed up:
//   - callID is the stable id Start returned: every Output names the
//     request by it, from Start to its final output;
//   - Request.WireID is the "id" of the frames it is sent under. It equals
//     callID unless the driver chose the call id, or the request is a
//     subscription re-sent under a new wire id (see resend); Client.wire
//     finds those, byWire finds any.
//
// A subscription re-sent under a new wire id gets a new incarnation; the
// earlier one is kept in Client.draining while sockets it was stopped on
// may still send frames under its wire id. The fields movingTo,
// seenWhileMoving, stoppedOn and earlier are its part in a
// make-before-break move (see move.go).
type request struct {
	Request       // the frame's fields: WireID, method, path, input, last event id
	callID  int64 // the stable id Start returned, named in every Output
	order   int64 // its first wire id: the order Start saw it in
	state   reqState
	sock    *conn // socket it was sent on
	// movingTo is the socket it was sent again on during a move, until
	// the first answer there confirms the move (confirmMove).
	movingTo *conn
	// seenWhileMoving holds the tracked event ids delivered while it was
	// moving; the new socket's repeats of them are dropped once.
	seenWhileMoving []string
	// repeatsDue holds, when a new move starts before the socket it lives
	// on has repeated all of seenWhileMoving from the move onto it, the ids
	// that socket may still repeat: each is dropped once (see handOff).
	repeatsDue []string
	// stoppedOn holds the old sockets it was stopped on: each may still
	// send frames under its wire id until its "stopped" or the PONG that
	// follows the stop arrives (releaseStoppedOn).
	stoppedOn []*conn
	earlier   []*request // its earlier incarnations, while they drain
	started   bool       // the subscriber has seen "started"
	// noResubscribe: ended with ErrNotResubscribed rather than sent again
	noResubscribe bool
	// authRetried: sent again after an auth refresh (Config.RefreshAuth);
	// UNAUTHORIZED once more goes to its caller.
	authRetried bool
	timeoutMs   int64 // Config.RequestTimeoutMs or Call.TimeoutMs, when armed
	heapAt      int   // 1 + its index in Client.timeouts, 0 when not there
}

// Client is the sans-I/O tRPC WebSocket client: a deterministic state
// machine. Every method takes the current time in milliseconds on the
// driver's monotonic clock; the driver carries out what Poll returns and
// calls Tick at Deadline. A Client is not safe for concurrent use. See the
// package documentation for the order of calls.
type Client struct {
	cfg Config

	lastWire int64 // last wire id sent
	lastSock SocketID
	reqs     table // live requests by callID
	// wire holds, by current wire id, the live requests whose WireID is
	// not their callID (driver-chosen ids, re-sent subscriptions); see
	// byWire.
	wire     table
	outgoing []*request
	// draining holds, by their wire id, earlier incarnations of
	// subscriptions re-sent under a new wire id while sockets they were
	// stopped on may still send frames under the earlier one (see resend).
	draining table
	conns    []*conn

	// The sockets with a role, kept in step with their phase by setPhase
	// (see connPhase): at most one of each.
	next    *conn // connDialing: dialled, to become active once open
	active  *conn // connActive: carries new requests
	retired *conn // connRetired: replaced by active in a move, still open

	state     State
	link      link      // connection wanted, and the retry loop
	auth      authState // Config.RefreshAuth (auth.go)
	retryAt   timer     // retry loop: when to dial next
	connectBy timer     // Config.ConnectTimeoutMs: c.next must be open by then
	lazy      lazyDoor  // lazy close
	timeouts  reqTimers
	stats     counters
	closing   bool  // Close is waiting for in-flight requests
	now       int64 // time of the latest event

	out  []Output
	head int

	// spare holds requests that finished with an answer and are referred
	// to from nowhere any more, for StartCall to reuse (see recycle): a
	// query costs no allocation in the steady state.
	spare []*request
}

// maxSpare bounds Client.spare.
const maxSpare = 64

// newRequest returns a zeroed request: a spare one, or a new one.
func (c *Client) newRequest() *request {
	if n := len(c.spare); n > 0 {
		r := c.spare[n-1]
		c.spare[n-1] = nil
		c.spare = c.spare[:n-1]
		return r
	}
	return new(request)
}

// recycle keeps r for reuse once it has finished and been forgotten, if
// nothing can refer to it any more: no earlier incarnations, no move in
// progress or sockets it was moved from (whose PONG waiters may hold it),
// no timeout. Every caller holds r no longer.
func (c *Client) recycle(r *request) {
	if len(c.spare) >= maxSpare || r.movingTo != nil || r.seenWhileMoving != nil || r.repeatsDue != nil || len(r.stoppedOn) > 0 ||
		len(r.earlier) > 0 || r.heapAt != 0 || r.state != reqPending || c.reqs.get(r.callID) == r {
		return
	}
	*r = request{}
	c.spare = append(c.spare, r)
}

// New returns a client. Unless cfg.Lazy or cfg.Adopt is set it starts
// connecting at once (Poll returns an OutDial).
func New(cfg Config, now int64) *Client {
	if cfg.KeepAliveIntervalMs <= 0 {
		cfg.KeepAliveIntervalMs = DefaultKeepAliveIntervalMs
	}
	if cfg.PongTimeoutMs <= 0 {
		cfg.PongTimeoutMs = DefaultPongTimeoutMs
	}
	c := &Client{
		cfg:   cfg,
		now:   now,
		stats: counters{lastPingRtt: -1},
	}
	switch {
	case cfg.Adopt:
		c.adopt(now)
	case cfg.Lazy:
		c.state = StateIdle
	default:
		c.state = StateConnecting
		c.open(now)
	}
	return c
}

// State returns the current connection state.
func (c *Client) State() State { return c.state }

// Poll returns the next output, or false when there is none.
func (c *Client) Poll() (Output, bool) {
	if c.head >= len(c.out) {
		c.out = c.out[:0]
		c.head = 0
		return Output{}, false
	}
	o := c.out[c.head]
	c.out[c.head] = Output{}
	c.head++
	return o, true
}

// emit queues o for Poll. Not inlined on purpose (issue #25): inlined at its
// dozens of call sites it cost about 7 KB brotli of the shipped module, and a
// call is cheap next to the rest of each step.
//
//go:noinline
func (c *Client) emit(o Output) { c.out = append(c.out, o) }

// note emits an OutNote when Config.Events is set. Not inlined (issue #25):
// about 2 KB brotli over its call sites.
//
//go:noinline
func (c *Client) note(o Output) {
	if c.cfg.Events {
		o.Kind = OutNote
		c.emit(o)
	}
}

// setState enters s and emits an OutState with err. Not inlined (issue #25):
// about 1 KB brotli over its call sites.
//
//go:noinline
func (c *Client) setState(s State, err error) {
	c.state = s
	c.emit(Output{Kind: OutState, State: s, Err: err})
}

// enter starts an entry point: it records the time. Every entry point
// defers settle.
func (c *Client) enter(now int64) { c.now = now }

// settle runs at the end of every entry point, once the event has been
// fully handled: it re-arms a lazy close held back by requests that have
// since ended, and finishes a Close that no longer waits for anything.
func (c *Client) settle() {
	c.lazyIdle()
	c.maybeFinishClose()
}

// byWire finds the live request sent under wire id w.
func (c *Client) byWire(w int64) *request {
	if r := c.wire.get(w); r != nil {
		return r
	}
	if r := c.reqs.get(w); r != nil && r.WireID == w {
		return r
	}
	return nil
}

// track records r as live.
func (c *Client) track(r *request) {
	c.reqs.set(r.callID, r)
	if r.WireID != r.callID {
		c.wire.set(r.WireID, r)
	}
}

// usable reports whether k is open and not closing.
func (c *Client) usable(k *conn) bool { return k != nil && k.phase.open() }

func (c *Client) conn(id SocketID) *conn {
	for _, k := range c.conns {
		if k.id == id {
			return k
		}
	}
	return nil
}

// sortedPending returns the requests in flight, by wire id.
func (c *Client) sortedPending() []*request {
	var rs []*request
	for _, r := range c.reqs.all() {
		if r.state == reqPending {
			rs = append(rs, r)
		}
	}
	sortRequests(rs, func(r *request) int64 { return r.WireID })
	return rs
}

func (c *Client) hasRequestsOn(k *conn) bool {
	for _, r := range c.reqs.all() {
		if r.state == reqPending && (r.sock == k || slices.Contains(r.stoppedOn, k)) {
			return true
		}
	}
	for _, d := range c.draining.all() {
		if slices.Contains(d.stoppedOn, k) {
			return true
		}
	}
	return false
}

func (c *Client) hasPending() bool {
	for _, r := range c.reqs.all() {
		if r.state == reqPending {
			return true
		}
	}
	return false
}

func (c *Client) hasPendingSubs() bool {
	for _, r := range c.reqs.all() {
		if r.state == reqPending && r.Method == Subscription {
			return true
		}
	}
	return false
}

// sortedAll returns every live request, by the order Start saw them.
func (c *Client) sortedAll() []*request {
	rs := make([]*request, 0, c.reqs.len())
	for _, r := range c.reqs.all() {
		rs = append(rs, r)
	}
	sortRequests(rs, func(r *request) int64 { return r.order })
	return rs
}
