package core

import "slices"

// Sockets: dialling, opening, handing over to a new socket, losing them.

// open starts connecting when no socket serves requests or is being opened.
func (c *Client) open(now int64) {
	c.link.wanted = true
	if c.link.phase != linkIdle || c.next != nil || c.usable(c.active) {
		return
	}
	c.link.opened = 0
	if c.state == StateIdle {
		c.setState(StateConnecting, nil)
	}
	c.note(Output{Note: NoteAttempt})
	c.dial()
}

// dial asks the driver for a new socket, the next one to become active.
// Not inlined (issue #25): about 1 KB brotli over its call sites.
//
//go:noinline
func (c *Client) dial() {
	c.lastSock++
	k := &conn{id: c.lastSock}
	c.conns = append(c.conns, k)
	c.next = k
	c.link.rejected = false
	if c.cfg.ConnectTimeoutMs > 0 {
		c.connectBy.set(c.now + c.cfg.ConnectTimeoutMs)
	}
	c.emit(Output{Kind: OutDial, Sock: k.id})
}

// adopt takes socket 1 as dialled by the driver, open and set up
// (Config.Adopt): what Opened does for a socket the core dialled.
func (c *Client) adopt(now int64) {
	c.lastSock++
	k := &conn{id: c.lastSock, ready: true}
	c.conns = append(c.conns, k)
	c.active = k
	c.lastWire = max(c.lastWire, c.cfg.AdoptedWireIDs)
	c.link.wanted = true
	c.stats.socketsOpened++
	c.note(Output{Note: NoteOpen, Sock: k.id})
	if c.cfg.KeepAlive {
		k.ping.set(now + c.cfg.KeepAliveIntervalMs)
	}
	if c.cfg.Lazy {
		c.lazy.arm(now + c.cfg.LazyCloseMs)
	}
	c.connected(now)
	c.setState(StatePending, nil)
}

// Opened reports that socket sock is open. If params is non-nil it is the
// raw JSON of the resolved connection params (a record or null) and is sent
// before anything else.
func (c *Client) Opened(now int64, sock SocketID, params []byte) {
	c.enter(now)
	defer c.settle()
	k := c.conn(sock)
	if k == nil || k.closing {
		return
	}
	k.ready = true
	c.stats.socketsOpened++
	c.note(Output{Note: NoteOpen, Sock: k.id})
	if params != nil {
		k.ctrl = append(k.ctrl, AppendConnectionParams(nil, params))
		c.wantWrite(k)
	}
	if c.cfg.KeepAlive {
		k.ping.set(now + c.cfg.KeepAliveIntervalMs)
	}
	if c.cfg.Lazy {
		c.lazy.arm(now + c.cfg.LazyCloseMs)
	}
	if k != c.next {
		return
	}
	c.next = nil
	c.connectBy.stop()
	if !c.link.wanted {
		c.closeConn(k, CloseNormal)
		return
	}
	previous := c.active
	c.active = k
	c.retired = nil
	if c.usable(previous) {
		c.retired = previous
	}
	c.connected(now)
	c.handOff(previous)
	if len(c.outgoing) > 0 {
		c.wantWrite(k)
	}
}

// closeIfDrained closes k once it was replaced and nothing is left on it. A
// subscription moved off k keeps it open until its "stopped" or the PONG
// that follows its stop arrives (see confirmMove), whichever comes first.
func (c *Client) closeIfDrained(k *conn) {
	if k == nil || k == c.active || k == c.next || k.closing || c.hasRequestsOn(k) {
		return
	}
	c.closeConn(k, CloseNormal)
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

// Closed reports that socket sock closed, or failed to open, with the
// WebSocket close code it received (0 when none: the core reports
// CloseAbnormal) and an optional cause. A socket the core has already given
// up (an OutCloseSocket with Abort) is ignored.
func (c *Client) Closed(now int64, sock SocketID, code int, cause error) {
	c.enter(now)
	defer c.settle()
	k := c.conn(sock)
	if k == nil {
		return
	}
	c.lost(now, k, code, cause)
}

// SetupFailed reports that socket sock opened but could not be set up: its
// connection params failed with cause. The core gives the socket up at once
// (OutCloseSocket with CloseSetupFailed; a later Closed for it is ignored)
// and counts a failed attempt, as the reference does.
func (c *Client) SetupFailed(now int64, sock SocketID, cause error) {
	c.enter(now)
	defer c.settle()
	k := c.conn(sock)
	if k == nil {
		return
	}
	c.emit(Output{Kind: OutCloseSocket, Sock: k.id, Code: CloseSetupFailed})
	c.lost(now, k, 0, cause)
}

// lost forgets socket k and repairs everything that used it. A Close
// waiting for the requests k fails finishes in settle, once the repair is
// done.
func (c *Client) lost(now int64, k *conn, code int, cause error) {
	c.conns = slices.DeleteFunc(c.conns, func(o *conn) bool { return o == k })
	wasReady, wasClosing := k.ready, k.closing
	k.ready, k.closing = false, true
	if k.serverErr != nil {
		cause = k.serverErr
	}
	if code == 0 {
		code = CloseAbnormal
	}
	closedErr := &ClosedError{Message: "WebSocket closed", Code: code, Cause: cause}
	c.note(Output{Note: NoteClose, Sock: k.id, Code: code, Err: cause})

	if k == c.next {
		c.next = nil
		c.connectBy.stop()
		if !wasReady && !wasClosing {
			c.attemptFailed(now, cause)
		}
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
			c.link.pendingErr = closedErr
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
			c.finish(r, Output{Kind: OutError, ID: r.id, Err: closedErr})
			continue
		}
		if r.successor != nil {
			r.sock, r.successor = r.successor, nil
			continue
		}
		if r.noResubscribe {
			c.finish(r, Output{Kind: OutError, ID: r.id, Err: ErrNotResubscribed})
			continue
		}
		lostSubs = append(lostSubs, r)
	}
	if k == c.active || c.active == nil && !restored {
		// The active socket itself was lost: its subscriptions wait for the
		// next socket, which handOff re-sends them on.
		if c.active == nil && !wasClosing && (!c.cfg.Lazy || c.hasPendingSubs()) {
			c.reconnect(now, closedErr, c.nextAttempt(now, true))
		}
		return
	}
	for _, r := range lostSubs {
		c.resend(now, r)
	}
	if restored {
		c.reconnect(now, nil, c.nextAttempt(now, false))
	}
}

// resend sends subscription r again under a new wire id: the active socket
// may still have the old one (e.g. while stopping it), and the server
// refuses a duplicate. The old incarnation keeps draining the sockets r
// moved from under its wire id.
func (c *Client) resend(now int64, r *request) {
	if r.ID != r.id {
		delete(c.wire, r.ID)
	}
	n := &request{Request: r.Request, id: r.id, order: r.order, earlier: r.earlier}
	r.earlier = nil
	if len(r.movedFrom) > 0 {
		c.draining[r.ID] = r
		n.earlier = append(n.earlier, r)
	}
	c.lastWire++
	n.ID = c.lastWire
	c.track(n)
	c.enqueue(now, n)
}
