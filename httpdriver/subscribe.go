package httpdriver

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/trpcws/trpcws/core"
	"github.com/trpcws/trpcws/httpwire"
	"github.com/trpcws/trpcws/sink"
)

// Sink receives one subscription's outputs: sink.Sink, the type wsdriver
// takes too. Subscribe calls it on its own goroutine, holding no lock.
type Sink = sink.Sink

// SubscribeOptions configures one subscription.
type SubscribeOptions struct {
	// LastEventID resumes after that event.
	LastEventID string
	// ConnectionParams, when not nil, is sent as connectionParams.
	ConnectionParams []byte
	// ConnectionParamsFunc, when set, is called before every connection of
	// the stream (the first and each reconnect) instead of using
	// ConnectionParams, with Subscribe's ctx (ended with the subscription
	// or by Close), on Subscribe's goroutine; its result (JSON) is sent as
	// connectionParams. An error fails that connection, which is retried
	// after the backoff as a drop is (State(core.StateConnecting, err) with
	// the error as the *core.ClosedError's Cause), whatever its type.
	ConnectionParamsFunc func(ctx context.Context) ([]byte, error)
	// Header is added to every request of the stream, after Options.Header.
	Header http.Header
	// RetryDelay returns the wait before reconnect attempt n (1 for the
	// first); nil means core.ExponentialBackoff, the WebSocket client's
	// default.
	RetryDelay func(attempt int) time.Duration
	// Resume, when set, makes the input of a stream that resumes after the
	// tracked event lastEventID, instead of lastEventId being added to the
	// input: the owner of a data transformer adds it before serializing,
	// as httpSubscriptionLink does (the server does not look inside a
	// transformed input). An error ends the subscription with it.
	Resume func(lastEventID string) ([]byte, error)
	// DecodeError, when set, turns a *core.TRPCError the server sent (a
	// serialized-error event, or an error answering the stream's request)
	// into the error the subscription gets, before it is told apart as
	// retryable by its code: a data transformer's server transforms its
	// errors, whose code reads UNKNOWN until they are decoded.
	DecodeError func(*core.TRPCError) error
}

// ErrInactive is why a stream was reopened when the server sent nothing
// (not even a ping) for its reconnectAfterInactivityMs.
var ErrInactive = errors.New("httpdriver: event stream inactive")

// Subscribe runs a subscription to path with input (JSON, nil for none),
// delivering to sink, and returns once it has ended: the owner runs it on
// a goroutine of its own, and ends it with ctx (or Close ends it). sink
// gets, in order:
//   - State(core.StateConnecting, nil) first;
//   - on every "connected" event, State(core.StatePending, nil) and
//     Started (again after a resume);
//   - Event for every event;
//   - before the stream is reopened after a drop, a retryable error or an
//     inactive stream (ErrInactive), State(core.StateConnecting, err) with
//     a *core.ClosedError whose Cause is why; the stream is then resumed
//     after the last tracked event, following the backoff;
//   - last, Complete(false) when the server completed the subscription,
//     Complete(true) when ctx ended (the owner unsubscribed) or Close
//     began, or Error with the *core.TRPCError of a code the reference
//     does not retry.
//
// Once Close has begun it returns Options.ErrClosed at once, calling no
// sink method; otherwise it returns nil, after the sink's last call.
func (c *Client) Subscribe(ctx context.Context, path string, input []byte, opts SubscribeOptions, sink Sink) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return c.opts.ErrClosed
	}
	c.enter() // Close waits for the sink's last call
	c.mu.Unlock()
	defer c.leave()
	ctx, stop := c.withLife(ctx)
	defer stop()
	sink.State(core.StateConnecting, nil)
	err := c.run(ctx, path, input, opts, sink)
	switch {
	case err == nil:
		sink.Complete(false)
	case ctx.Err() != nil:
		sink.Complete(true)
	default:
		sink.Error(err)
	}
	return nil
}

