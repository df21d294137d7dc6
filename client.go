package trpcws

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/trpcws/trpcws/core"
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
	waiters []chan struct{} // Close calls waiting for core.OutClosed
	live    int             // goroutines the client started that are still running
	idle    chan struct{}   // closed when live drops to 0
}

type callResult struct {
	data json.RawMessage
	err  error
}

// NewClient returns a client for opts. Unless opts.Lazy.Enabled is set it
// starts connecting at once, in the background.
func NewClient(opts Options) (*Client, error) {
	if opts.URL == "" && opts.URLFunc == nil {
		return nil, errors.New("trpcws: Options.URL or Options.URLFunc is required")
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
	cfg := core.Config{
		Lazy:                opts.Lazy.Enabled,
		LazyCloseMs:         opts.Lazy.CloseAfter.Milliseconds(),
		KeepAlive:           opts.KeepAlive.Enabled,
		KeepAliveIntervalMs: opts.KeepAlive.Interval.Milliseconds(),
		PongTimeoutMs:       opts.KeepAlive.PongTimeout.Milliseconds(),
	}
	if opts.RetryDelay != nil {
		cfg.AskRetry = true // answered in apply, outside c.mu
	}
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
			c.report(&PanicError{Callback: "RetryDelay", Value: r})
			ms = core.ExponentialBackoff(attempt)
		}
	}()
	return c.opts.RetryDelay(attempt).Milliseconds()
}

// State returns the current connection state.
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
	done []chan struct{}
}

// do runs fn on the core under the lock, then carries out what the core
// asked for.
func (c *Client) do(fn func(now int64)) {
	var buf [8]effect
	c.mu.Lock()
	fn(c.now())
	effects := c.drain(buf[:0])
	c.mu.Unlock()
	for i := range effects {
		c.apply(&effects[i])
	}
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
			e.done = c.waiters
			c.waiters = nil
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
			e.call <- callResult{err: o.Err}
		} else {
			e.sub.push(subItem{kind: itemError, err: o.Err})
		}
	case core.OutStarted:
		e.sub.push(subItem{kind: itemStarted})
	case core.OutEvent:
		e.sub.push(subItem{kind: itemData, ev: Event{Data: o.Data, ID: o.EventID, Tracked: o.HasEventID}})
	case core.OutComplete:
		e.sub.push(subItem{kind: itemComplete})
	case core.OutState:
		st := ConnectionState{State: o.State, Err: o.Err}
		for _, s := range e.subs {
			s.push(subItem{kind: itemState, state: st})
		}
		if f := c.opts.OnStateChange; f != nil {
			c.guard("OnStateChange", func() { f(st) })
		}
	case core.OutFrameError:
		c.report(o.Err)
	case core.OutRetry:
		ms := c.retryDelay(o.Attempt)
		c.do(func(now int64) { c.core.Retry(now, o.Attempt, ms) })
	case core.OutClosed:
		for _, ch := range e.done {
			close(ch)
		}
	}
}

// goLive runs fn on a goroutine that Close waits for.
func (c *Client) goLive(fn func()) {
	c.mu.Lock()
	if c.live == 0 {
		c.idle = make(chan struct{})
	}
	c.live++
	c.mu.Unlock()
	go func() {
		defer func() {
			c.mu.Lock()
			c.live--
			if c.live == 0 {
				close(c.idle)
			}
			c.mu.Unlock()
		}()
		fn()
	}()
}

// report passes err to Options.OnError.
func (c *Client) report(err error) {
	if f := c.opts.OnError; f != nil {
		c.guard("OnError", func() { f(err) })
	}
}

// guard calls a user callback, turning a panic into a *PanicError for
// OnError (a panicking OnError is dropped).
func (c *Client) guard(name string, fn func()) {
	defer func() {
		if r := recover(); r != nil && name != "OnError" {
			c.report(&PanicError{Callback: name, Value: r})
		}
	}()
	fn()
}

// Query calls a query procedure. input is sent as JSON: nil leaves it out,
// a json.RawMessage is sent as is, anything else goes through
// json.Marshal. The result is the raw JSON of the procedure's return value
// (nil when it returned nothing). Cancelling ctx abandons the call without
// touching the socket: a call not yet sent is never sent.
//
// A failed call returns a *TRPCError sent by the server, an error matching
// ErrConnectionClosed when the socket was lost or the client closed first,
// or ctx's error.
func (c *Client) Query(ctx context.Context, path string, input any) (json.RawMessage, error) {
	return c.call(ctx, core.Query, path, input)
}

// Mutation calls a mutation procedure; see Query. A mutation whose socket is
// lost is not retried: it may have run.
func (c *Client) Mutation(ctx context.Context, path string, input any) (json.RawMessage, error) {
	return c.call(ctx, core.Mutation, path, input)
}

func (c *Client) call(ctx context.Context, m core.Method, path string, input any) (json.RawMessage, error) {
	raw, err := marshalInput(input)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ch := make(chan callResult, 1)
	var id int64
	c.do(func(now int64) {
		id = c.core.Start(now, m, path, raw, nil)
		c.calls[id] = ch
	})
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
		return v, nil
	}
	b, err := json.Marshal(input)
	if err != nil {
		return nil, errors.Join(errors.New("trpcws: cannot encode input"), err)
	}
	return b, nil
}

// Close stops reconnecting, completes every subscription (telling the
// server), fails calls not yet sent, and waits for calls in flight and for
// every goroutine the client started. ctx bounds the wait: when it ends,
// calls still in flight fail with an error matching ErrConnectionClosed,
// sockets are dropped, and Close returns ctx's error.
//
// The client stays usable: a later call connects again.
func (c *Client) Close(ctx context.Context) error {
	done := make(chan struct{})
	c.do(func(now int64) {
		c.waiters = append(c.waiters, done)
		c.core.Close(now)
	})
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		c.do(func(now int64) { c.core.Abort(now) })
		<-done
	}
	c.mu.Lock()
	idle := c.idle
	c.mu.Unlock()
	select {
	case <-idle:
		return err
	case <-ctx.Done():
	}
	c.mu.Lock()
	sockets := make([]*socket, 0, len(c.sockets))
	for _, s := range c.sockets {
		sockets = append(sockets, s)
	}
	c.mu.Unlock()
	for _, s := range sockets { // dropped without c.mu: closing may wait on the socket
		s.close(0, true)
	}
	<-idle
	return ctx.Err()
}
