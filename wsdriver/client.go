package wsdriver

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/trpcws/trpcws/core"
)

// Client drives one core.Client over WebSockets. It is safe for concurrent
// use.
type Client struct {
	opts  Options
	epoch time.Time

	mu      sync.Mutex
	core    *core.Client
	state   core.State
	stErr   error
	calls   map[int64]chan result
	subs    map[int64]Sink
	sockets map[core.SocketID]*socket
	timer   *time.Timer
	timerAt int64
	closed  bool          // Close began: every later call fails with Options.ErrClosed
	closeCh chan struct{} // closed at core.OutClosed, under c.mu
}

type result struct {
	data json.RawMessage
	err  error
}

// New returns a driver for opts, whose core is made at once: unless
// opts.Config.Lazy is set it starts connecting, in the background.
func New(opts Options) *Client {
	c := &Client{
		opts:    opts,
		epoch:   time.Now(),
		calls:   make(map[int64]chan result),
		subs:    make(map[int64]Sink),
		sockets: make(map[core.SocketID]*socket),
	}
	c.timer = time.AfterFunc(time.Hour, c.onTimer)
	c.timer.Stop()
	c.do(func(now int64) {
		c.core = core.New(opts.Config, now)
		c.state = c.core.State()
	})
	return c
}

// now is the core's clock: milliseconds since the driver was created, from
// Go's monotonic clock.
func (c *Client) now() int64 { return time.Since(c.epoch).Milliseconds() }

// At returns the time of the core's clock reading ms (as in core.Stats).
func (c *Client) At(ms int64) time.Time { return c.epoch.Add(time.Duration(ms) * time.Millisecond) }

// State returns the connection state and why it is so, as the last
// core.OutState said.
func (c *Client) State() (core.State, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state, c.stErr
}

// Stats returns the core's statistics.
func (c *Client) Stats() core.Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.core.Stats()
}

// Closed reports whether Close has begun.
func (c *Client) Closed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// effect is work that follows from the core's outputs and must run without
// holding c.mu: writing, closing, delivering, calling the owner's hooks.
type effect struct {
	out  core.Output
	sock *socket
	call chan result
	sub  Sink
	subs []Sink
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
			if o.Kind == core.OutError && c.closed && errors.Is(o.Err, core.ErrConnectionClosed) {
				e.out.Err = &closedByClose{err: o.Err, closed: c.opts.ErrClosed}
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
			c.state, c.stErr = o.State, o.Err
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
		c.opts.Go(e.sock.run)
	case core.OutWrite:
		e.sock.kick()
	case core.OutCloseSocket:
		e.sock.close(o.Code, o.Abort)
	case core.OutResult:
		if e.call != nil {
			e.call <- result{data: o.Data}
		}
	case core.OutError:
		if e.call != nil {
			e.call <- result{err: o.Err}
		} else {
			e.sub.Error(o.Err)
		}
	case core.OutStarted:
		e.sub.Started()
	case core.OutEvent:
		e.sub.Event(o.Data, o.EventID, o.HasEventID)
	case core.OutComplete:
		// Completed by Close: what is still queued is not delivered.
		e.sub.Complete(c.Closed())
	case core.OutState:
		for _, s := range e.subs {
			s.State(o.State, o.Err)
		}
		c.opts.Note(*o)
	case core.OutFrameError:
		c.opts.OnError(o.Err)
	case core.OutRetry:
		a := c.opts.Retry(*o, closeReason(o.Err))
		c.do(func(now int64) { c.core.Retry(now, a) })
	case core.OutRefreshAuth:
		c.opts.RefreshAuth(*o)
	case core.OutNote:
		c.opts.Note(*o)
	}
}

// refuse returns why a call cannot start: the driver is closed, or ctx
// has ended; c.mu is held.
func (c *Client) refuse(ctx context.Context) error {
	if c.closed {
		return c.opts.ErrClosed
	}
	return ctx.Err()
}