// run reconnects the event stream until the subscription ends, and returns
// why: nil when the server completed it, a non-retryable *core.TRPCError,
// or ctx's error.
func (c *Client) run(ctx context.Context, path string, input []byte, opts SubscribeOptions, sink Sink) error {
	last := opts.LastEventID
	attempt := 0
	for {
		started, err := c.stream(ctx, path, input, &last, opts, sink)
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		}
		var te *core.TRPCError
		var pe *paramsError
		switch {
		case errors.As(err, &pe):
			err = pe.err // retried, even a *core.TRPCError
		case errors.As(err, &te) && !retryableErr(err):
			return err
		}
		var re *resumeError
		if errors.As(err, &re) {
			return re.err
		}
		if started {
			attempt = 0
		}
		attempt++
		sink.State(core.StateConnecting, &core.ClosedError{Message: "event stream lost", Cause: err})
		d := time.Duration(core.ExponentialBackoff(attempt)) * time.Millisecond
		if opts.RetryDelay != nil {
			d = opts.RetryDelay(attempt)
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

type retryError struct{ err *core.TRPCError }

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

func retryableErr(err error) bool {
	var r *retryError
	return errors.As(err, &r)
}

// paramsError is SubscribeOptions.ConnectionParamsFunc's error: retried.
type paramsError struct{ err error }

func (e *paramsError) Error() string { return e.err.Error() }

// resumeError is SubscribeOptions.Resume's error: not retried.
type resumeError struct{ err error }

func (e *resumeError) Error() string { return e.err.Error() }

// stream runs one event stream. It returns nil when the server completed
// the subscription; started tells whether the server started it.
func (c *Client) stream(ctx context.Context, path string, input []byte, last *string, opts SubscribeOptions, sink Sink) (started bool, err error) {
	resume := *last
	if opts.Resume != nil && resume != "" {
		if input, err = opts.Resume(resume); err != nil {
			return false, &resumeError{err}
		}
		resume = ""
	}
	params := opts.ConnectionParams
	if opts.ConnectionParamsFunc != nil {
		if params, err = opts.ConnectionParamsFunc(ctx); err != nil {
			return false, &paramsError{err}
		}
	}
	u, err := httpwire.SubscriptionURL(c.opts.URL, path, input, resume, params)
	if err != nil {
		return false, &core.TRPCError{Code: "BAD_REQUEST", Message: err.Error()}
	}
	sctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(sctx, http.MethodGet, u, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if err := c.addHeaders(ctx, req, opts.Header); err != nil {
		return false, err
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return false, err
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); res.StatusCode != http.StatusOK || len(ct) < 17 || ct[:17] != "text/event-stream" {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		if rs, perr := httpwire.Parse(b, 1); perr == nil && rs[0].Err != nil {
			if opts.DecodeError != nil {
				return false, opts.DecodeError(rs[0].Err)
			}
			return false, rs[0].Err
		}
		return false, errors.New("httpdriver: event stream answered HTTP " + res.Status)
	}
	// The inactivity watchdog: reset on every event, armed by "connected".
	var idle *time.Timer
	var idleFor time.Duration
	defer func() {
		if idle != nil {
			idle.Stop()
		}
	}()
	p := httpwire.SSEParser{Limit: c.opts.ReadLimit}
	buf := make([]byte, 32<<10)
	var evs []httpwire.SSEEvent
	for {
		n, rerr := res.Body.Read(buf)
		var ferr error // past ReadLimit: reopened as after a drop
		evs, ferr = p.Feed(evs[:0], buf[:n])
		for _, ev := range evs {
			if idle != nil {
				idle.Reset(idleFor)
			}
			m, ierr := httpwire.Interpret(ev)
			if ierr != nil {
				return started, ierr
			}
			switch m.Kind {
			case httpwire.KindStarted:
				started = true
				if m.InactivityMs > 0 && idle == nil {
					idleFor = time.Duration(m.InactivityMs) * time.Millisecond
					idle = time.AfterFunc(idleFor, func() { cancel(ErrInactive) })
				}
				sink.State(core.StatePending, nil)
				sink.Started()
			case httpwire.KindData:
				if m.Tracked {
					*last = m.ID
				}
				sink.Event(m.Data, m.ID, m.Tracked)
			case httpwire.KindDone:
				return started, nil
			case httpwire.KindError:
				if opts.DecodeError != nil {
					err := opts.DecodeError(m.Err)
					if te, ok := err.(*core.TRPCError); ok && httpwire.Retryable(te.Code) {
						return started, &retryError{te}
					}
					return started, err
				}
				if m.Retry {
					return started, &retryError{m.Err}
				}
				return started, m.Err
			}
		}
		if ferr != nil {
			return started, ferr
		}
		if rerr != nil {
			if cause := context.Cause(sctx); cause != nil && ctx.Err() == nil {
				return started, cause
			}
			if rerr == io.EOF {
				return started, io.ErrUnexpectedEOF
			}
			return started, rerr
		}
	}
}
