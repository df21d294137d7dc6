package trpcws

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"unicode/utf8"

	"github.com/trpcws/trpcws/core"
	"github.com/trpcws/trpcws/httpdriver"
	"github.com/trpcws/trpcws/wsdriver"
)

// Client is a tRPC WebSocket client. Create it with NewClient; it is safe
// for concurrent use.
type Client struct {
	opts Options
	ws   *wsdriver.Client // the WebSocket transport (package wsdriver)

	// gone is set when Close gave up waiting: no further user callback starts.
	gone atomic.Bool

	// Goroutines the client started, which Close waits for; own lock, so
	// that they can be started from anywhere.
	lmu  sync.Mutex
	live int           // still running
	idle chan struct{} // closed when live drops to 0

	notes notifier // the client-wide callbacks, run in order off every lock

	// hc carries calls and subscriptions when the URL is http(s):// (see
	// http.go); nil for the WebSocket.
	hc       *httpdriver.Client
	httpSubs bool // subscriptions go over SSE too (not with Options.HTTPURL)
	// actx is Options.RefreshAuth's ctx (nil without it): acancel ends it
	// when Close begins.
	actx    context.Context
	acancel context.CancelFunc

	// The interceptors' chains (interceptor.go); nil without interceptors.
	unary        UnaryFunc
	subscription SubscriptionFunc
}

// NewClient returns a client for opts. Unless opts.Lazy.Enabled is set it
// starts connecting at once, in the background.
func NewClient(opts Options) (*Client, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	c := &Client{opts: opts, idle: make(chan struct{})}
	close(c.idle)
	c.notes.c = c
	cfg := core.Config{
		Lazy:                opts.Lazy.Enabled,
		LazyCloseMs:         opts.Lazy.CloseAfter.Milliseconds(),
		KeepAlive:           opts.KeepAlive.Enabled,
		KeepAliveIntervalMs: opts.KeepAlive.Interval.Milliseconds(),
		PongTimeoutMs:       opts.KeepAlive.PongTimeout.Milliseconds(),
		// Answered by askRetry, outside the driver's lock.
		AskRetry:         opts.RetryDelay != nil || opts.Retry.ShouldRetry != nil,
		MaxAttempts:      opts.Retry.MaxAttempts,
		MinUptimeMs:      ms(opts.Retry.MinUptime),
		ConnectTimeoutMs: ms(opts.ConnectTimeout),
		RequestTimeoutMs: ms(opts.RequestTimeout),
		MaxQueued:        opts.MaxQueued,
		Events:           opts.Logger != nil,
		// Answered by refreshAuth, on its own goroutine.
		RefreshAuth:           opts.RefreshAuth != nil,
		AuthCloseCodes:        opts.RefreshAuthCloseCodes,
		RefreshRetryMutations: opts.RefreshAuthRetryMutations,
	}
	if opts.MaxConnectionAge > 0 {
		cfg.MaxConnectionAgeMs = ms(opts.MaxConnectionAge)
		cfg.MaxAgeJitter = rand.Int64N
	}
	if err := c.useHTTP(&cfg); err != nil {
		return nil, err
	}
	if opts.RefreshAuth != nil {
		c.actx, c.acancel = context.WithCancel(context.Background())
	}
	c.chains()
	c.ws = wsdriver.New(c.wsOptions(cfg))
	return c, nil
}

// retryDelay calls Options.RetryDelay, treating a panic as the default
// backoff. No lock is held.
func (c *Client) retryDelay(attempt int) (ms int64) {
	defer func() {
		if r := recover(); r != nil {
			err := &PanicError{Callback: "RetryDelay", Value: r}
			c.logPanic(err)
			c.report(err)
			ms = core.ExponentialBackoff(attempt)
		}
	}()
	return c.opts.RetryDelay(attempt).Milliseconds()
}

// State returns the current connection state. It never blocks on the
// network and may be called from any callback.
func (c *Client) State() ConnectionState {
	st, err := c.ws.State()
	return ConnectionState{State: st, Err: err}
}

func (c *Client) isClosed() bool { return c.ws.Closed() }

// goLive runs fn on a goroutine that Close waits for.
func (c *Client) goLive(fn func()) {
	c.lmu.Lock()
	if c.live == 0 {
		c.idle = make(chan struct{})
	}
	c.live++
	c.lmu.Unlock()
	go func() {
		defer func() {
			c.lmu.Lock()
			c.live--
			if c.live == 0 {
				close(c.idle)
			}
			c.lmu.Unlock()
		}()
		fn()
	}()
}

// report passes err to Options.OnError, on the callbacks' goroutine.
func (c *Client) report(err error) {
	if c.opts.OnError != nil {
		c.notes.add(note{kind: noteError, err: err})
	}
}

// guard calls a user callback, turning a panic into a *PanicError that
// is logged (Options.Logger, at slog.LevelError) and passed to
// Options.OnError; a panicking OnError is only logged. Once Close has given
// up waiting, callbacks are no longer called.
func (c *Client) guard(name string, fn func()) {
	c.try(name, fn)
}

