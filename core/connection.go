package core

import "slices"

// Sockets: dialling, opening, losing them, and the retry loop.

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
