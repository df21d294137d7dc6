package core

// The retry loop: which attempt comes next, how long to wait for it, and
// asking the driver when the user supplied the policy.

// linkPhase is where the retry loop stands.
type linkPhase uint8

const (
	linkIdle    linkPhase = iota // no retry loop (a dial of open may run: c.next)
	linkAsking                   // OutRetry emitted: waiting for Retry
	linkBackoff                  // waiting for the retry timer
	linkDialing                  // c.next was dialled by the retry loop
)

// link is the connection the client wants and the retry loop that keeps
// it: the reconnect state, with its data.
type link struct {
	phase   linkPhase
	wanted  bool // a connection is wanted: false after Close until the next request
	attempt int  // index of the attempt asked for, scheduled or running
	opened  int  // index of the attempt that opened the current connection
	// rejected: the server sent an id:null error on the current
	// connection and no answer since, so the next attempt index keeps
	// growing instead of starting at 0.
	rejected bool
	// pendingErr is why the client reconnects while an older socket still
	// serves (restored after its replacement was lost): reported once no
	// socket is left.
	pendingErr error
}

// connected records that the socket dialled last became active.
func (l *link) connected() {
	if l.phase == linkDialing {
		l.opened = l.attempt
	}
	l.phase = linkIdle
	l.pendingErr = nil
}

// stop ends the retry loop (Close).
func (l *link) stop() {
	l.wanted = false
	l.phase = linkIdle
	l.pendingErr = nil
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

// reconnect starts the retry loop; closedErr is why the active socket was
// lost, or nil when it is still open (a server-requested reconnect).
func (c *Client) reconnect(now int64, closedErr error) {
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
	attempt := 0
	if c.link.rejected {
		attempt = c.link.opened + 1
	}
	c.scheduleDial(now, attempt, closedErr)
}

// scheduleDial plans attempt number attempt: it asks the driver for the
// delay when configured to, else waits ExponentialBackoff(attempt).
func (c *Client) scheduleDial(now int64, attempt int, cause error) {
	c.link.attempt = attempt
	if c.cfg.AskRetry {
		c.link.phase = linkAsking
		c.emit(Output{Kind: OutRetry, Attempt: attempt, Err: cause})
		return
	}
	c.retryAfter(now, ExponentialBackoff(attempt))
}

// retryAfter dials in delayMs, or at once when it is not positive.
func (c *Client) retryAfter(now int64, delayMs int64) {
	if delayMs <= 0 {
		c.link.phase = linkDialing
		c.dial()
		return
	}
	c.link.phase = linkBackoff
	c.retryAt.set(now + delayMs)
}

// Retry answers the OutRetry for attempt: dial it after delayMs (at once
// when not positive). An answer to an attempt the core no longer waits for
// (the client was closed, or connected meanwhile) is ignored.
func (c *Client) Retry(now int64, attempt int, delayMs int64) {
	c.enter(now)
	defer c.settle()
	if c.link.phase != linkAsking || attempt != c.link.attempt {
		return
	}
	c.retryAfter(now, delayMs)
}

// attemptFailed handles a dial that failed before the socket was ready.
func (c *Client) attemptFailed(now int64, cause error) {
	err := &ClosedError{Message: "Initialization error", Cause: cause}
	if !c.link.wanted {
		c.link.phase = linkIdle
		return
	}
	if c.link.phase != linkDialing {
		// The first attempt of open(): start the retry loop.
		c.reconnect(now, err)
		return
	}
	if c.usable(c.active) {
		c.link.pendingErr = err
	} else {
		c.setState(StateConnecting, err)
	}
	c.scheduleDial(now, c.link.attempt+1, err)
}

// retryDue runs the retry timer.
func (c *Client) retryDue(now int64) {
	if !c.retryAt.due(now) {
		return
	}
	c.retryAt.stop() // Close stops it: a connection is still wanted
	c.link.phase = linkDialing
	c.dial()
}
