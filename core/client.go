package core

import (
	"cmp"
	"slices"
	"strings"
)

// Config holds the options the state machine needs. Zero values give the
// reference client's defaults except where noted.
type Config struct {
	// Lazy opens the socket on the first request and closes it LazyCloseMs
	// after the last activity when nothing is outgoing or pending.
	Lazy        bool
	LazyCloseMs int64
	// KeepAlive sends PING after KeepAliveIntervalMs without an inbound
	// frame and drops the socket if no PONG comes within PongTimeoutMs.
	// Zero durations take the reference defaults (5000 and 1000).
	KeepAlive           bool
	KeepAliveIntervalMs int64
	PongTimeoutMs       int64
	// RetryDelay gives the delay in milliseconds before reconnect attempt
	// number attempt (from 0). Nil means ExponentialBackoff. It must not panic.
	RetryDelay func(attempt int) int64
}

// ExponentialBackoff is the reference client's default retry delay:
// 0 for the first attempt, then min(1000·2^attempt, 30000) milliseconds.
func ExponentialBackoff(attempt int) int64 {
	if attempt <= 0 {
		return 0
	}
	if attempt >= 5 {
		return 30000
	}
	return int64(min(1000<<attempt, 30000))
}

// URLWithConnectionParams returns url with the connectionParams=1 query
// parameter the server expects when connection params are used.
func URLWithConnectionParams(url string) string {
	if strings.Contains(url, "?") {
		return url + "&connectionParams=1"
	}
	return url + "?connectionParams=1"
}

type reqState uint8

const (
	reqOutgoing reqState = iota // queued, not yet written
	reqPending                  // written on sock, awaiting its answer
)

type request struct {
	Request
	key       int64 // the id Start returned; Request.ID is the wire id
	state     reqState
	sock      *conn               // socket it was sent on
	successor *conn               // socket it is moving to (server reconnect)
	overlap   map[string]struct{} // tracked event ids delivered during a move
	movedFrom []*conn             // sockets it was stopped on, awaiting drain
	started   bool                // the subscriber has seen "started"
}

type conn struct {
	id          SocketID
	ready       bool // open, connection params queued first
	closing     bool // asked to close: no new traffic
	ctrl        [][]byte
	wantWrite   bool
	pingAt      int64 // keepAlive: when to send PING (0: not armed)
	pongBy      int64 // keepAlive: PONG deadline (0: none outstanding)
	pongWaiters []*request
	serverErr   error // last id:null error the server sent on it
}

// Client is the sans-I/O tRPC WebSocket client: a deterministic state
// machine. Every method takes the current time in milliseconds on the
// driver's monotonic clock; the driver carries out what Poll returns and
// calls Tick at Deadline. A Client is not safe for concurrent use.
type Client struct {
	cfg Config

	lastID   int64
	lastSock SocketID
	reqs     map[int64]*request // by wire id
	outgoing []*request
	// draining holds, by their earlier wire id, subscriptions re-sent under
	// a new one while sockets they moved from may still send frames under
	// the earlier id (see lost).
	draining map[int64]*request
	conns    []*conn

	active  *conn // serves requests once ready
	next    *conn // being dialled
	retired *conn // replaced by active during a server reconnect, still open

	state          State
	allowReconnect bool
	reconnecting   bool  // a retry loop is running
	retryAt        int64 // when to dial next (-1: no dial scheduled)
	attempt        int   // attempt index of the scheduled or running dial
	fromReconnect  bool  // the running dial belongs to the retry loop
	connAttempt    int   // attempt index that opened the current connection
	rejected       bool  // the server sent an id:null error on the current connection
	replacementErr error
	lazyAt         int64 // lazy close deadline, when lazyArmed
	lazyArmed      bool
	lazyBusy       bool  // lazy close due but requests remain: armed again once they end
	closing        bool  // Close is waiting for in-flight requests
	holdClose      bool  // lost is repairing: a waiting Close finishes after it
	now            int64 // time of the latest event

	out  []Output
	head int
}

