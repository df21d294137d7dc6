package core

import (
	"cmp"
	"slices"
)

// Client, its per-request and per-socket records, and the output queue.

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

// usable reports whether k is open and not closing.
func (c *Client) usable(k *conn) bool { return k != nil && k.ready && !k.closing }

func (c *Client) conn(id SocketID) *conn {
	for _, k := range c.conns {
		if k.id == id {
			return k
		}
	}
	return nil
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

func (c *Client) hasPending() bool {
	for _, r := range c.reqs {
		if r.state == reqPending {
			return true
		}
	}
	return false
}

func (c *Client) hasPendingSubs() bool {
	for _, r := range c.reqs {
		if r.state == reqPending && r.Method == Subscription {
			return true
		}
	}
	return false
}

func (c *Client) sortedAll() []*request {
	rs := make([]*request, 0, len(c.reqs))
	for _, r := range c.reqs {
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b *request) int { return cmp.Compare(a.key, b.key) })
	return rs
}
