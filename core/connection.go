package core

import "slices"

// Sockets: their phases, dialling, opening, closing, and repairing what a
// lost socket carried.

// connPhase is where one socket stands. Every socket the core knows is in
// exactly one phase, and only setPhase changes it:
//
//	dial                            → connDialing  (Client.next)
//	adopt                           → connActive
//	Opened, a connection wanted     connDialing → connActive; the active one
//	                                  → connRetired, a retired one → connDraining
//	Opened, none wanted any more    connDialing → connClosing
//	active lost, retired still open connRetired → connActive (restore)
//	Close                           connRetired → connDraining
//	nothing left on it              connRetired, connDraining → connClosing
//	                                  (closeIfDrained)
//	closeConn, lost                 any → connClosing; lost also forgets it
//
// A socket in connActive, connRetired or connDraining is open: it carries
// traffic and keep-alive runs on it. Requests are only written on the
// active socket; the others finish what they carry (see move.go).
type connPhase uint8

const (
	connDialing  connPhase = iota // OutDial emitted, not open yet
	connActive                    // open and set up: carries new requests
	connRetired                   // replaced by active in a move; serves again if active is lost first
	connDraining                  // replaced, no role: open until what it carries has ended
	connClosing                   // asked to close (or given up): no new traffic
)

// open reports whether a socket in phase p is open and not closing.
func (p connPhase) open() bool {
	return p == connActive || p == connRetired || p == connDraining
}

// conn is one socket the core asked for.
type conn struct {
	id          SocketID
	phase       connPhase
	ctrl        [][]byte
	pongQueued  bool // a PONG is in ctrl: it answers every PING until sent
	wantWrite   bool
	ping        timer // keepAlive: when to send PING
	pong        timer // keepAlive: PONG deadline
	pingSentAt  int64 // when the last keepAlive PING was queued
	maxAge      timer // Config.MaxConnectionAgeMs: when the active socket is too old
	pongWaiters []*request
	serverErr   error // last id:null error the server sent on it
	authGen     int   // authState.done when it was dialled
}

// setPhase moves k to phase p and keeps the role pointers (next, active,
// retired) in step: k leaves the one it held, and a socket that held the
// role k takes, other than k, becomes connDraining.
func (c *Client) setPhase(k *conn, p connPhase) {
	if role := c.role(k.phase); role != nil && *role == k {
		*role = nil
	}
	k.phase = p
	if role := c.role(p); role != nil {
		if o := *role; o != nil && o != k {
			o.phase = connDraining
		}
		*role = k
	}
}

// role returns the pointer naming the socket in phase p, nil for the
// phases many sockets can be in.
func (c *Client) role(p connPhase) **conn {
	switch p {
	case connDialing:
		return &c.next
	case connActive:
		return &c.active
	case connRetired:
		return &c.retired
	}
	return nil
}

// open starts connecting when no socket serves requests or is being opened.
func (c *Client) open(now int64) {
	c.link.wanted = true
	if c.link.suspended || c.link.phase != linkIdle || c.next != nil || c.usable(c.active) {
		return
	}
	c.link.opened = 0
	if c.state == StateIdle {
		c.setState(StateConnecting, nil)
	}
	c.note(Output{Note: NoteAttempt})
	if c.auth.needed || c.auth.asking {
		c.link.attempt = 0
		c.dialOrRefresh()
		return
	}
	c.dial()
}

// dial asks the driver for a new socket, the next one to become active.
// Not inlined (issue #25): about 1 KB brotli over its call sites.
//
//go:noinline
func (c *Client) dial() {
	c.lastSock++
	k := &conn{id: c.lastSock, authGen: c.auth.done}
	c.conns = append(c.conns, k)
	c.setPhase(k, connDialing)
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
	k := &conn{id: c.lastSock}
	c.conns = append(c.conns, k)
	c.setPhase(k, connActive)
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
	if k == nil || k.phase != connDialing {
		return
	}
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
	c.connectBy.stop()
	if !c.link.wanted {
		c.closeConn(k, CloseNormal)
		return
	}
	previous := c.active
	if c.retired != nil {
		c.setPhase(c.retired, connDraining)
	}
	if previous != nil {
		c.setPhase(previous, connRetired)
	}
	c.setPhase(k, connActive)
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
	if k == nil || k.phase == connActive || k.phase == connDialing || k.phase == connClosing || c.hasRequestsOn(k) {
		return
	}
	c.closeConn(k, CloseNormal)
}

