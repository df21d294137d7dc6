package core

// Suspend and Resume: the host is about to freeze the client (a page going
// into the back/forward cache) and has brought it back.
//
// An open WebSocket keeps a page out of the back/forward cache, so a
// driver that sees the page hidden calls Suspend, and Resume when it is
// shown again from the cache. While suspended the client holds no socket
// and dials none:
//   - every socket (active, retired, draining, dialling) is closed with
//     CloseNormal at once, frames already queued on it first;
//   - queries and mutations in flight fail with a *ClosedError (they may
//     have run on the server: they are never sent twice), as on a lost
//     socket;
//   - subscriptions stay live and are sent again on the first socket after
//     Resume, tracked ones with their last event id (the server resumes
//     after the last event delivered: nothing lost, nothing twice); a
//     subscription started with Call.NoResubscribe ends with
//     ErrNotResubscribed, as on a lost socket;
//   - calls made or queued meanwhile wait, unsent; RequestTimeoutMs and
//     MaxQueued still bound them;
//   - the retry loop, keep-alive, the lazy close, MaxConnectionAgeMs and
//     ConnectTimeoutMs stop; Online, Offline, Wake and Reconnect change
//     nothing but what the core knows of the network. No attempt is spent
//     or refunded: a retry loop that was running resumes at the attempt it
//     had reached;
//   - the state is StateIdle; Close works as usual and ends the
//     subscriptions.
//
// Resume dials at once when a connection is wanted: the client is not
// lazy, or calls are queued, or subscriptions live (a lazy client with
// nothing to do stays idle). A server-requested move or a MaxConnectionAgeMs
// rotation cut short by Suspend is not redone: the socket Resume opens is
// new anyway.

// Suspend closes every socket and holds the client off the network until
// Resume (see above). Suspending a suspended client does nothing.
func (c *Client) Suspend(now int64) {
	c.enter(now)
	defer c.settle()
	if c.link.suspended {
		return
	}
	c.link.suspended = true
	c.connectBy.stop()
	c.retryAt.stop()
	c.lazy.off()
	c.link.cause = nil
	c.link.pendingErr = nil
	if c.link.phase != linkIdle {
		// A retry loop was running: Resume goes on with its attempt.
		c.link.phase = linkBackoff
	}
	err := &ClosedError{Message: "Client suspended before the server answered", Code: CloseNormal}
	for _, k := range c.conns {
		if k.phase == connClosing {
			continue
		}
		c.closeConn(k, CloseNormal)
		k.ping.stop()
		k.pong.stop()
		k.maxAge.stop()
		c.forgetStoppedOn(k)
		c.failRequestsOn(k, err)
	}
	for _, r := range c.reqs {
		// The subscriptions left are on no socket: what a closing one still
		// sends is not delivered (the last event id stays the last one
		// delivered), and what a move was still checking is moot.
		if r.state == reqPending {
			r.sock = nil
		}
		r.movingTo, r.seenWhileMoving, r.stoppedOn = nil, nil, nil
	}
	if c.state != StateIdle && !c.closing { // a Close that waited finishes in settle
		c.setState(StateIdle, nil)
	}
}

// Resume ends a Suspend: when a connection is wanted (see above) the client
// dials at once, and sends its subscriptions again once the socket opens.
// On a client that is not suspended it is Wake.
func (c *Client) Resume(now int64) {
	c.enter(now)
	defer c.settle()
	if !c.link.suspended {
		c.wake(now)
		return
	}
	c.link.suspended = false
	switch {
	case !c.link.wanted:
	case c.link.phase == linkBackoff:
		c.setState(StateConnecting, nil)
		if c.link.offline {
			return // Online dials
		}
		c.dialNow()
	case !c.cfg.Lazy || len(c.outgoing) > 0 || c.hasPending():
		c.open(now)
	}
}