// New returns a client. Unless cfg.Lazy is set it starts connecting at once
// (Poll returns an OutDial).
func New(cfg Config, now int64) *Client {
	if cfg.KeepAliveIntervalMs <= 0 {
		cfg.KeepAliveIntervalMs = 5000
	}
	if cfg.PongTimeoutMs <= 0 {
		cfg.PongTimeoutMs = 1000
	}
	if cfg.RetryDelay == nil {
		cfg.RetryDelay = ExponentialBackoff
	}
	c := &Client{cfg: cfg, reqs: make(map[int64]*request), draining: make(map[int64]*request), retryAt: -1, now: now}
	if cfg.Lazy {
		c.state = StateIdle
	} else {
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

func (c *Client) emit(o Output) { c.out = append(c.out, o) }

func (c *Client) setState(s State, err error) {
	c.state = s
	c.emit(Output{Kind: OutState, State: s, Err: err})
}

// Start queues a request and returns its id. For a subscription, a non-nil
// lastEventID resumes after that event.
func (c *Client) Start(now int64, m Method, path string, input []byte, lastEventID *string) int64 {
	c.now = now
	c.lastID++
	r := &request{Request: Request{ID: c.lastID, Method: m, Path: path, Input: input}, key: c.lastID}
	if lastEventID != nil {
		r.LastEventID, r.HasLastEventID = *lastEventID, true
	}
	c.reqs[r.ID] = r
	c.resetLazy(now)
	c.enqueue(now, r)
	return r.ID
}

// enqueue puts r on the outgoing queue and makes sure a socket will carry it.
func (c *Client) enqueue(now int64, r *request) {
	r.state = reqOutgoing
	r.sock, r.successor, r.overlap, r.movedFrom = nil, nil, nil, nil
	c.outgoing = append(c.outgoing, r)
	if c.closing {
		// Close is waiting for the requests in flight: this one goes out
		// on a new socket once it has finished (see maybeFinishClose).
		return
	}
	if c.usable(c.active) {
		c.wantWrite(c.active)
	} else {
		c.open(now)
	}
}

// usable reports whether k is open and not closing.
func (c *Client) usable(k *conn) bool { return k != nil && k.ready && !k.closing }

// Cancel abandons request id: a queued request is dropped unsent; a pending
// one is forgotten (a late answer is ignored); a subscription is stopped on
// the server. Nothing is delivered for id afterwards.
func (c *Client) Cancel(now int64, id int64) {
	c.now = now
	r := c.lookup(id)
	if r == nil {
		return
	}
	delete(c.reqs, r.ID)
	if r.state == reqOutgoing {
		c.outgoing = slices.DeleteFunc(c.outgoing, func(o *request) bool { return o == r })
		c.forgetDraining(r.key)
		c.lazyIdle()
		return
	}
	if r.Method == Subscription {
		c.sendStop(r.ID, r.sock)
		c.sendStop(r.ID, r.successor)
	}
	c.closeIfDrained(r.sock)
	for _, k := range r.movedFrom {
		c.closeIfDrained(k)
	}
	c.forgetDraining(r.key)
	c.lazyIdle()
	c.maybeFinishClose()
}

// lookup finds a request by the id Start returned. It is also its wire id
// unless the request was re-sent under a new one.
func (c *Client) lookup(key int64) *request {
	if r := c.reqs[key]; r != nil && r.key == key {
		return r
	}
	for _, r := range c.reqs {
		if r.key == key {
			return r
		}
	}
	return nil
}

// forgetDraining drops the earlier wire ids of the subscription key, and
// closes the sockets they kept open if nothing else is left on them.
func (c *Client) forgetDraining(key int64) {
	var ids []int64
	for id, d := range c.draining {
		if d.key == key {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids) // deterministic output order
	for _, id := range ids {
		d := c.draining[id]
		delete(c.draining, id)
		for _, k := range d.movedFrom {
			c.closeIfDrained(k)
		}
	}
}

func (c *Client) sendStop(id int64, k *conn) bool {
	if !c.usable(k) {
		return false
	}
	c.queueFrame(k, AppendStop(nil, id))
	return true
}

func (c *Client) queueFrame(k *conn, frame []byte) {
	k.ctrl = append(k.ctrl, frame)
	c.wantWrite(k)
}

func (c *Client) wantWrite(k *conn) {
	if !k.wantWrite {
		k.wantWrite = true
		c.emit(Output{Kind: OutWrite, Sock: k.id})
	}
}

// PollTransmit returns the next frame to write on sock, or false when there
// is nothing more. Queued requests leave together, as one array frame when
// there are several: call it when the writer is free, not on a timer.
func (c *Client) PollTransmit(sock SocketID) ([]byte, bool) {
	k := c.conn(sock)
	if k == nil {
		return nil, false
	}
	if len(k.ctrl) > 0 {
		f := k.ctrl[0]
		k.ctrl[0] = nil
		k.ctrl = k.ctrl[1:]
		return f, true
	}
	if k == c.active && c.usable(k) && !c.closing && len(c.outgoing) > 0 {
		return c.flush(k), true
	}
	k.wantWrite = false
	return nil, false
}

// flush encodes every outgoing request into one frame for k.
func (c *Client) flush(k *conn) []byte {
	batch := c.outgoing
	var f []byte
	if len(batch) == 1 {
		f = AppendRequest(make([]byte, 0, 64+len(batch[0].Input)), &batch[0].Request)
	} else {
		f = append(f, '[')
		for i, r := range batch {
			if i > 0 {
				f = append(f, ',')
			}
			f = AppendRequest(f, &r.Request)
		}
		f = append(f, ']')
	}
	for i, r := range batch {
		r.state = reqPending
		r.sock = k
		batch[i] = nil
	}
	c.outgoing = batch[:0]
	return f
}

func (c *Client) conn(id SocketID) *conn {
	for _, k := range c.conns {
		if k.id == id {
			return k
		}
	}
	return nil
}

// open starts connecting when no socket serves requests or is being opened.
func (c *Client) open(now int64) {
	c.allowReconnect = true
	if c.reconnecting || c.next != nil || c.usable(c.active) {
		return
	}
	c.connAttempt = 0
	if c.state == StateIdle {
		c.setState(StateConnecting, nil)
	}
	c.fromReconnect = false
	c.dial()
}

func (c *Client) dial() {
	c.lastSock++
	k := &conn{id: c.lastSock}
	c.conns = append(c.conns, k)
	c.next = k
	c.rejected = false
	c.emit(Output{Kind: OutDial, Sock: k.id})
}

// reconnect starts the retry loop; closedErr is why the active socket was
// lost, or nil when it is still open (a server-requested reconnect).
func (c *Client) reconnect(now int64, closedErr error) {
	if !c.allowReconnect {
		return
	}
	if closedErr != nil {
		err := closedErr
		if c.replacementErr != nil {
			err = c.replacementErr
		}
		c.replacementErr = nil
		c.setState(StateConnecting, err)
	}
	if c.reconnecting {
		return
	}
	c.reconnecting = true
	attempt := 0
	if c.rejected {
		attempt = c.connAttempt + 1
	}
	c.scheduleDial(now, attempt)
}

func (c *Client) scheduleDial(now int64, attempt int) {
	c.attempt = attempt
	c.retryAt = now + max(c.cfg.RetryDelay(attempt), 0)
	if c.retryAt <= now {
		c.retryAt = -1
		c.fromReconnect = true
		c.dial()
	}
}

// Opened reports that socket sock is open. If params is non-nil it is the
// raw JSON of the resolved connection params (a record or null) and is sent
// before anything else.
func (c *Client) Opened(now int64, sock SocketID, params []byte) {
	c.now = now
	k := c.conn(sock)
	if k == nil || k.closing {
		return
	}
	k.ready = true
	if params != nil {
		k.ctrl = append(k.ctrl, AppendConnectionParams(nil, params))
		c.wantWrite(k)
	}
	if c.cfg.KeepAlive {
		k.pingAt = now + c.cfg.KeepAliveIntervalMs
	}
	if c.cfg.Lazy {
		c.lazyAt, c.lazyArmed, c.lazyBusy = now+c.cfg.LazyCloseMs, true, false
	}
	if k != c.next {
		return
	}
	c.next = nil
	if !c.allowReconnect {
		c.closeConn(k, 1000)
		return
	}
	previous := c.active
	c.active = k
	c.retired = nil
	if c.usable(previous) {
		c.retired = previous
	}
	if c.fromReconnect {
		c.connAttempt = c.attempt
	}
	c.reconnecting = false
	c.replacementErr = nil
	c.handOff(previous)
	if len(c.outgoing) > 0 {
		c.wantWrite(k)
	}
}

// handOff moves live subscriptions to the newly active socket.
func (c *Client) handOff(previous *conn) {
	if c.state != StatePending {
		c.setState(StatePending, nil)
	}
	k := c.active
	var subs []*request
	for _, r := range c.sortedPending() {
		if r.Method == Subscription && r.sock != k {
			subs = append(subs, r)
		}
	}
	if len(subs) > 0 {
		var f []byte
		if len(subs) > 1 {
			f = append(f, '[')
		}
		for i, r := range subs {
			if i > 0 {
				f = append(f, ',')
			}
			f = AppendRequest(f, &r.Request)
		}
		if len(subs) > 1 {
			f = append(f, ']')
		}
		c.queueFrame(k, f)
		for _, r := range subs {
			if r.successor != k {
				c.sendStop(r.ID, r.successor)
			}
			if c.usable(r.sock) {
				r.successor = k
				r.overlap = make(map[string]struct{})
			} else {
				r.started = false
				r.sock = k
				r.successor = nil
			}
		}
	}
	c.closeIfDrained(previous)
}

func (c *Client) sortedPending() []*request {
	var rs []*request
	for _, r := range c.reqs {
		if r.state == reqPending {
			rs = append(rs, r)
		}
	}
	slices.SortFunc(rs, func(a, b *request) int { return int(a.ID - b.ID) })
	return rs
}

func (c *Client) hasRequestsOn(k *conn) bool {
	for _, r := range c.reqs {
		if r.state == reqPending && (r.sock == k || slices.Contains(r.movedFrom, k)) {
			return true
		}
	}
	for _, d := range c.draining {
		if slices.Contains(d.movedFrom, k) {
			return true
		}
	}
	return false
}

// closeIfDrained closes k once it was replaced and nothing is left on it. A
// subscription moved off k keeps it open until its "stopped" or the PONG
// that follows its stop arrives (see confirmMove), whichever comes first.
func (c *Client) closeIfDrained(k *conn) {
	if k == nil || k == c.active || k == c.next || k.closing || c.hasRequestsOn(k) {
		return
	}
	c.closeConn(k, 1000)
}

// closeConn asks the driver to close k. Frames already queued on k (e.g. the
// subscription.stop frames of Close or Cancel) are kept: the OutWrite that
// announced them comes before the OutCloseSocket, so they leave first, as
// the reference's ws.send before ws.close. Nothing new is queued on k.
func (c *Client) closeConn(k *conn, code int) {
	k.closing = true
	if c.retired == k {
		c.retired = nil
	}
	c.emit(Output{Kind: OutCloseSocket, Sock: k.id, Code: code})
}

// Message reports an inbound text frame on sock.
func (c *Client) Message(now int64, sock SocketID, frame []byte) {
	c.now = now
	k := c.conn(sock)
	if k == nil {
		return
	}
	c.resetLazy(now)
	if c.cfg.KeepAlive && k.ready {
		k.pingAt = now + c.cfg.KeepAliveIntervalMs
	}
	if len(frame) == 4 {
		switch string(frame) {
		case "PING":
			if !k.closing {
				c.queueFrame(k, Pong)
			}
			return
		case "PONG":
			k.pongBy = 0
			if len(k.pongWaiters) > 0 {
				r := k.pongWaiters[0]
				k.pongWaiters = k.pongWaiters[1:]
				if r != nil {
					c.releaseMovedFrom(r, k)
				}
			}
			return
		}
	}
	resp, err := Decode(frame)
	if err != nil {
		c.emit(Output{Kind: OutFrameError, Sock: sock, Err: err})
		return
	}
	if resp.Method != "" {
		if k == c.active && resp.Method == "reconnect" {
			c.reconnect(now, nil)
		}
		return
	}
	current := k == c.active || k == c.next
	if !resp.HasID {
		if resp.Error != nil {
			k.serverErr = ParseError(slices.Clone(resp.Error)) // kept past this call: no slice of the frame
			if current {
				c.rejected = true
			}
		}
		return
	}
	if current && resp.Type != ResultNone {
		c.rejected = false
	}
	c.handleResponse(&resp, k)
}

func (c *Client) handleResponse(resp *Response, k *conn) {
	r := c.reqs[resp.ID]
	if r == nil {
		// A subscription re-sent under a new id may still drain old sockets
		// under its earlier one.
		r = c.draining[resp.ID]
	}
	if r == nil || r.state != reqPending {
		return
	}
	if r.successor == k {
		c.confirmMove(r)
	} else if r.sock != k {
		if slices.Contains(r.movedFrom, k) {
			switch {
			case resp.Type == ResultStopped:
				c.releaseMovedFrom(r, k)
			case resp.Type == ResultData && !resp.HasEventID:
				c.emit(Output{Kind: OutEvent, ID: r.key, Data: resp.Data})
			}
		}
		return
	}
	if resp.Type == ResultStarted && r.started {
		return
	}
	if resp.Type == ResultData && resp.HasEventID && r.Method == Subscription {
		if r.successor != nil {
			r.overlap[resp.EventID] = struct{}{}
		} else if _, dup := r.overlap[resp.EventID]; dup {
			delete(r.overlap, resp.EventID)
			return
		}
	}
	switch {
	case resp.Error != nil:
		c.finish(r, Output{Kind: OutError, ID: r.key, Err: ParseError(resp.Error)})
	case r.Method != Subscription:
		c.finish(r, Output{Kind: OutResult, ID: r.key, Data: resp.Data})
	case resp.Type == ResultStarted:
		r.started = true
		c.emit(Output{Kind: OutStarted, ID: r.key})
	case resp.Type == ResultData:
		r.LastEventID, r.HasLastEventID = resp.EventID, resp.HasEventID
		c.emit(Output{Kind: OutEvent, ID: r.key, Data: resp.Data, EventID: resp.EventID, HasEventID: resp.HasEventID})
	case resp.Type == ResultStopped:
		c.finish(r, Output{Kind: OutComplete, ID: r.key})
	}
}

// finish delivers r's last output and forgets it.
func (c *Client) finish(r *request, o Output) {
	delete(c.reqs, r.ID)
	c.emit(o)
	if r.sock != c.active {
		c.closeIfDrained(r.sock)
	}
	for _, k := range r.movedFrom {
		c.closeIfDrained(k)
	}
	c.forgetDraining(r.key)
	c.lazyIdle()
	c.maybeFinishClose()
}

// confirmMove completes a subscription's move to its successor socket: it
// is stopped on the old one, which is pinged so that everything it sent
// before the stop has arrived when the PONG does.
func (c *Client) confirmMove(r *request) {
	prev := r.sock
	r.sock, r.successor = r.successor, nil
	if prev != nil && c.sendStop(r.ID, prev) {
		r.movedFrom = append(r.movedFrom, prev)
		prev.pongWaiters = append(prev.pongWaiters, r)
		c.queueFrame(prev, Ping)
	}
	c.closeIfDrained(prev)
}

func (c *Client) releaseMovedFrom(r *request, k *conn) {
	i := slices.Index(r.movedFrom, k)
	if i < 0 {
		return
	}
	r.movedFrom = slices.Delete(r.movedFrom, i, i+1)
	if len(r.movedFrom) == 0 && c.draining[r.ID] == r {
		delete(c.draining, r.ID)
	}
	c.closeIfDrained(k)
}

// Closed reports that socket sock closed (or failed to open) with the
// WebSocket close code (0 when none) and an optional cause.
func (c *Client) Closed(now int64, sock SocketID, code int, cause error) {
	c.now = now
	k := c.conn(sock)
	if k == nil {
		return
	}
	c.lost(now, k, code, cause)
}

// lost forgets socket k and repairs everything that used it. A Close that
// was waiting for the requests k fails finishes only once the repair is
// done: finishing it halfway would reconnect (for requests made during the
// Close) while the rest of lost still acts on the old state.
func (c *Client) lost(now int64, k *conn, code int, cause error) {
	c.holdClose = true
	c.repair(now, k, code, cause)
	c.holdClose = false
	c.maybeFinishClose()
}

func (c *Client) repair(now int64, k *conn, code int, cause error) {
	c.conns = slices.DeleteFunc(c.conns, func(o *conn) bool { return o == k })
	wasReady, wasClosing := k.ready, k.closing
	k.ready, k.closing = false, true
	if k.serverErr != nil {
		cause = k.serverErr
	}
	closedErr := &ClosedError{Message: "WebSocket closed", Code: code, Cause: cause}

	if k == c.next {
		c.next = nil
		if !wasReady && !wasClosing {
			c.attemptFailed(now, cause)
		}
		c.maybeFinishClose()
		return
	}
	if k == c.retired {
		c.retired = nil
	}
	restored := false
	if k == c.active {
		c.active = nil
		if c.usable(c.retired) {
			restored = true
			c.active, c.retired = c.retired, nil
			c.replacementErr = closedErr
		}
	}
	for id, d := range c.draining {
		d.movedFrom = slices.DeleteFunc(d.movedFrom, func(o *conn) bool { return o == k })
		if len(d.movedFrom) == 0 {
			delete(c.draining, id)
		}
	}
	var lostSubs []*request
	for _, r := range c.sortedPending() {
		if r.successor == k {
			r.successor, r.overlap = nil, nil
		}
		if i := slices.Index(r.movedFrom, k); i >= 0 {
			r.movedFrom = slices.Delete(r.movedFrom, i, i+1)
		}
		if r.sock != k {
			continue
		}
		if r.Method != Subscription {
			c.finish(r, Output{Kind: OutError, ID: r.key, Err: closedErr})
			continue
		}
		if r.successor != nil {
			r.sock, r.successor = r.successor, nil
			continue
		}
		lostSubs = append(lostSubs, r)
	}
	if k == c.active || c.active == nil && !restored {
		// The active socket itself was lost: its subscriptions wait for the
		// next socket, which handOff re-sends them on.
		if c.active == nil && !wasClosing && (!c.cfg.Lazy || c.hasPendingSubs()) {
			c.reconnect(now, closedErr)
		}
		c.maybeFinishClose()
		return
	}
	for _, r := range lostSubs {
		// Sent again under a new id: the active socket may still have the
		// old one (e.g. while stopping it), and the server refuses a
		// duplicate. The old id keeps draining the sockets r moved from.
		delete(c.reqs, r.ID)
		if len(r.movedFrom) > 0 {
			c.draining[r.ID] = r
		}
		n := &request{Request: r.Request, key: r.key}
		c.lastID++
		n.ID = c.lastID
		c.reqs[n.ID] = n
		c.enqueue(now, n)
	}
	if restored {
		c.reconnect(now, nil)
	}
	c.maybeFinishClose()
}

func (c *Client) hasPendingSubs() bool {
	for _, r := range c.reqs {
		if r.state == reqPending && r.Method == Subscription {
			return true
		}
	}
	return false
}

// attemptFailed handles a dial that failed before the socket was ready.
func (c *Client) attemptFailed(now int64, cause error) {
	err := &ClosedError{Message: "Initialization error", Cause: cause}
	if !c.allowReconnect {
		c.reconnecting = false
		return
	}
	if !c.fromReconnect {
		// The first attempt of open(): start the retry loop.
		c.reconnect(now, err)
		return
	}
	if c.usable(c.active) {
		c.replacementErr = err
	} else {
		c.setState(StateConnecting, err)
	}
	c.scheduleDial(now, c.attempt+1)
}

// Deadline returns when the core next needs Tick, or false when no timer
// is armed.
func (c *Client) Deadline() (int64, bool) {
	var at int64 = -1
	consider := func(t int64) {
		if t > 0 && (at < 0 || t < at) {
			at = t
		}
	}
	if c.retryAt >= 0 {
		consider(max(c.retryAt, 1))
	}
	if c.lazyArmed {
		consider(max(c.lazyAt, 1))
	}
	for _, k := range c.conns {
		if k.ready && !k.closing {
			consider(k.pingAt)
			consider(k.pongBy)
		}
	}
	return at, at >= 0
}

// Tick runs every timer due at now.
func (c *Client) Tick(now int64) {
	c.now = now
	if c.retryAt >= 0 && c.retryAt <= now {
		c.retryAt = -1
		if c.allowReconnect {
			c.fromReconnect = true
			c.dial()
		} else {
			c.reconnecting = false
		}
	}
	for _, k := range slices.Clone(c.conns) {
		if !k.ready || k.closing {
			continue
		}
		if k.pongBy > 0 && k.pongBy <= now {
			// No PONG: the network may be dead, so do not wait for a
			// closing handshake that would never finish.
			c.emit(Output{Kind: OutCloseSocket, Sock: k.id, Code: 3000, Abort: true})
			c.lost(now, k, 0, errPongTimeout)
			continue
		}
		if k.pingAt > 0 && k.pingAt <= now {
			k.pingAt = 0
			if k.pongBy == 0 {
				// A PING sent while another PONG is due keeps that deadline.
				k.pongBy = now + c.cfg.PongTimeoutMs
			}
			k.pongWaiters = append(k.pongWaiters, nil)
			c.queueFrame(k, Ping)
		}
	}
	if c.lazyArmed && c.lazyAt <= now {
		if len(c.outgoing) > 0 || c.hasPending() {
			// The reference polls every closeMs (every tick with the
			// default 0) while requests remain; waiting for the last one to
			// end closes at the same time without the wake-ups.
			c.lazyArmed, c.lazyBusy = false, true
		} else {
			c.lazyArmed = false
			c.Close(now)
		}
	}
}

var errPongTimeout = &pongTimeoutError{}

type pongTimeoutError struct{}

func (*pongTimeoutError) Error() string { return "no PONG within the keepAlive timeout" }

func (c *Client) hasPending() bool {
	for _, r := range c.reqs {
		if r.state == reqPending {
			return true
		}
	}
	return false
}

func (c *Client) resetLazy(now int64) {
	if c.lazyArmed {
		c.lazyAt = now + c.cfg.LazyCloseMs
	}
}

// lazyIdle arms the lazy close again once the requests that held it back
// have all ended.
func (c *Client) lazyIdle() {
	if c.lazyBusy && len(c.outgoing) == 0 && !c.hasPending() {
		c.lazyAt, c.lazyArmed, c.lazyBusy = c.now+c.cfg.LazyCloseMs, true, false
	}
}

// Close stops reconnecting, completes every subscription (sending its stop),
// fails requests not yet sent with "Closed before connection was
// established", and waits for requests in flight; then it closes the
// sockets, reports StateIdle and emits OutClosed. The client stays usable: a
// later request reconnects; one made while Close waits is held back and
// sent on a new socket once Close has finished.
func (c *Client) Close(now int64) {
	c.now = now
	c.allowReconnect = false
	c.replacementErr = nil
	c.retired = nil
	c.lazyArmed, c.lazyBusy = false, false
	c.retryAt = -1
	c.reconnecting = false
	for _, r := range c.sortedAll() {
		switch {
		case r.Method == Subscription:
			delete(c.reqs, r.ID)
			if r.state == reqPending {
				c.sendStop(r.ID, r.sock)
				c.sendStop(r.ID, r.successor)
			}
			c.emit(Output{Kind: OutComplete, ID: r.key})
		case r.state == reqOutgoing:
			delete(c.reqs, r.ID)
			c.emit(Output{Kind: OutError, ID: r.key, Err: &ClosedError{Message: "Closed before connection was established"}})
		}
	}
	clear(c.draining) // every subscription has completed
	c.outgoing = c.outgoing[:0]
	c.closing = true
	c.maybeFinishClose()
}

// Abort ends a Close that is still waiting: requests in flight fail with a
// *ClosedError and the Close finishes at once.
func (c *Client) Abort(now int64) {
	c.now = now
	if !c.closing {
		return
	}
	for _, r := range c.sortedAll() {
		if r.state != reqPending {
			continue // made during the close: sent once it has finished
		}
		delete(c.reqs, r.ID)
		c.emit(Output{Kind: OutError, ID: r.key, Err: &ClosedError{Message: "Client closed before the server answered"}})
	}
	c.maybeFinishClose()
}

func (c *Client) sortedAll() []*request {
	rs := make([]*request, 0, len(c.reqs))
	for _, r := range c.reqs {
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b *request) int { return cmp.Compare(a.key, b.key) })
	return rs
}

func (c *Client) maybeFinishClose() {
	if !c.closing || c.holdClose || c.hasPending() {
		return
	}
	c.closing = false
	for _, k := range c.conns {
		if !k.closing {
			c.closeConn(k, 1000)
		}
	}
	c.next, c.active, c.retired = nil, nil, nil
	c.setState(StateIdle, nil)
	c.emit(Output{Kind: OutClosed})
	if len(c.outgoing) > 0 {
		// Requests made while closing reconnect, as the reference does.
		c.open(c.now)
	}
}
