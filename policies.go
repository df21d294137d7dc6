package trpcws

import (
	"context"
	"errors"
	"log/slog"
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

// TimeoutError ends a call that got no answer within Options.RequestTimeout
// (errors.Is(err, context.DeadlineExceeded) is true), or a connection
// attempt that did not open within Options.ConnectTimeout.
type TimeoutError = core.TimeoutError

// GaveUpError is why the client stopped reconnecting (RetryOptions): the
// state's error, and the error of every call and subscription it ended.
// It names the cause, and matches ErrConnectionClosed.
type GaveUpError = core.GaveUpError

// ErrQueueFull fails a call made while Options.MaxQueued calls already wait
// for a connection.
var ErrQueueFull = core.ErrQueueFull

// deadlineError makes a request timeout match context.DeadlineExceeded.
type deadlineError struct{ err error }

func (e *deadlineError) Error() string        { return e.err.Error() }
func (e *deadlineError) Unwrap() error        { return e.err }
func (e *deadlineError) Is(target error) bool { return target == context.DeadlineExceeded }

// callError maps a core error for the caller.
func callError(err error) error {
	if errors.Is(err, core.ErrTimeout) {
		return &deadlineError{err}
	}
	return err
}

// Stats is a snapshot of the client's connection and traffic.
type Stats struct {
	State         State
	SocketsOpened int64 // sockets that opened
	Reconnects    int64 // sockets that replaced a lost or moved one
	Attempt       int   // index of the current or next connection attempt
	Queued        int   // calls waiting for a socket
	InFlight      int   // calls sent, awaiting their answer
	Subscriptions int   // live subscriptions
	FramesIn      int64
	FramesOut     int64
	BytesIn       int64
	BytesOut      int64
	// LastPingRTT is the round trip of the last keep-alive PING; 0 when
	// none came back yet.
	LastPingRTT time.Duration
	// ConnectedAt is when the socket in use opened; zero when not connected.
	ConnectedAt time.Time
}

// Stats returns a snapshot of the client's connection and traffic.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	s := c.core.Stats()
	c.mu.Unlock()
	st := Stats{
		State: s.State, SocketsOpened: s.SocketsOpened, Reconnects: s.Reconnects, Attempt: s.Attempt,
		Queued: s.Queued, InFlight: s.InFlight, Subscriptions: s.Subscriptions,
		FramesIn: s.FramesIn, FramesOut: s.FramesOut, BytesIn: s.BytesIn, BytesOut: s.BytesOut,
	}
	if s.LastPingRttMs >= 0 {
		st.LastPingRTT = time.Duration(s.LastPingRttMs) * time.Millisecond
	}
	if s.ConnectedAt >= 0 {
		st.ConnectedAt = c.epoch.Add(time.Duration(s.ConnectedAt) * time.Millisecond)
	}
	return st
}

// Reconnect asks for a new connection now: while waiting to retry, the next
// attempt starts at once; when connected, the client moves to a new socket
// make-before-break, as when the server asks it to (no subscription event
// lost or delivered twice). Otherwise it does nothing. It does not wait.
func (c *Client) Reconnect() {
	c.do(func(now int64) { c.core.Reconnect(now) })
}

// askRetry answers the core's OutRetry with the user's ShouldRetry and
// RetryDelay; c.mu is not held.
func (c *Client) askRetry(o *core.Output) {
	a := core.RetryAnswer{Attempt: o.Attempt, DelayMs: core.ExponentialBackoff(o.Attempt)}
	if f := c.opts.Retry.ShouldRetry; f != nil {
		info := RetryInfo{Attempt: o.Attempt, Err: o.Err}
		var ce *core.ClosedError
		if errors.As(o.Err, &ce) && ce.Code != 0 {
			info.Code = ce.Code
		}
		info.Reason = closeReason(o.Err)
		ok := true
		c.guard("ShouldRetry", func() { ok = f(info) })
		a.GiveUp = !ok
	}
	if !a.GiveUp && c.opts.RetryDelay != nil {
		a.DelayMs = c.retryDelay(o.Attempt)
	}
	c.do(func(now int64) { c.core.Retry(now, a) })
}

// logNote forwards a core note or state change to Options.Logger.
func (c *Client) logNote(o *core.Output) {
	l := c.opts.Logger
	if l == nil {
		return
	}
	ctx := context.Background()
	attrs := make([]slog.Attr, 0, 4)
	msg := "trpcws: " + o.Note.String()
	switch o.Kind {
	case core.OutState:
		msg = "trpcws: state"
		attrs = append(attrs, slog.String("state", o.State.String()))
	case core.OutNote:
		switch o.Note {
		case core.NoteAttempt:
			attrs = append(attrs, slog.Int("attempt", o.Attempt), slog.Duration("delay", time.Duration(o.DelayMs)*time.Millisecond))
		case core.NoteOpen:
			attrs = append(attrs, slog.Int("socket", int(o.Sock)))
		case core.NoteClose:
			attrs = append(attrs, slog.Int("socket", int(o.Sock)), slog.Int("code", o.Code))
		case core.NoteTimeout:
			if o.ID != 0 {
				attrs = append(attrs, slog.Int64("call", o.ID))
			} else {
				attrs = append(attrs, slog.Int("socket", int(o.Sock)))
			}
		case core.NoteQueueFull:
			attrs = append(attrs, slog.Int64("call", o.ID))
		}
	}
	if o.Err != nil {
		attrs = append(attrs, slog.String("err", o.Err.Error()))
	}
	l.LogAttrs(ctx, slog.LevelDebug, msg, attrs...)
}

// validate checks the options NewClient cannot fix.
func (o *Options) validate() error {
	switch {
	case o.URL == "" && o.URLFunc == nil:
		return errors.New("trpcws: Options.URL or Options.URLFunc is required")
	case o.Retry.MaxAttempts < 0:
		return errors.New("trpcws: Options.Retry.MaxAttempts is negative")
	case o.Retry.MinUptime < 0:
		return errors.New("trpcws: Options.Retry.MinUptime is negative")
	case o.ConnectTimeout < 0:
		return errors.New("trpcws: Options.ConnectTimeout is negative")
	case o.RequestTimeout < 0:
		return errors.New("trpcws: Options.RequestTimeout is negative")
	case o.MaxQueued < 0:
		return errors.New("trpcws: Options.MaxQueued is negative")
	case o.Lazy.CloseAfter < 0:
		return errors.New("trpcws: Options.Lazy.CloseAfter is negative")
	case o.KeepAlive.Interval < 0:
		return errors.New("trpcws: Options.KeepAlive.Interval is negative")
	case o.KeepAlive.PongTimeout < 0:
		return errors.New("trpcws: Options.KeepAlive.PongTimeout is negative")
	}
	return nil
}

// ms rounds a positive duration up to whole milliseconds, so that 1 ns
// still means a limit.
func ms(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}
