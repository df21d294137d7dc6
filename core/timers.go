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
	next.min(c.lazy.timer)
	for _, k := range c.conns {
		if k.ready && !k.closing {
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
	for _, k := range slices.Clone(c.conns) {
		if !k.ready || k.closing {
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
			k.ping.stop()
			if !k.pong.on {
				// A PING sent while another PONG is due keeps that deadline.
				k.pong.set(now + c.cfg.PongTimeoutMs)
			}
			k.pongWaiters = append(k.pongWaiters, nil)
			c.queueFrame(k, Ping)
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
