package trpcws

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/trpcws/trpcws/core"
)

// RetryOptions limits reconnecting. The zero value retries forever, as the
// reference client does.
type RetryOptions struct {
	// MaxAttempts gives up once this many connection attempts in a row
	// have failed (the first connect counts as one; so does a socket the
	// server rejected or closed within MinUptime): the state goes idle with
	// a *GaveUpError, queued calls fail with it and subscriptions end with
	// it. The next call starts again from attempt 0. 0: no limit.
	MaxAttempts int
	// ShouldRetry, when set, is asked before every reconnect attempt;
	// false gives up as MaxAttempts does. It runs outside the client's lock
	// and may call the client; a panic counts as true.
	ShouldRetry func(RetryInfo) bool
	// MinUptime is how long a socket must stay open before the attempt
	// index goes back to 0, so that a server that accepts and closes at
	// once is retried with a growing delay. 0: any open socket resets it.
	MinUptime time.Duration
}

// RetryInfo is what ShouldRetry is told.
type RetryInfo struct {
	// Attempt is the index of the attempt about to run (from 0).
	Attempt int
	// Code and Reason are the close code and reason that ended the last
	// socket, when one was received.
	Code   int
	Reason string
	// Err is what ended the last socket or attempt (nil for a reconnect
	// the server asked for).
	Err error
}

// Jitter says how Backoff randomises its delays.
type Jitter int

// The jitters of Backoff.
const (
	NoJitter   Jitter = iota // exactly min(max, base·2^attempt)
	FullJitter               // uniform in [0, min(max, base·2^attempt)]
)

// ExponentialBackoff is the default RetryDelay, the reference client's: 0
// for the first attempt, then 2 s, 4 s, 8 s, 16 s and 30 s from then on.
func ExponentialBackoff(attempt int) time.Duration {
	return time.Duration(core.ExponentialBackoff(attempt)) * time.Millisecond
}

// Backoff returns a RetryDelay: 0 for attempt 0, then min(max, base·2^attempt),
// randomised by jitter. Backoff(time.Second, 30*time.Second, NoJitter) is
// ExponentialBackoff.
func Backoff(base, max time.Duration, jitter Jitter) func(attempt int) time.Duration {
	return func(attempt int) time.Duration {
		if attempt <= 0 || base <= 0 {
			return 0
		}
		d := max
		if attempt < 62 && base <= max>>attempt {
			d = base << attempt
		}
		if jitter == FullJitter && d > 0 {
			d = rand.N(d + 1)
		}
		return d
	}
}

// Reconnect asks for a new connection now: while waiting to retry, the next
// attempt starts at once; when connected, the client moves to a new socket
// make-before-break, as when the server asks it to (no subscription event
// lost or delivered twice). Otherwise it does nothing. It does not wait.
func (c *Client) Reconnect() {
	c.ws.Reconnect()
}

// askRetry answers the core's OutRetry with the user's ShouldRetry and
// RetryDelay; reason is the close reason of the socket that ended. No lock
// is held.
func (c *Client) askRetry(o *core.Output, reason string) core.RetryAnswer {
	a := core.RetryAnswer{Attempt: o.Attempt, DelayMs: core.ExponentialBackoff(o.Attempt)}
	if f := c.opts.Retry.ShouldRetry; f != nil {
		info := RetryInfo{Attempt: o.Attempt, Err: o.Err}
		var ce *core.ClosedError
		if errors.As(o.Err, &ce) && ce.Code != 0 {
			info.Code = ce.Code
		}
		info.Reason = reason
		ok := true
		c.guard("ShouldRetry", func() { ok = f(info) })
		a.GiveUp = !ok
	}
	if !a.GiveUp && c.opts.RetryDelay != nil {
		a.DelayMs = c.retryDelay(o.Attempt)
	}
	return a
}