// closeConn asks the driver to close k. Frames already queued on k (e.g. the
// subscription.stop frames of Close or Cancel) are kept: the OutWrite that
// announced them comes before the OutCloseSocket, so they leave first, as
// the reference's ws.send before ws.close. Nothing new is queued on k.
func (c *Client) closeConn(k *conn, code int) {
	c.setPhase(k, connClosing)
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

// lost forgets socket k and repairs everything that used it: an attempt
// that failed, or a socket that carried requests. A Close waiting for the
// requests k fails finishes in settle, once the repair is done.
func (c *Client) lost(now int64, k *conn, code int, cause error) {
	was := k.phase
	c.conns = slices.DeleteFunc(c.conns, func(o *conn) bool { return o == k })
	c.setPhase(k, connClosing)
	if k.serverErr != nil {
		cause = k.serverErr
	}
	if code == 0 {
		code = CloseAbnormal
	}
	c.note(Output{Note: NoteClose, Sock: k.id, Code: code, Err: cause})
	closedErr := &ClosedError{Message: "WebSocket closed", Code: code, Cause: cause}
	refused := c.authClose(code, cause)
	if (was == connDialing || was == connActive) && k.authGen == c.auth.done && refused {
		c.socketRefused(closedErr)
	}
	if was == connDialing {
		c.connectBy.stop()
		c.attemptFailed(now, cause)
		return
	}
	restored := was == connActive && c.restore(closedErr)
	c.forgetStoppedOn(k)
	orphans := c.failRequestsOn(k, closedErr, refused)
	if c.active == nil {
		// The active socket itself was lost: its subscriptions (and calls
		// queued again after a refusal) wait for the next socket, which
		// handOff re-sends them on.
		if was != connClosing && (!c.cfg.Lazy || c.hasPendingSubs() || len(c.outgoing) > 0) {
			c.reconnect(now, closedErr, c.nextAttempt(now, true))
		}
		return
	}
	// Another socket still serves: the subscriptions that lived only on k
	// are sent again on it.
	for _, r := range orphans {
		c.resend(now, r)
	}
	if restored {
		c.reconnect(now, nil, c.nextAttempt(now, false))
	}
}

// restore makes the retired socket active again after the active one was
// lost, if it is still open; the client then reconnects, and reports
// closedErr only if no socket is left by then.
func (c *Client) restore(closedErr error) bool {
	if !c.usable(c.retired) {
		return false
	}
	c.setPhase(c.retired, connActive)
	c.link.pendingErr = closedErr
	return true
}

// failRequestsOn repairs the requests that used lost socket k: a query or
// mutation in flight on it fails with closedErr; a subscription moving off
// it stays on the socket it moved to, one moving onto it stays where it
// was. It returns the subscriptions that lived on k alone.
// With refused (k's credentials were refused: Config.RefreshAuth), a query,
// or a mutation with Config.RefreshRetryMutations, is queued again once
// instead, for the socket after the refresh (see authRetry).
func (c *Client) failRequestsOn(k *conn, closedErr error, refused bool) []*request {
	var orphans []*request
	for _, r := range c.sortedPending() {
		if r.movingTo == k {
			r.movingTo, r.seenWhileMoving = nil, nil
		}
		if i := slices.Index(r.stoppedOn, k); i >= 0 {
			r.stoppedOn = slices.Delete(r.stoppedOn, i, i+1)
		}
		if r.sock != k {
			continue
		}
		r.repeatsDue = nil // k will repeat nothing more
		if r.Method != Subscription {
			if refused && c.retryRefused(r) {
				continue
			}
			c.finish(r, Output{Kind: OutError, ID: r.callID, Err: closedErr})
			continue
		}
		if r.movingTo != nil {
			r.sock, r.movingTo = r.movingTo, nil
			continue
		}
		if r.noResubscribe {
			c.finish(r, Output{Kind: OutError, ID: r.callID, Err: ErrNotResubscribed})
			continue
		}
		orphans = append(orphans, r)
	}
	return orphans
}
