package trpcws

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/trpcws/trpcws/core"
)

// Event is one value a subscription delivered.
type Event struct {
	// Data is the raw JSON the server sent (after Options.Transformer's
	// Deserialize, when set). For a tracked event (the server used
	// tracked(id, value)) it is the object {"id":…,"data":…}, as the
	// reference client delivers it.
	Data json.RawMessage
	// ID is the tracked event's id; Tracked tells whether there was one.
	// The client resumes after the last tracked event on reconnect.
	ID      string
	Tracked bool
}

// DefaultBufferSize is the number of events a subscription holds for a
// consumer that is behind, when SubscribeOptions.BufferSize is 0.
const DefaultBufferSize = 1024

// SubscribeOptions holds a subscription's callbacks. They run one at a
// time, in order, on a goroutine started while events wait, so they may
// block or call the client. A panic in one is recovered, logged to
// Options.Logger and passed to Options.OnError as a *PanicError; a panic
// in OnStarted, OnData or OnStateChange also ends the subscription: the
// server is told to stop it, nothing queued after it is delivered, and
// OnError and Err get that *PanicError. A panic in OnError is only logged.
type SubscribeOptions struct {
	// LastEventID, when set, resumes the subscription after that event. It
	// must be valid UTF-8.
	LastEventID string
	// BufferSize bounds the events received but not yet delivered to the
	// callbacks (about twice that while a batch is being delivered). 0
	// means DefaultBufferSize; -1 means no bound. When the buffer is full
	// the subscription ends with ErrSlowConsumer (after the buffered
	// events) and the server is told to stop it: the socket goes on
	// serving every other call, where waiting for the consumer would stall
	// them all.
	BufferSize int
	// NoResubscribe, when set, ends the subscription with
	// ErrNotResubscribed where it would be sent again (its socket was lost,
	// or the server asked the client to move to a new socket), for a
	// subscription with side effects on the server. By default, as in the
	// reference client, it is sent again and resumes after the last
	// tracked event.
	NoResubscribe bool
	// OnStarted is called when the server has started the subscription,
	// and again after it was re-sent on a new socket following a lost one.
	OnStarted func()
	// OnData is called for every event.
	OnData func(Event)
	// OnError is called with the error that ended the subscription: a
	// *TRPCError from the server, ErrSlowConsumer, ErrNotResubscribed, or
	// the *PanicError of a panicking OnStarted, OnData or OnStateChange.
	// No OnComplete follows.
	OnError func(error)
	// OnComplete is called when the subscription ended without error:
	// stopped by the server, unsubscribed, or completed by Close.
	OnComplete func()
	// OnStateChange is called with the connection state at once and then
	// on every change while the subscription lives.
	OnStateChange func(ConnectionState)
}

// Subscription is a live subscription. End it with Unsubscribe or by
// cancelling the context given to Subscribe.
type Subscription struct {
	c    *Client
	id   int64
	opts SubscribeOptions
	stop func() bool // ends the context.AfterFunc
	hend func()      // over HTTP: ends the event stream

	// The interceptors' observers (interceptor.go), innermost first, and
	// what they were told; used only where the items are delivered.
	observers []SubscriptionObserver
	observed  bool // OnEnd was called
	starts    int  // itemStarted seen
	retries   int  // retries since the last start
	max       int  // buffered events allowed, -1 for no bound

	// path is the procedure; sse tells that the subscription runs over
	// Server-Sent Events; input is its input before Options.Transformer
	// (which needs all three).
	path  string
	sse   bool
	input []byte

	// stopped is set by Unsubscribe, ctx's end or Close: events already
	// taken for delivery are not delivered either.
	stopped atomic.Bool

	mu      sync.Mutex
	items   []subItem
	events  int  // itemData in items
	ended   bool // a terminal item was queued
	pushed  bool // callbacks mode: items are run by a goroutine started on demand
	running bool // that goroutine is running
	wake    chan struct{}
	done    chan struct{}
	err     error
}

type itemKind uint8

const (
	itemStarted itemKind = iota
	itemData
	itemState
	itemError
	itemComplete
)

