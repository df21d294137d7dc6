package core

// The retry loop: which attempt comes next, how long to wait for it, asking
// the driver when the user supplied the policy, giving up, and the network
// hints that make it hurry or hold.

// linkPhase is where the retry loop stands.
type linkPhase uint8

const (
	linkIdle       linkPhase = iota // no retry loop (a dial of open may run: c.next)
	linkAsking                      // OutRetry emitted: waiting for Retry
	linkBackoff                     // waiting for the retry timer (or, offline, for Online)
	linkDialing                     // c.next was dialled by the retry loop
	linkRefreshing                  // an attempt waits for the auth refresh (auth.go) before it dials
)

// link is the connection the client wants and the retry loop that keeps
// it: the reconnect state, with its data.
type link struct {
	phase    linkPhase
	wanted   bool  // a connection is wanted: false after Close until the next request
	attempt  int   // index of the attempt asked for, scheduled or running
	opened   int   // index of the attempt that opened the current connection
	openedAt int64 // when the current connection opened
	// rejected: the server sent an id:null error on the current
	// connection and no answer since, so the next attempt index keeps
	// growing instead of starting at 0.
	rejected bool
	failures int  // attempts in a row that failed (Config.MaxAttempts)
	offline  bool // the network is down (Offline): no attempt is spent
	// suspended: Suspend was called, and no Wake or Online since: no
	// socket is dialled (see suspend.go).
	suspended bool
	cause     error // what the pending OutRetry asked about
	// pendingErr is why the client reconnects while an older socket still
	// serves (restored after its replacement was lost): reported once no
	// socket is left.
	pendingErr error
}

// RetryAnswer answers an OutRetry.
type RetryAnswer struct {
	// Attempt is the Attempt of the OutRetry answered.
	Attempt int
	// DelayMs is how long to wait before the attempt; not positive: at once.
	DelayMs int64
	// GiveUp stops reconnecting instead (a user shouldRetry said no): the
	// client goes idle with a *GaveUpError, as when Config.MaxAttempts is
	// reached.
	GiveUp bool
}

// ExponentialBackoff is the reference client's default retry delay:
// 0 for the first attempt, then min(1000·2^attempt, 30000) milliseconds.
func ExponentialBackoff(attempt int) int64 {
	if attempt <= 0 {
		return 0
	}
	if attempt >= 5 {
		return 30000
	}
	return int64(min(1000<<attempt, 30000))
}

// connected records that socket k, dialled last, became active.
func (c *Client) connected(now int64) {
	if c.link.phase == linkDialing {
		c.link.opened = c.link.attempt
		c.stats.reconnects++
	}
	c.link.phase = linkIdle
	c.link.pendingErr = nil
	c.link.openedAt = now
	if n := c.cfg.MaxConnectionAgeMs; n > 0 && c.active != nil {
		at := now + n
		if c.cfg.MaxAgeJitter != nil {
			at += c.cfg.MaxAgeJitter(n/10 + 1)
		}
		c.active.maxAge.set(at)
	}
	c.auth.moving = false // a socket opened since the refresh serves now
}

// nextAttempt is the attempt index after the current connection: 0 unless
// the server rejected it, or (lostAfter) it closed within MinUptimeMs; a
// short-lived connection also counts as a failed attempt.
func (c *Client) nextAttempt(now int64, lostAfter bool) int {
	short := c.link.rejected
	if lostAfter && c.cfg.MinUptimeMs > 0 && now-c.link.openedAt < c.cfg.MinUptimeMs {
		short = true
	}
	if !short {
		if lostAfter {
			c.link.failures = 0
		}
		return 0
	}
	if lostAfter {
		c.failed()
	}
	return c.link.opened + 1
}

// failed counts a failed attempt, unless the network is known to be down.
func (c *Client) failed() {
	if !c.link.offline {
		c.link.failures++
	}
}

// reconnect starts the retry loop at attempt; closedErr is why the active
// socket was lost, or nil when it is still open (a server-requested
// reconnect).
func (c *Client) reconnect(now int64, closedErr error, attempt int) {
	if !c.link.wanted {
		return
	}
	if closedErr != nil {
		err := closedErr
		if c.link.pendingErr != nil {
			err = c.link.pendingErr
		}
		c.link.pendingErr = nil
		c.setState(StateConnecting, err)
	}
	if c.link.phase != linkIdle {
		return
	}
	c.scheduleDial(now, attempt, closedErr)
}

// scheduleDial plans attempt number attempt: it gives up when MaxAttempts
// have failed, asks the driver for the delay when configured to, else
// waits ExponentialBackoff(attempt).
func (c *Client) scheduleDial(now int64, attempt int, cause error) {
	c.link.attempt = attempt
	if c.cfg.MaxAttempts > 0 && c.link.failures >= c.cfg.MaxAttempts {
		c.giveUp(now, cause)
		return
	}
	if c.cfg.AskRetry {
		c.link.phase = linkAsking
		c.link.cause = cause
		c.emit(Output{Kind: OutRetry, Attempt: attempt, Err: cause})
		return
	}
	c.retryAfter(now, ExponentialBackoff(attempt), cause)
}

// retryAfter dials in delayMs, or at once when it is not positive; while
// offline it waits for Online.
func (c *Client) retryAfter(now int64, delayMs int64, cause error) {
	c.note(Output{Note: NoteAttempt, Attempt: c.link.attempt, DelayMs: max(delayMs, 0), Err: cause})
	if delayMs <= 0 && !c.link.offline {
		c.dialOrRefresh()
		return
	}
	c.link.phase = linkBackoff
	if !c.link.offline {
		c.retryAt.set(now + delayMs)
	}
}

