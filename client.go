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
	"time"
	"unicode/utf8"

	"github.com/trpcws/trpcws/core"
	"github.com/trpcws/trpcws/httpdriver"
)

// Client is a tRPC WebSocket client. Create it with NewClient; it is safe
// for concurrent use.
type Client struct {
	opts  Options
	epoch time.Time

	mu      sync.Mutex
	core    *core.Client
	state   ConnectionState
	calls   map[int64]chan callResult
	subs    map[int64]*Subscription
	sockets map[core.SocketID]*socket
	timer   *time.Timer
	timerAt int64
	closed  bool          // Close began: every later call fails with ErrClientClosed
	closeCh chan struct{} // closed at core.OutClosed, under c.mu

	// gone is set when Close gave up waiting: no further user callback starts.
	gone atomic.Bool

	// Goroutines the client started, which Close waits for; own lock, so
	// that they can be started from anywhere.
	lmu  sync.Mutex
	live int           // still running
	idle chan struct{} // closed when live drops to 0

	notes notifier // the client-wide callbacks, run in order off every lock

	// hc carries calls and subscriptions when the URL is http(s):// (see
	// http.go); nil for the WebSocket. hctx ends when Close begins (also
	// made for Options.RefreshAuth's ctx).
	hc       *httpdriver.Client
	hctx     context.Context
	hcancel  context.CancelFunc
	httpSubs bool // subscriptions go over SSE too (not with Options.HTTPURL)

	// The interceptors' chains (interceptor.go); nil without interceptors.
	unary        UnaryFunc
	subscription SubscriptionFunc
}

type callResult struct {
	data json.RawMessage
	err  error
}

