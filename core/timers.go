package core

import "slices"

// Timers: Deadline and Tick, keep-alive and lazy close.

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