// Call runs a query or mutation (input is JSON, nil for none) and waits for
// its answer. Cancelling ctx abandons the call without touching the
// socket: a call not yet sent is never sent. The error is the core's (see
// core.Output.Err), Options.ErrClosed once Close has begun, or ctx's.
func (c *Client) Call(ctx context.Context, m core.Method, path string, input []byte) (json.RawMessage, error) {
	ch := make(chan result, 1)
	var err error
	var id int64
	c.do(func(now int64) {
		if err = c.refuse(ctx); err != nil {
			return
		}
		id = c.core.Start(now, m, path, input, nil)
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

// Subscribe starts a subscription delivering to sink, and returns its id
// for Cancel. Before it returns, and before any other method of sink, it
// calls sink.State with the current state, under the driver's lock (so
// State must neither block nor call the driver there). It fails with
// Options.ErrClosed once Close has begun, or with ctx's error; ctx does not
// bound the subscription (the owner cancels it).
func (c *Client) Subscribe(ctx context.Context, call core.Call, sink Sink) (int64, error) {
	var err error
	var id int64
	c.do(func(now int64) {
		if err = c.refuse(ctx); err != nil {
			return
		}
		sink.State(c.state, c.stErr)
		id = c.core.StartCall(now, call)
		c.subs[id] = sink
	})
	return id, err
}

// Cancel stops subscription id, telling the server, unless it has ended or
// was cancelled already; sink is the one it was started with.
func (c *Client) Cancel(id int64, sink Sink) {
	c.do(func(now int64) {
		if c.subs[id] == sink {
			delete(c.subs, id)
			c.core.Cancel(now, id)
		}
	})
}

// Close begins closing for good (core.Client.Close) and waits until the
// core has finished; when ctx ends first it aborts the calls in flight
// (core.Client.Abort), which finishes the close at once. It returns false,
// doing nothing, when Close had begun already.
func (c *Client) Close(ctx context.Context) bool {
	done := make(chan struct{})
	first := false
	c.do(func(now int64) {
		if c.closed {
			return
		}
		c.closed, first = true, true
		c.closeCh = done
		c.core.Close(now)
	})
	if !first {
		return false
	}
	select {
	case <-done:
	case <-ctx.Done():
		// Fails the calls in flight; the close then finishes at once.
		c.do(func(now int64) { c.core.Abort(now) })
	}
	return true
}

// Drop drops every socket at once, without a closing handshake: for an
// owner whose Close gave up waiting.
func (c *Client) Drop() {
	c.mu.Lock()
	sockets := make([]*socket, 0, len(c.sockets))
	for _, s := range c.sockets {
		sockets = append(sockets, s)
	}
	c.mu.Unlock()
	for _, s := range sockets { // dropped without c.mu: closing may wait on the socket
		s.close(0, true)
	}
}

// SetOnline passes what the owner knows of the network to the core
// (core.Client.Online, Offline); nothing once Close has begun.
func (c *Client) SetOnline(online bool) {
	c.do(func(now int64) {
		switch {
		case c.closed:
		case online:
			c.core.Online(now)
		default:
			c.core.Offline(now)
		}
	})
}

// Wake tells the core the program came back from a pause
// (core.Client.Wake); nothing once Close has begun.
func (c *Client) Wake() {
	c.do(func(now int64) {
		if !c.closed {
			c.core.Wake(now)
		}
	})
}

// Suspend closes the sockets and holds the client off the network until
// Wake or SetOnline(true) (core.Client.Suspend).
func (c *Client) Suspend() {
	c.do(func(now int64) {
		if !c.closed {
			c.core.Suspend(now)
		}
	})
}

// AuthRefreshed reports the outcome of the refresh a RefreshAuth hook was
// asked for (core.Client.AuthRefreshed).
func (c *Client) AuthRefreshed(attempt int, err error) {
	c.do(func(now int64) { c.core.AuthRefreshed(now, attempt, err) })
}

// Reconnect asks the core for a new connection now (core.Client.Reconnect).
func (c *Client) Reconnect() {
	c.do(func(now int64) { c.core.Reconnect(now) })
}

// closedByClose wraps the error that ended a call because Close ran, so that
// it matches Options.ErrClosed and still unwraps to the core's error.
type closedByClose struct{ err, closed error }

func (e *closedByClose) Error() string        { return e.err.Error() }
func (e *closedByClose) Unwrap() error        { return e.err }
func (e *closedByClose) Is(target error) bool { return target == e.closed }
