package core

// Suspend, and the Wake that ends it: the host is about to freeze the
// client (a page going into the back/forward cache) and has brought it
// back.
//
// An open WebSocket keeps a page out of the back/forward cache, so a
// driver that sees the page hidden calls Suspend, and Wake when it is
// shown again from the cache. While suspended the client holds no socket
// and dials none:
//   - every socket (active, retired, draining, dialling) is closed with
//     CloseNormal at once, frames already queued on it first;
//   - queries and mutations in flight fail with a *ClosedError (they may
//     have run on the server: they are never sent twice), as on a lost
//     socket;
//   - subscriptions stay live and are sent again on the first socket after
//     the suspension, tracked ones with their last event id (the server resumes
//     after the last event delivered: nothing lost, nothing twice); a
//     subscription started with Call.NoResubscribe ends with
//     ErrNotResubscribed, as on a lost socket;
//   - calls made or queued meanwhile wait, unsent; RequestTimeoutMs and
//     MaxQueued still bound them;
//   - the retry loop, keep-alive, the lazy close, MaxConnectionAgeMs and
//     ConnectTimeoutMs stop, and Reconnect does nothing. No attempt is
//     spent or refunded: a retry loop that was running resumes at the
//     attempt it had reached;
//   - the state is StateIdle; Close works as usual and ends the
//     subscriptions.
//
// Wake (the host is back: a page shown again from the cache) or Online
// ends it: the client dials at once when a connection is wanted (it is not
// lazy, or calls are queued, or subscriptions live; a lazy client with
// nothing to do stays idle; a retry loop that was running waits for Online
// while offline). There is no Resume: each entry point costs the module
// dearly (issue #25). A server-requested move or a MaxConnectionAgeMs
// rotation cut short by Suspend is not redone: the socket opened after it
// is new anyway.

// Suspend closes every socket and holds the client off the network until
// Wake or Online (see above). Suspending a suspended client does nothing.
// It is written small, without the deferred settle of the other entry
// points (nothing here can panic): code costs the module dearly (issue #25).
func (c *Client) Suspend(now int64) {
	c.enter(now)
	if !c.link.suspended {
		c.link.suspended = true
		c.connectBy.stop()
		c.retryAt.stop()
		c.lazy.off()
		if c.link.phase != linkIdle {
			// A retry loop was running: it goes on, at its attempt, after the suspension.
			c.link.phase = linkBackoff
		}
		for len(c.conns) > 0 {
			// Closed cleanly, and forgotten as if lost at once (nothing
			// more it sends is read; its Closed is ignored): calls in
			// flight fail, subscriptions wait for the next socket.
			k := c.conns[0]
			if k.phase != connClosing {
				c.closeConn(k, CloseNormal)
			}
			c.lost(now, k, CloseNormal, nil)
		}
		if c.state != StateIdle && !c.closing { // a Close that waited finishes in settle
			c.setState(StateIdle, nil)
		}
	}
	c.settle()
}

// resume ends a Suspend, for Wake and Online (see above): it opens a socket
// when one is wanted; a retry loop that was running goes on in wake.
func (c *Client) resume(now int64) {
	c.link.suspended = false
	switch {
	case !c.link.wanted:
	case c.link.phase == linkBackoff:
		c.setState(StateConnecting, nil)
	case !c.cfg.Lazy || len(c.reqs.ids) > 0:
		c.open(now)
	}
}