// try is guard that also returns the *PanicError, or nil when fn returned.
func (c *Client) try(name string, fn func()) (pe *PanicError) {
	if c.gone.Load() {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			pe = &PanicError{Callback: name, Value: r}
			if name != "Logger" {
				c.logPanic(pe)
			}
			if name != "OnError" {
				c.report(pe)
			}
		}
	}()
	fn()
	return nil
}

// Query calls a query procedure. input is sent as JSON: nil leaves it out,
// a json.RawMessage is sent as is, anything else goes through
// json.Marshal. A path or a json.RawMessage that is not valid UTF-8 is an
// error, and nothing is sent. The result is the raw JSON of the procedure's return value
// (nil when it returned nothing). Cancelling ctx abandons the call without
// touching the socket: a call not yet sent is never sent.
//
// A failed call returns a *TRPCError sent by the server, an error matching
// ErrConnectionClosed when the socket was lost or the client closed first,
// or ctx's error. A nil ctx panics at once, as in the standard library,
// before the client is touched.
func (c *Client) Query(ctx context.Context, path string, input any) (json.RawMessage, error) {
	mustContext(ctx, "Query")
	return c.call(ctx, core.Query, path, input)
}

// Mutation calls a mutation procedure; see Query. A mutation whose socket is
// lost is not retried: it may have run. A nil ctx panics, as for Query.
func (c *Client) Mutation(ctx context.Context, path string, input any) (json.RawMessage, error) {
	mustContext(ctx, "Mutation")
	return c.call(ctx, core.Mutation, path, input)
}

func (c *Client) call(ctx context.Context, m core.Method, path string, input any) (json.RawMessage, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	raw, err := marshalInput(input)
	if err != nil {
		return nil, err
	}
	if c.unary != nil {
		return c.intercepted(ctx, m, path, raw)
	}
	return c.send(ctx, m, path, raw, nil)
}

// send runs a checked call on its transport; header goes on its HTTP
// request (interceptors' Request.Header).
// With Options.Transformer, the input is serialized here and the result
// or error deserialized: below the interceptors, as tRPC's terminating
// link does.
func (c *Client) send(ctx context.Context, m core.Method, path string, raw []byte, header http.Header) (json.RawMessage, error) {
	raw, err := c.serialize(path, raw)
	if err != nil {
		return nil, err
	}
	var data json.RawMessage
	if c.hc != nil {
		data, err = c.httpCall(ctx, m, path, raw, header)
	} else {
		data, err = c.ws.Call(ctx, m, path, raw)
		err = callError(err)
	}
	if err != nil {
		return nil, c.deserializeError(path, err)
	}
	return c.deserialize(path, data)
}

func marshalInput(input any) ([]byte, error) {
	switch v := input.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		if v == nil {
			return nil, nil
		}
		if !core.Valid(v) {
			return nil, errors.New("trpcws: input is not valid JSON")
		}
		if !utf8.Valid(v) {
			return nil, errors.New("trpcws: input is not valid UTF-8")
		}
		return v, nil
	}
	b, err := json.Marshal(input)
	if err != nil {
		return nil, errors.Join(errors.New("trpcws: cannot encode input"), err)
	}
	return b, nil
}

// mustContext panics when ctx is nil, with a message naming the method, as
// the standard library does for a nil Context; the exported methods call it
// before they touch any state, so the panic leaves the client serving.
func mustContext(ctx context.Context, method string) {
	if ctx == nil {
		panic("trpcws: " + method + " called with a nil context.Context (use context.Background())")
	}
}

// checkPath rejects a procedure path the server would close the socket
// for (a text frame must be UTF-8).
func checkPath(path string) error {
	if !utf8.ValidString(path) {
		return errors.New("trpcws: path " + strconv.Quote(path) + " is not valid UTF-8")
	}
	return nil
}

// Close closes the client for good, as sql.DB.Close does: calls made once
// Close has begun fail at once with ErrClientClosed (as does a second
// Close). It stops reconnecting, completes every subscription (telling the
// server; events not yet delivered are dropped), fails calls not yet sent,
// and waits for calls in flight and for every goroutine the client started,
// user callbacks included.
//
// ctx bounds the wait, and Close returns by ctx's deadline whatever the
// socket or a callback is doing: when ctx ends, calls still in flight fail
// with ErrClientClosed, sockets are dropped, no further callback is
// started, and Close returns ctx's error. A callback still running then
// returns on its own time. A callback that calls Close waits for itself:
// give that Close a deadline, or call it on a new goroutine. A nil ctx
// panics, as for Query, before the client is touched.
func (c *Client) Close(ctx context.Context) error {
	mustContext(ctx, "Close")
	if c.acancel != nil {
		c.acancel()
	}
	var first bool
	if c.hc != nil {
		// The HTTP driver's Close is the one that decides: it fails the
		// calls in flight with ErrClientClosed at once, completes the event
		// streams and waits for its goroutines.
		first = c.hc.Close(ctx)
		c.ws.Close(ctx)
	} else {
		first = c.ws.Close(ctx)
	}
	if !first {
		return ErrClientClosed
	}
	c.lmu.Lock()
	idle := c.idle
	c.lmu.Unlock()
	select {
	case <-idle:
		return ctx.Err()
	case <-ctx.Done():
	}
	c.gone.Store(true)
	c.ws.Drop()
	return ctx.Err()
}
