package core

import "slices"

// Auth refresh (Config.RefreshAuth): when the server refuses the
// credentials a socket was opened with, the driver runs the user's refresh
// function (OutRefreshAuth, answered with AuthRefreshed) and the client
// moves to a socket opened with fresh connection params, make-before-break
// when the old one still serves.

// DefaultAuthCloseCodes are the close codes that mean refused credentials
// when Config.AuthCloseCodes is nil: 4401 and 4403 (the usual application
// codes for HTTP 401 and 403) and 1008 (policy violation).
var DefaultAuthCloseCodes = []int{4401, 4403, 1008}

// codeUnauthorized is the tRPC error code that starts a refresh.
const codeUnauthorized = "UNAUTHORIZED"

// authState is the auth refresh's state.
type authState struct {
	asking bool // OutRefreshAuth emitted, not yet answered
	gen    int  // Attempt of the latest OutRefreshAuth: the answer names it
	// needed: the server refused a socket's credentials (closed it with an
	// auth code, or rejected its connection params with UNAUTHORIZED): the
	// next connection attempt refreshes first.
	needed bool
	// moving: a refresh succeeded and no socket has become active since:
	// calls wait for that socket rather than leave on the old one.
	moving bool
	// done counts the refreshes that succeeded; a socket records it when
	// dialled (conn.authGen), so that a failure on a socket older than the
	// last refresh does not start another.
	done int
	// unproven: no socket dialled since the last refresh has answered
	// anything yet. A socket refused again meanwhile counts as a failed
	// attempt, so a refresh that keeps yielding refused credentials backs
	// off and is bound by MaxAttempts instead of looping.
	unproven bool
	// reason is what the pending refresh is about; refusal is why the
	// server refused the last socket, while needed.
	reason, refusal error
}

// AuthRefreshError is why a call that waited for an auth refresh failed,
// and the connection state's error, when the user's refresh function
// failed. errors.Is and errors.As see Err.
type AuthRefreshError struct {
	// Err is what the refresh function returned.
	Err error
	// Reason is what started the refresh: the *TRPCError of a call that
	// failed with UNAUTHORIZED, or the *ClosedError of the socket the
	// server closed.
	Reason error
}

func (e *AuthRefreshError) Error() string { return withCause("trpcws: auth refresh failed", e.Err) }

// Unwrap returns Err.
func (e *AuthRefreshError) Unwrap() error { return e.Err }

// authClose reports whether a socket that ended with code and cause had its
// credentials refused: a close code of Config.AuthCloseCodes, or an
// UNAUTHORIZED error the server sent without an id (createContext threw).
func (c *Client) authClose(code int, cause error) bool {
	if !c.cfg.RefreshAuth {
		return false
	}
	codes := c.cfg.AuthCloseCodes
	if codes == nil {
		codes = DefaultAuthCloseCodes
	}
	for _, a := range codes {
		if a == code {
			return true
		}
	}
	e, ok := cause.(*TRPCError)
	return ok && e.Code == codeUnauthorized
}

// socketRefused records that the current socket was lost because its
// credentials were refused: the next attempt refreshes first. Refused again
// before any socket since the last refresh answered, it counts as a failed
// attempt (see authState.unproven); the first refusal retries at once.
func (c *Client) socketRefused(err *ClosedError) {
	c.auth.needed = true
	c.auth.refusal = err
	c.link.rejected = c.auth.unproven
}

// authHolds reports whether queued calls wait for a refresh and the socket
// after it instead of leaving on the active socket.
func (c *Client) authHolds() bool { return c.auth.asking || c.auth.moving }

// authProven records an answer on a current socket: the credentials work.
func (c *Client) authProven() { c.auth.unproven = false }

// askRefresh emits OutRefreshAuth for reason unless a refresh is already
// running: concurrent failures share one refresh.
func (c *Client) askRefresh(reason error, code int) {
	if c.auth.asking {
		return
	}
	if te, ok := reason.(*TRPCError); ok {
		reason = ParseError(slices.Clone(te.Raw)) // kept past this call: no slice of the frame
	}
	c.auth.asking = true
	c.auth.gen++
	c.auth.reason = reason
	c.emit(Output{Kind: OutRefreshAuth, Attempt: c.auth.gen, Err: reason, Code: code})
}

// dialOrRefresh makes the retry loop's attempt: it dials, or, when the
// server refused the credentials or a refresh is running, it waits for the
// refresh first (linkRefreshing) and AuthRefreshed dials.
func (c *Client) dialOrRefresh() {
	if c.auth.needed || c.auth.asking {
		c.link.phase = linkRefreshing
		var code int
		if ce, ok := c.auth.refusal.(*ClosedError); ok {
			code = ce.Code
		}
		c.askRefresh(c.auth.refusal, code)
		return
	}
	c.link.phase = linkDialing
	c.dial()
}

