package core

import "slices"

// Timers: one timer type for every deadline, Deadline and Tick, keep-alive
// and lazy close.

// timer is one deadline of the core. The zero timer is not armed; any time,
// 0 and negative included, is a valid deadline.
type timer struct {
	at int64
	on bool
}

func (t *timer) set(at int64)       { t.at, t.on = at, true }
func (t *timer) stop()              { t.on = false }
func (t *timer) due(now int64) bool { return t.on && t.at <= now }
func (t *timer) min(o timer) {
	if o.on && (!t.on || o.at < t.at) {
		*t = o
	}
}

// lazyDoor is the lazy close: a timer, and whether it came due while
// requests remained (it is armed again once they have all ended).
type lazyDoor struct {
	timer
	busy bool
}

func (l *lazyDoor) arm(at int64) { l.set(at); l.busy = false }
func (l *lazyDoor) off()         { l.stop(); l.busy = false }

// Deadline returns when the core next needs Tick, or false when no timer
// is armed.
func (c *Client) Deadline() (int64, bool) {
	var next timer
	next.min(c.retryAt)
	next.min(c.connectBy)
	next.min(c.lazy.timer)
	if len(c.timeouts) > 0 {
		next.min(timer{at: c.timeouts[0].at, on: true})
	}
	for _, k := range c.conns {
		if k.phase.open() {
			next.min(k.ping)
			next.min(k.pong)
		}
	}
	return next.at, next.on
}

// Tick runs every timer due at now.
func (c *Client) Tick(now int64) {
	c.enter(now)
	defer c.settle()
	c.retryDue(now)
	if c.connectBy.due(now) {
		c.connectBy.stop()
		if k := c.next; k != nil && k.phase == connDialing {
			err := &TimeoutError{What: "connect", Ms: c.cfg.ConnectTimeoutMs}
			c.note(Output{Note: NoteTimeout, Sock: k.id, Err: err})
			c.emit(Output{Kind: OutCloseSocket, Sock: k.id, Code: CloseNormal, Abort: true})
			c.lost(now, k, 0, err)
		}
	}
	for len(c.timeouts) > 0 && c.timeouts[0].at <= now {
		r := c.timeouts[0].r
		err := &TimeoutError{What: "request", Ms: r.timeoutMs}
		c.note(Output{Note: NoteTimeout, ID: r.callID, Err: err})
		if r.state == reqOutgoing {
			c.outgoing = deleteRequest(c.outgoing, r)
		}
		c.finish(r, Output{Kind: OutError, ID: r.callID, Err: err}) // removes it from c.timeouts
	}
	for _, k := range slices.Clone(c.conns) {
		if !k.phase.open() {
			continue
		}
		if k.pong.due(now) {
			// No PONG: the network may be dead, so do not wait for a
			// closing handshake that would never finish.
			c.emit(Output{Kind: OutCloseSocket, Sock: k.id, Code: CloseNoPong, Abort: true})
			c.lost(now, k, 0, errPongTimeout)
			continue
		}
		if k.ping.due(now) {
			c.sendPing(now, k)
		}
	}
	if c.lazy.due(now) {
		if len(c.outgoing) > 0 || c.hasPending() {
			// The reference polls every closeMs (every tick with the
			// default 0) while requests remain; waiting for the last one to
			// end closes at the same time without the wake-ups.
			c.lazy.stop()
			c.lazy.busy = true
		} else {
			c.lazy.stop()
			c.close(now)
		}
	}
}

// sendPing checks k with a keepAlive PING.
func (c *Client) sendPing(now int64, k *conn) {
	k.ping.stop()
	if !k.pong.on {
		// A PING sent while another PONG is due keeps that deadline.
		k.pong.set(now + c.cfg.PongTimeoutMs)
	}
	k.pingSentAt = now
	k.pongWaiters = append(k.pongWaiters, nil)
	c.queueFrame(k, Ping)
}

// reqTimers is a binary min-heap of requests by their timeout
// (Config.RequestTimeoutMs); each request knows its place (heapAt).
type reqTimers []reqTimer

type reqTimer struct {
	at int64
	r  *request
}

func (h reqTimers) less(i, j int) bool {
	return h[i].at < h[j].at || h[i].at == h[j].at && h[i].r.order < h[j].r.order
}

func (h reqTimers) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].r.heapAt, h[j].r.heapAt = i+1, j+1
}

func (h reqTimers) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h reqTimers) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h.swap(i, m)
		i = m
	}
}

func (h *reqTimers) add(r *request, at int64) {
	*h = append(*h, reqTimer{at: at, r: r})
	r.heapAt = len(*h)
	h.up(len(*h) - 1)
}

func (h *reqTimers) remove(r *request) {
	i := r.heapAt - 1
	if i < 0 {
		return
	}
	old := *h
	last := len(old) - 1
	if i != last {
		old.swap(i, last)
	}
	old[last] = reqTimer{}
	*h = old[:last]
	r.heapAt = 0
	if i != last {
		h.down(i)
		h.up(i)
	}
}

var errPongTimeout = &pongTimeoutError{}

type pongTimeoutError struct{}

func (*pongTimeoutError) Error() string { return "no PONG within the keepAlive timeout" }

func (c *Client) resetLazy(now int64) {
	if c.lazy.on {
		c.lazy.set(now + c.cfg.LazyCloseMs)
	}
}

// lazyIdle arms the lazy close again once the requests that held it back
// have all ended.
func (c *Client) lazyIdle() {
	if c.lazy.busy && len(c.outgoing) == 0 && !c.hasPending() {
		c.lazy.arm(c.now + c.cfg.LazyCloseMs)
	}
}