type subItem struct {
	kind  itemKind
	final bool // itemComplete: drop what is still queued (Unsubscribe, Close)
	ev    Event
	err   error
	state ConnectionState
}

// Subscribe starts a subscription to path with input (encoded as for
// Query; the path must be valid UTF-8). The subscription lives until the
// server stops it, it fails, its consumer falls opts.BufferSize events
// behind (ErrSlowConsumer), Unsubscribe is called, ctx is cancelled, or
// the client is closed; it survives lost sockets, resuming after the last
// tracked event. A nil ctx panics, as for Query, before the client is
// touched.
func (c *Client) Subscribe(ctx context.Context, path string, input any, opts SubscribeOptions) (*Subscription, error) {
	mustContext(ctx, "Subscribe")
	s, err := c.subscribe(ctx, path, input, opts.LastEventID, opts)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.pushed, s.running = true, true
	s.mu.Unlock()
	c.goLive(s.deliver)
	return s, nil
}

func (c *Client) subscribe(ctx context.Context, path string, input any, lastEventID string, opts SubscribeOptions) (*Subscription, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	raw, err := marshalInput(input)
	if err != nil {
		return nil, err
	}
	s := &Subscription{c: c, opts: opts, max: opts.BufferSize, wake: make(chan struct{}, 1), done: make(chan struct{})}
	if s.max == 0 {
		s.max = DefaultBufferSize
	}
	if c.subscription != nil {
		req := &Request{Type: "subscription", Path: path, Input: raw, LastEventID: lastEventID, Header: http.Header{},
			Transport: c.transport(core.Subscription), sub: s, method: core.Subscription}
		if err := c.subscription(ctx, req); err != nil {
			return nil, err
		}
		if s.stop == nil {
			return nil, errors.New("trpcws: an interceptor's WrapSubscription returned nil without calling next")
		}
		return s, nil
	}
	if err := c.start(ctx, s, path, raw, lastEventID, nil); err != nil {
		return nil, err
	}
	return s, nil
}

// start starts s on its transport; header goes on its event stream's
// requests (HTTP only).
func (c *Client) start(ctx context.Context, s *Subscription, path string, raw []byte, lastEventID string, header http.Header) error {
	if !utf8.ValidString(lastEventID) {
		return errors.New("trpcws: LastEventID is not valid UTF-8")
	}
	s.path = path
	s.sse = c.hc != nil && c.httpSubs
	if c.opts.Transformer != nil {
		s.input = raw
		var err error
		if raw, lastEventID, err = c.serializeSubscription(s, raw, lastEventID); err != nil {
			return err
		}
	}
	if s.sse {
		if err := c.httpSubscribe(ctx, s, path, raw, lastEventID, header); err != nil {
			return err
		}
		s.stop = context.AfterFunc(ctx, s.Unsubscribe)
		return nil
	}
	var last *string
	if lastEventID != "" {
		last = &lastEventID
	}
	call := core.Call{Method: core.Subscription, Path: path, Input: raw, NoResubscribe: s.opts.NoResubscribe}
	if last != nil {
		call.LastEventID, call.HasLastEventID = *last, true
	}
	id, err := c.ws.Subscribe(ctx, call, (*subSink)(s))
	if err != nil {
		return err
	}
	s.id = id
	s.stop = context.AfterFunc(ctx, s.Unsubscribe)
	return nil
}

// subSink is a Subscription as both drivers deliver to it (a sink.Sink):
// a pointer conversion, so handing it over allocates nothing. Its methods
// only queue; the callbacks run on the delivering goroutine.
type subSink Subscription

func (k *subSink) sub() *Subscription { return (*Subscription)(k) }

// State queues the connection state. At wsdriver's Subscribe the
// delivering goroutine has not started, so nothing is started under the
// driver's lock.
func (k *subSink) State(st core.State, err error) {
	k.sub().push(subItem{kind: itemState, state: ConnectionState{State: st, Err: err}})
}

func (k *subSink) Started() { k.sub().push(subItem{kind: itemStarted}) }

func (k *subSink) Event(data json.RawMessage, id string, tracked bool) {
	k.sub().push(subItem{kind: itemData, ev: Event{Data: data, ID: id, Tracked: tracked}})
}

