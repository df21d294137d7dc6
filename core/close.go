package core

// Close and Abort.

// Close stops reconnecting, completes every subscription (sending its stop),
// fails requests not yet sent with "Closed before connection was
// established", and waits for requests in flight; then it closes the
// sockets, reports StateIdle and emits OutClosed. The client stays usable: a
// later request reconnects; one made while Close waits is held back and
// sent on a new socket once Close has finished.
func (c *Client) Close(now int64) {
	c.enter(now)
	defer c.settle()
	c.close(now)
}

func (c *Client) close(now int64) {
	c.link.wanted = false
	c.link.phase = linkIdle
	c.link.pendingErr = nil
	c.link.cause = nil
	// A Close ends a suspension too: the client starts over, and a call
	// made after it opens a socket as after any Close.
	c.link.suspended = false
	c.authReset()
	c.connectBy.stop()
	if c.retired != nil {
		c.setPhase(c.retired, connDraining)
	}
	c.lazy.off()
	c.retryAt.stop()
	for _, r := range c.sortedAll() {
		switch {
		case r.Method == Subscription:
			c.forget(r)
			if r.state == reqPending {
				c.sendStop(r.WireID, r.sock)
				c.sendStop(r.WireID, r.movingTo)
			}
			c.emit(Output{Kind: OutComplete, ID: r.callID})
		case r.state == reqOutgoing:
			c.forget(r)
			c.emit(Output{Kind: OutError, ID: r.callID, Err: &ClosedError{Message: "Closed before connection was established"}})
		}
	}
	c.draining.clear() // every subscription has completed
	c.outgoing = c.outgoing[:0]
	c.closing = true
}

// Abort ends a Close that is still waiting: requests in flight fail with a
// *ClosedError and the Close finishes at once.
func (c *Client) Abort(now int64) {
	c.enter(now)
	defer c.settle()
	if !c.closing {
		return
	}
	for _, r := range c.sortedAll() {
		if r.state != reqPending {
			continue // made during the close: sent once it has finished
		}
		c.forget(r)
		c.emit(Output{Kind: OutError, ID: r.callID, Err: &ClosedError{Message: "Client closed before the server answered"}})
	}
}

// maybeFinishClose finishes a Close once no request is in flight (see
// settle).
func (c *Client) maybeFinishClose() {
	if !c.closing || c.hasPending() {
		return
	}
	c.closing = false
	c.lazy.off() // a lazy close armed while Close waited has nothing left to close
	for _, k := range c.conns {
		if k.phase != connClosing {
			c.closeConn(k, CloseNormal)
		}
	}
	c.setState(StateIdle, nil)
	c.emit(Output{Kind: OutClosed})
	if len(c.outgoing) > 0 {
		// Requests made while closing reconnect, as the reference does.
		c.open(c.now)
	}
}