// NewClient returns a client for opts. Unless opts.Lazy.Enabled is set it
// starts connecting at once, in the background.
func NewClient(opts Options) (*Client, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	c := &Client{
		opts:    opts,
		epoch:   time.Now(),
		calls:   make(map[int64]chan callResult),
		subs:    make(map[int64]*Subscription),
		sockets: make(map[core.SocketID]*socket),
		idle:    make(chan struct{}),
	}
	close(c.idle)
	c.notes.c = c
	cfg := core.Config{
		Lazy:                opts.Lazy.Enabled,
		LazyCloseMs:         opts.Lazy.CloseAfter.Milliseconds(),
		KeepAlive:           opts.KeepAlive.Enabled,
		KeepAliveIntervalMs: opts.KeepAlive.Interval.Milliseconds(),
		PongTimeoutMs:       opts.KeepAlive.PongTimeout.Milliseconds(),
		// Answered in apply, outside c.mu.
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
	if opts.RefreshAuth != nil && c.hctx == nil {
		c.hctx, c.hcancel = context.WithCancel(context.Background())
	}
	c.chains()
	c.timer = time.AfterFunc(time.Hour, c.onTimer)
	c.timer.Stop()
	c.do(func(now int64) {
		c.core = core.New(cfg, now)
		c.state = ConnectionState{State: c.core.State()}
	})
	return c, nil
}

// retryDelay calls Options.RetryDelay, treating a panic as the default
// backoff. c.mu is not held.
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
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// now is the core's clock: milliseconds since the client was created, from
// Go's monotonic clock.
func (c *Client) now() int64 { return time.Since(c.epoch).Milliseconds() }

// effect is work that follows from the core's outputs and must run without
// holding c.mu: writing, closing, delivering, calling user callbacks.
type effect struct {
	out  core.Output
	sock *socket
	call chan callResult
	sub  *Subscription
	subs []*Subscription
}

// do runs fn on the core under the lock, then carries out what the core
// asked for.
func (c *Client) do(fn func(now int64)) {
	var buf [8]effect
	effects := c.locked(fn, buf[:0])
	for i := range effects {
		c.apply(&effects[i])
	}
}

// locked runs fn and drains the core under c.mu, which a panic releases
// too: nothing that panics under the lock can leave the client wedged.
func (c *Client) locked(fn func(now int64), buf []effect) []effect {
	c.mu.Lock()
	defer c.mu.Unlock()
	fn(c.now())
	return c.drain(buf)
}

// drain turns the core's outputs into effects; c.mu is held.
func (c *Client) drain(effects []effect) []effect {
	for {
		o, ok := c.core.Poll()
		if !ok {
			break
		}
		e := effect{out: o}
		switch o.Kind {
		case core.OutDial:
			s := c.newSocket(o.Sock)
			e.sock = s
		case core.OutWrite, core.OutCloseSocket:
			e.sock = c.sockets[o.Sock]
			if e.sock == nil {
				continue
			}
			if o.Kind == core.OutCloseSocket {
				e.sock.markClosing(o.Abort)
			}
		case core.OutResult, core.OutError:
			if o.Kind == core.OutError && c.closed && errors.Is(o.Err, ErrConnectionClosed) {
				e.out.Err = &closedByClose{err: o.Err}
			}
			if ch, ok := c.calls[o.ID]; ok {
				delete(c.calls, o.ID)
				e.call = ch
			} else if sub, ok := c.subs[o.ID]; ok {
				delete(c.subs, o.ID)
				e.sub = sub
			} else {
				continue
			}
		case core.OutStarted, core.OutEvent, core.OutComplete:
			e.sub = c.subs[o.ID]
			if e.sub == nil {
				continue
			}
			if o.Kind == core.OutComplete {
				delete(c.subs, o.ID)
			}
		case core.OutState:
			c.state = ConnectionState{State: o.State, Err: o.Err}
			for _, s := range c.subs {
				e.subs = append(e.subs, s)
			}
		case core.OutClosed:
			if c.closeCh != nil {
				close(c.closeCh)
				c.closeCh = nil
			}
			c.timer.Stop()
			c.timerAt = 0
			continue
		}
		effects = append(effects, e)
	}
	c.armTimer()
	return effects
}

// armTimer points the timer at the core's next deadline; c.mu is held.
func (c *Client) armTimer() {
	at, ok := c.core.Deadline()
	if !ok {
		if c.timerAt != 0 {
			c.timer.Stop()
			c.timerAt = 0
		}
		return
	}
	if at == c.timerAt {
		return
	}
	c.timerAt = at
	c.timer.Reset(time.Duration(at-c.now()) * time.Millisecond)
}

func (c *Client) onTimer() {
	c.do(func(now int64) {
		c.timerAt = 0
		c.core.Tick(now)
	})
}

// apply carries out one effect; c.mu is not held.
func (c *Client) apply(e *effect) {
	o := &e.out
	switch o.Kind {
	case core.OutDial:
		c.goLive(e.sock.run)
	case core.OutWrite:
		e.sock.kick()
	case core.OutCloseSocket:
		e.sock.close(o.Code, o.Abort)
	case core.OutResult:
		if e.call != nil {
			e.call <- callResult{data: o.Data}
		}
	case core.OutError:
		if e.call != nil {
			e.call <- callResult{err: callError(o.Err)}
		} else {
			e.sub.push(subItem{kind: itemError, err: o.Err})
		}
	case core.OutStarted:
		e.sub.push(subItem{kind: itemStarted})
	case core.OutEvent:
		e.sub.push(subItem{kind: itemData, ev: Event{Data: o.Data, ID: o.EventID, Tracked: o.HasEventID}})
	case core.OutComplete:
		// Completed by Close: what is still queued is not delivered.
		e.sub.push(subItem{kind: itemComplete, final: c.isClosed()})
	case core.OutState:
		st := ConnectionState{State: o.State, Err: o.Err}
		c.logNote(o)
		for _, s := range e.subs {
			s.push(subItem{kind: itemState, state: st})
		}
		if c.opts.OnStateChange != nil {
			c.notes.add(note{kind: noteState, state: st})
		}
	case core.OutFrameError:
		c.report(o.Err)
	case core.OutRetry:
		c.askRetry(o)
	case core.OutRefreshAuth:
		c.refreshAuth(o)
	case core.OutNote:
		c.logNote(o)
	}
}

func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

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
func (c *Client) send(ctx context.Context, m core.Method, path string, raw []byte, header http.Header) (json.RawMessage, error) {
	if c.hc != nil {
		return c.httpCall(ctx, m, path, raw, header)
	}
	ch := make(chan callResult, 1)
	var err error
	var id int64
	c.do(func(now int64) {
		if err = c.refuse(ctx); err != nil {
			return
		}
		id = c.core.Start(now, m, path, raw, nil)
		c.calls[id] = ch
	})
	if err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		return r.data, r.err
	case <-ctx.Done():
		c.do(func(now int64) {
			if _, ok := c.calls[id]; ok {
				delete(c.calls, id)
				c.core.Cancel(now, id)
			}
		})
		select {
		case r := <-ch: // answered before the cancel took effect
			return r.data, r.err
		default:
			return nil, ctx.Err()
		}
	}
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

// refuse returns why a call cannot start: the client is closed, or ctx
// has ended; c.mu is held.
func (c *Client) refuse(ctx context.Context) error {
	if c.closed {
		return ErrClientClosed
	}
	return ctx.Err()
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
	done := make(chan struct{})
	first := false
	if c.hcancel != nil {
		c.hcancel()
	}
	c.do(func(now int64) {
		if c.closed {
			return
		}
		c.closed, first = true, true
		c.closeCh = done
		c.core.Close(now)
	})
	if !first {
		return ErrClientClosed
	}
	select {
	case <-done:
	case <-ctx.Done():
		// Fails the calls in flight; the close then finishes at once.
		c.do(func(now int64) { c.core.Abort(now) })
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
	c.mu.Lock()
	sockets := make([]*socket, 0, len(c.sockets))
	for _, s := range c.sockets {
		sockets = append(sockets, s)
	}
	c.mu.Unlock()
	for _, s := range sockets { // dropped without c.mu: closing may wait on the socket
		s.close(0, true)
	}
	return ctx.Err()
}