func (k *subSink) Error(err error) { k.sub().push(subItem{kind: itemError, err: err}) }

// Complete: completed by Close (or, over HTTP, unsubscribed), what is
// still queued is not delivered.
func (k *subSink) Complete(closed bool) { k.sub().push(subItem{kind: itemComplete, final: closed}) }

// Unsubscribe ends the subscription, telling the server; OnComplete is
// called if it had not ended already. Once it returns no event is
// delivered, except the one whose OnData may be running.
func (s *Subscription) Unsubscribe() {
	s.cancel()
	s.push(subItem{kind: itemComplete, final: true})
}

// cancel forgets the subscription in the client and stops it on the server.
func (s *Subscription) cancel() {
	c := s.c
	if s.hend != nil {
		s.hend()
		return
	}
	c.ws.Cancel(s.id, (*subSink)(s))
}

// Done is closed once the subscription has ended and its last callback
// has returned.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Err returns the error that ended the subscription, ErrSubscriptionEnded
// when it ended without one, or nil while it lives.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// push queues an item for delivery; items after the terminal one are
// dropped. An event that finds the buffer full ends the subscription with
// ErrSlowConsumer.
func (s *Subscription) push(it subItem) {
	s.mu.Lock()
	if it.final {
		// Nothing queued is delivered any more, only the terminal item.
		s.stopped.Store(true)
		s.items = slices.DeleteFunc(s.items, func(it subItem) bool {
			return it.kind != itemError && it.kind != itemComplete
		})
		s.events = 0
	}
	if s.ended {
		s.mu.Unlock()
		return
	}
	overflow := false
	switch {
	case it.kind == itemData && s.max >= 0 && s.events >= s.max:
		overflow = true
		it = subItem{kind: itemError, err: ErrSlowConsumer}
	case it.kind == itemData:
		s.events++
	}
	if it.kind == itemError || it.kind == itemComplete {
		s.ended = true
	}
	s.items = append(s.items, it)
	start := s.pushed && !s.running
	s.running = s.running || start
	s.mu.Unlock()
	if overflow {
		s.cancel()
	}
	if start {
		s.c.goLive(s.deliver)
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// take returns the queued items, or stops the delivering goroutine (by
// returning false) when there are none: an idle subscription costs no
// goroutine.
func (s *Subscription) take(buf []subItem) ([]subItem, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.items) == 0 {
		s.running = false
		return buf, false
	}
	buf = append(buf[:0], s.items...)
	clear(s.items)
	s.items, s.events = s.items[:0], 0
	return buf, true
}

// next waits for queued items and takes them all; once ctx has ended it
// returns ctx's error whatever is queued.
func (s *Subscription) next(ctx context.Context, buf []subItem) ([]subItem, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s.mu.Lock()
		if len(s.items) > 0 {
			buf = append(buf[:0], s.items...)
			clear(s.items)
			s.items, s.events = s.items[:0], 0
			s.mu.Unlock()
			return buf, nil
		}
		s.mu.Unlock()
		select {
		case <-s.wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// end records how the subscription ended and releases its waiters.
func (s *Subscription) end(err error) {
	s.stop()
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
	close(s.done)
}

// deliver runs the callbacks for the queued items, in order, until the
// queue is empty or the subscription ends; push starts it again.
func (s *Subscription) deliver() {
	var buf []subItem
	for {
		var ok bool
		if buf, ok = s.take(buf); !ok {
			return
		}
		for _, it := range buf {
			if s.stopped.Load() && it.kind != itemComplete && it.kind != itemError {
				continue // unsubscribed while this batch was delivered
			}
			if err := s.transformItem(&it); err != nil {
				s.abort(err)
				return
			}
			s.observe(&it)
			var pe *PanicError
			switch it.kind {
			case itemStarted:
				pe = s.call("OnStarted", s.opts.OnStarted)
			case itemData:
				if f := s.opts.OnData; f != nil {
					pe = s.c.try("OnData", func() { f(it.ev) })
				}
			case itemState:
				if f := s.opts.OnStateChange; f != nil {
					pe = s.c.try("OnStateChange", func() { f(it.state) })
				}
			case itemError:
				s.fail(it.err)
				return
			case itemComplete:
				s.call("OnComplete", s.opts.OnComplete)
				s.end(ErrSubscriptionEnded)
				return
			}
			if pe != nil {
				// A panicking OnStarted, OnData or OnStateChange ends the
				// subscription with the *PanicError.
				s.abort(pe)
				return
			}
		}
	}
}

// abort ends the subscription with err from this side (a panicking
// callback, a failing Options.Transformer): the server is told to stop it
// and nothing queued after it is delivered.
func (s *Subscription) abort(err error) {
	s.stopped.Store(true)
	s.cancel()
	s.mu.Lock()
	s.ended = true
	s.items, s.events = s.items[:0], 0
	s.mu.Unlock()
	ev := subItem{kind: itemError, err: err}
	s.observe(&ev)
	s.fail(err)
}

// fail calls OnError with err (a panic in it is only logged) and ends the
// subscription with err.
func (s *Subscription) fail(err error) {
	if f := s.opts.OnError; f != nil {
		s.c.guard("OnError", func() { f(err) })
	}
	s.end(err)
}

func (s *Subscription) call(name string, f func()) *PanicError {
	if f != nil {
		return s.c.try(name, f)
	}
	return nil
}

// Events subscribes to path and returns the events as an iterator. The
// iteration ends when the server stops the subscription; an error from the
// server, ErrSlowConsumer (the loop fell DefaultBufferSize events behind),
// ErrClientClosed or ctx's error is yielded once, last. Once ctx has ended
// no further event is yielded. Breaking out of the loop unsubscribes. A nil
// ctx panics at once (when Events is called, not when the loop starts), as
// for Query.
//
// opts, at most one, sets BufferSize and NoResubscribe (ErrNotResubscribed
// is then yielded last after a reconnect); its LastEventID and callbacks
// must be unset, since lastEventID and the loop take their place.
//
//	for ev, err := range c.Events(ctx, "onMessage", nil, "") {
//		if err != nil { return err }
//		fmt.Println(string(ev.Data))
//	}
func (c *Client) Events(ctx context.Context, path string, input any, lastEventID string, opts ...SubscribeOptions) iter.Seq2[Event, error] {
	mustContext(ctx, "Events")
	return func(yield func(Event, error) bool) {
		o, err := eventsOptions(opts)
		if err != nil {
			yield(Event{}, err)
			return
		}
		s, err := c.subscribe(ctx, path, input, lastEventID, o)
		if err != nil {
			yield(Event{}, err)
			return
		}
		defer func() {
			s.stop()
			s.Unsubscribe()
			s.observeEnd(err)
		}()
		var buf []subItem
		for {
			buf, err = s.next(ctx, buf)
			if err != nil {
				yield(Event{}, err)
				return
			}
			for _, it := range buf {
				if err = ctx.Err(); err != nil {
					yield(Event{}, err)
					return
				}
				if err = s.transformItem(&it); err != nil {
					yield(Event{}, err)
					return
				}
				s.observe(&it)
				switch it.kind {
				case itemData:
					if !yield(it.ev, nil) {
						return
					}
				case itemError:
					err = it.err
					yield(Event{}, err)
					return
				case itemComplete:
					if it.final && s.c.isClosed() {
						err = ErrClientClosed
						yield(Event{}, err)
					}
					return
				}
			}
		}
	}
}

// eventsOptions checks the options given to Events.
func eventsOptions(opts []SubscribeOptions) (SubscribeOptions, error) {
	switch {
	case len(opts) == 0:
		return SubscribeOptions{}, nil
	case len(opts) > 1:
		return SubscribeOptions{}, errors.New("trpcws: Events takes at most one SubscribeOptions")
	}
	o := opts[0]
	if o.LastEventID != "" || o.OnStarted != nil || o.OnData != nil || o.OnError != nil || o.OnComplete != nil || o.OnStateChange != nil {
		return SubscribeOptions{}, errors.New("trpcws: Events takes only BufferSize and NoResubscribe in SubscribeOptions (LastEventID is its parameter, the loop takes the callbacks' place)")
	}
	return o, nil
}