// Retry answers the OutRetry for a.Attempt. An answer to an attempt the
// core no longer waits for (the client was closed, reconnected or was told
// to Reconnect meanwhile) is ignored.
func (c *Client) Retry(now int64, a RetryAnswer) {
	c.enter(now)
	defer c.settle()
	if c.link.phase != linkAsking || a.Attempt != c.link.attempt {
		return
	}
	cause := c.link.cause
	c.link.cause = nil
	if a.GiveUp {
		c.link.failures = max(c.link.failures, 1)
		c.giveUp(now, cause)
		return
	}
	c.retryAfter(now, a.DelayMs, cause)
}

// attemptFailed handles a dial that failed before the socket was ready.
func (c *Client) attemptFailed(now int64, cause error) {
	err := &ClosedError{Message: "Initialization error", Cause: cause}
	if !c.link.wanted {
		c.link.phase = linkIdle
		return
	}
	c.failed()
	if _, bad := cause.(*URLError); bad {
		// It would fail the same way every time: no retry loop.
		c.link.failures = max(c.link.failures, 1)
		c.giveUp(now, err)
		return
	}
	if c.link.phase != linkDialing {
		// The first attempt of open(): start the retry loop.
		c.reconnect(now, err, c.nextAttempt(now, false))
		return
	}
	c.retryFailed(now, err)
}

// retryFailed reports err, why the attempt failed, and plans the next.
func (c *Client) retryFailed(now int64, err error) {
	if c.usable(c.active) {
		c.link.pendingErr = err
		c.moveAbandoned()
	} else {
		c.setState(StateConnecting, err)
	}
	attempt := c.link.attempt
	if !c.link.offline {
		attempt++
	}
	c.scheduleDial(now, attempt, err)
}

// retryDue runs the retry timer.
func (c *Client) retryDue(now int64) {
	if !c.retryAt.due(now) {
		return
	}
	c.retryAt.stop() // Close stops it: a connection is still wanted
	c.dialOrRefresh()
}

// giveUp stops the retry loop. Unless a socket still serves (a move that
// could not be made: the client stays on it), every call and subscription
// ends with a *GaveUpError and the client goes idle; the next request
// starts again from attempt 0.
func (c *Client) giveUp(now int64, cause error) {
	err := &GaveUpError{Attempts: c.link.failures, Cause: cause}
	c.link.phase = linkIdle
	c.link.failures = 0
	c.link.pendingErr = nil
	c.retryAt.stop()
	c.note(Output{Note: NoteGiveUp, Err: err})
	if c.usable(c.active) {
		c.moveAbandoned()
		return
	}
	c.authReset()
	c.link.wanted = false
	for _, r := range c.sortedAll() {
		if r.state == reqOutgoing {
			c.outgoing = deleteRequest(c.outgoing, r)
		}
		c.finish(r, Output{Kind: OutError, ID: r.callID, Err: err})
	}
	c.lazy.off()
	c.setState(StateIdle, err)
}

// Reconnect is the user asking for a new connection now: waiting in
// backoff, the next attempt starts at once; connected, the client moves to
// a new socket make-before-break, exactly as when the server asks (no
// event lost or duplicated, no second "started"). Otherwise it does
// nothing.
func (c *Client) Reconnect(now int64) {
	c.enter(now)
	defer c.settle()
	switch {
	case c.link.suspended:
	case c.link.phase == linkBackoff || c.link.phase == linkAsking:
		c.dialNow()
	case c.link.phase == linkIdle && c.next == nil && c.usable(c.active):
		c.move(now)
	}
}

// move starts a make-before-break move off the active socket.
func (c *Client) move(now int64) {
	attempt := 0
	if c.link.rejected {
		attempt = c.link.opened + 1
	}
	c.reconnect(now, nil, attempt)
}

// maxAgeDue runs Config.MaxConnectionAgeMs on the active socket: a move,
// unless a lazy client has nothing to do (it closes), or a move or
// reconnect is already under way (it stands).
func (c *Client) maxAgeDue(now int64) {
	k := c.active
	if !c.usable(k) || !k.maxAge.due(now) {
		return
	}
	k.maxAge.stop()
	switch {
	case c.closing || c.link.phase != linkIdle || c.next != nil:
	case c.cfg.Lazy && len(c.outgoing) == 0 && !c.hasPending():
		c.lazy.stop()
		c.close(now)
	default:
		c.move(now)
	}
}

// dialNow cuts a backoff short.
func (c *Client) dialNow() {
	c.retryAt.stop()
	c.link.cause = nil
	c.note(Output{Note: NoteAttempt, Attempt: c.link.attempt})
	c.dialOrRefresh()
}

// Offline tells the core the network is down (e.g. the browser's offline
// event): no attempt is made or counted until Online.
func (c *Client) Offline(now int64) {
	c.enter(now)
	defer c.settle()
	c.link.offline = true
	if c.link.phase == linkBackoff {
		c.retryAt.stop()
	}
}

// Online tells the core the network is back: a client waiting to retry
// attempts at once; a connected one with keep-alive checks its socket with
// a PING at once.
func (c *Client) Online(now int64) {
	c.enter(now)
	defer c.settle()
	c.link.offline = false
	c.wake(now)
}

// Wake tells the core the host woke up (a tab became visible, a page came
// back from the back/forward cache, the machine resumed): as Online,
// without changing what the core knows of the network.
func (c *Client) Wake(now int64) {
	c.enter(now)
	defer c.settle()
	c.wake(now)
}

func (c *Client) wake(now int64) {
	if c.link.suspended {
		c.resume(now)
	}
	if c.link.phase == linkBackoff && !c.link.offline {
		c.dialNow()
		return
	}
	if k := c.active; c.cfg.KeepAlive && c.usable(k) && !k.pong.on {
		c.sendPing(now, k)
	}
}
