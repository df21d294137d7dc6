package httpdriver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/trpcws/trpcws/core"
	"github.com/trpcws/trpcws/httpwire"
)

// Event is one value of a subscription: Data as the subscriber gets it
// ({"id":…,"data":…} for a tracked event), with its tracked id.
type Event struct {
	Data    json.RawMessage
	ID      string
	Tracked bool
}

// SubscribeOptions holds a subscription's callbacks, called in order on
// the goroutine that runs Subscribe.
type SubscribeOptions struct {
	// LastEventID resumes after that event.
	LastEventID string
	// ConnectionParams, when not nil, is sent as connectionParams.
	ConnectionParams []byte
	// Header is added to every request of the stream, after Options.Header.
	Header http.Header
	// OnStarted is called on every "connected" event (again after a resume).
	OnStarted func()
	// OnData is called for every event.
	OnData func(Event)
	// OnReconnect is called before the stream is reopened after a drop, with
	// the attempt (1 for the first) and why.
	OnReconnect func(attempt int, why error)
	// RetryDelay returns the wait before reconnect attempt n; nil means
	// core.ExponentialBackoff, the WebSocket client's default.
	RetryDelay func(attempt int) time.Duration
}

// ErrInactive is why a stream was reopened when the server sent nothing
// (not even a ping) for its reconnectAfterInactivityMs.
var ErrInactive = errors.New("httpdriver: event stream inactive")

// Subscribe runs a subscription to path with input (JSON, nil for none)
// until the server completes it (nil), fails it with a code the reference
// does not retry (the *core.TRPCError), or ctx ends (ctx's error). A lost
// stream, a retryable error and an inactive stream are reconnected after
// the backoff, resuming after the last tracked event.
func (c *Client) Subscribe(ctx context.Context, path string, input []byte, opts SubscribeOptions) error {
	last := opts.LastEventID
	attempt := 0
	for {
		started, err := c.stream(ctx, path, input, &last, opts)
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		}
		var te *core.TRPCError
		if errors.As(err, &te) && !retryableErr(err) {
			return err
		}
		if started {
			attempt = 0
		}
		attempt++
		if opts.OnReconnect != nil {
			opts.OnReconnect(attempt, err)
		}
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

// stream runs one event stream. It returns nil when the server completed
// the subscription; started tells whether the server started it.
func (c *Client) stream(ctx context.Context, path string, input []byte, last *string, opts SubscribeOptions) (started bool, err error) {
	u, err := httpwire.SubscriptionURL(c.opts.URL, path, input, *last, opts.ConnectionParams)
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
	var p httpwire.SSEParser
	buf := make([]byte, 32<<10)
	var evs []httpwire.SSEEvent
	for {
		n, rerr := res.Body.Read(buf)
		evs = p.Feed(evs[:0], buf[:n])
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
				if opts.OnStarted != nil {
					opts.OnStarted()
				}
			case httpwire.KindData:
				if m.Tracked {
					*last = m.ID
				}
				if opts.OnData != nil {
					opts.OnData(Event{Data: m.Data, ID: m.ID, Tracked: m.Tracked})
				}
			case httpwire.KindDone:
				return started, nil
			case httpwire.KindError:
				if m.Retry {
					return started, &retryError{m.Err}
				}
				return started, m.Err
			}
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