// authRetry handles a call that failed with err on socket k. With
// Config.RefreshAuth and an UNAUTHORIZED error, it starts a refresh (unless
// one is running, or k was opened before the last refresh, which already
// answers the failure) and, for a query, a subscription that may be sent
// again and (Config.RefreshRetryMutations) a mutation, queues the call
// again for the socket after the refresh and reports true: the call is
// retried once. A call that failed this way once goes to its caller.
func (c *Client) authRetry(now int64, r *request, err *TRPCError, k *conn) bool {
	if !c.cfg.RefreshAuth || err.Code != codeUnauthorized || r.authRetried || c.closing {
		return false
	}
	if k.authGen == c.auth.done {
		c.askRefresh(err, 0)
	}
	switch {
	case r.Method == Mutation && !c.cfg.RefreshRetryMutations:
		return false
	case r.Method == Subscription && (r.noResubscribe || r.movingTo != nil || len(r.stoppedOn) > 0):
		// Not sent again, or in a move: it ends with the error.
		return false
	}
	if r.Method == Subscription {
		n := c.resend(now, r)
		n.authRetried, n.started = true, r.started
	} else {
		r.authRetried = true
		c.enqueue(now, r)
	}
	c.closeIfDrained(k)
	return true
}

// retryRefused queues query or mutation r again, once, when the socket it
// was in flight on was lost because the server refused its credentials:
// the server did not run it (createContext threw) or ended the connection
// for auth, so it waits for the socket after the refresh. A mutation only
// with Config.RefreshRetryMutations. It reports whether r was queued.
func (c *Client) retryRefused(r *request) bool {
	if r.authRetried || c.closing || (r.Method == Mutation && !c.cfg.RefreshRetryMutations) {
		return false
	}
	r.authRetried = true
	r.state = reqOutgoing
	r.sock, r.movingTo, r.seenWhileMoving, r.repeatsDue, r.stoppedOn = nil, nil, nil, nil, nil
	c.outgoing = append(c.outgoing, r)
	return true
}

// AuthRefreshed answers OutRefreshAuth number attempt (its Attempt): err is
// what the user's refresh function returned, nil when it succeeded. On
// success the client moves to a new socket, dialled now and opened with
// fresh connection params (make-before-break when the old socket still
// serves, as for the server's reconnect request), and the calls that
// waited are sent there. On failure they fail with an *AuthRefreshError;
// when the refresh stood for a connection attempt, it counts as a failed
// one (Config.MaxAttempts) and the retry loop goes on. An answer the core
// no longer waits for (Close came first, or a later refresh began) is
// ignored.
func (c *Client) AuthRefreshed(now int64, attempt int, err error) {
	c.enter(now)
	defer c.settle()
	if !c.auth.asking || attempt != c.auth.gen {
		return
	}
	c.auth.asking = false
	reason := c.auth.reason
	c.auth.reason = nil
	if err != nil {
		c.refreshFailed(now, &AuthRefreshError{Err: err, Reason: reason})
		return
	}
	c.auth.needed, c.auth.refusal = false, nil
	c.auth.done++
	c.auth.unproven = true
	c.auth.moving = true
	if k := c.next; k != nil {
		// Dialled before the refresh: its connection params may be the
		// old ones. A new socket takes its place.
		c.closeConn(k, CloseNormal)
		c.dial()
		return
	}
	switch {
	case c.link.phase == linkRefreshing:
		c.link.phase = linkDialing
		c.dial()
	case c.link.phase == linkIdle && c.usable(c.active):
		c.reconnect(now, nil, 0)
	case c.link.phase == linkIdle && len(c.outgoing) > 0:
		c.open(now)
	}
	// Otherwise the retry loop waits: the calls wait for the socket it opens.
}

// refreshFailed fails the calls that waited for the refresh with err and
// lets the others leave on the active socket; a refresh that stood for a
// connection attempt counts as a failed one.
func (c *Client) refreshFailed(now int64, err *AuthRefreshError) {
	held := c.outgoing
	c.outgoing = nil
	for _, r := range held {
		if r.authRetried {
			c.finish(r, Output{Kind: OutError, ID: r.callID, Err: err})
		} else {
			c.outgoing = append(c.outgoing, r)
		}
	}
	if c.link.phase == linkRefreshing {
		c.failed()
		c.link.phase = linkIdle
		c.retryFailed(now, err)
	}
	c.releaseHeld()
}

// releaseHeld lets queued calls leave on the active socket once nothing
// holds them any more.
func (c *Client) releaseHeld() {
	if !c.authHolds() && len(c.outgoing) > 0 && c.usable(c.active) && !c.closing {
		c.wantWrite(c.active)
	}
}

// moveAbandoned ends a refresh's wait for its socket: the attempt failed
// while the old socket still serves, so calls leave there (a call retried
// after UNAUTHORIZED that fails so again goes to its caller).
func (c *Client) moveAbandoned() {
	if c.auth.moving {
		c.auth.moving = false
		c.releaseHeld()
	}
}

// authReset forgets a running refresh (Close, giving up): its answer will
// be ignored; a refusal still makes the next connection refresh first.
func (c *Client) authReset() {
	c.auth.asking = false
	c.auth.moving = false
	c.auth.reason = nil
}
