//go:build !js

package trpcws_test

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trpcws/trpcws"
)

// Misuse of the Go API, against the real server: whatever a program does
// wrong, the client it did it to still answers the next call (or, once
// closed, fails it with ErrClientClosed), and a hang fails the test with
// every goroutine's stack.

// hangAfter is how long a step may take before the test calls it a hang.
const hangAfter = 10 * time.Second

// within runs fn and fails the test with a goroutine dump if it has not
// returned after hangAfter.
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	withinFor(t, what, hangAfter, fn)
}

// withinFor is within with its own limit, for a step that is slow by
// itself (an 8 MiB frame through the race detector on a loaded machine).
func withinFor(t *testing.T, what string, limit time.Duration, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(limit):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("%s hung; goroutines:\n%s", what, buf)
	}
}

// healthy asks echo on c and wants its answer within a second, or
// ErrClientClosed once c is closed.
func healthy(t *testing.T, c *trpcws.Client, closed bool) {
	t.Helper()
	var res []byte
	var err error
	within(t, "the health call", func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		res, err = c.Query(ctx, "echo", 7)
	})
	switch {
	case closed && !errors.Is(err, trpcws.ErrClientClosed):
		t.Fatalf("health call after Close = %s, %v; want ErrClientClosed", res, err)
	case !closed && (err != nil || string(res) != "7"):
		t.Fatalf("health call = %s, %v; want 7", res, err)
	}
}

// mustPanic runs fn and wants it to panic with a message containing want.
func mustPanic(t *testing.T, what, want string, fn func()) {
	t.Helper()
	var got any
	within(t, what, func() {
		defer func() { got = recover() }()
		fn()
	})
	if s, _ := got.(string); !strings.Contains(s, want) {
		t.Fatalf("%s: panic = %v; want one saying %q", what, got, want)
	}
}

// panics records the *PanicErrors reported to OnError by callback name.
type panics struct {
	mu   sync.Mutex
	seen map[string]int
	ch   chan struct{}
}

func newPanics() *panics { return &panics{seen: map[string]int{}, ch: make(chan struct{}, 1)} }

func (p *panics) onError(err error) {
	var pe *trpcws.PanicError
	if errors.As(err, &pe) {
		p.mu.Lock()
		p.seen[pe.Callback]++
		p.mu.Unlock()
		select {
		case p.ch <- struct{}{}:
		default:
		}
	}
}

// wait waits until name's panic has been reported.
func (p *panics) wait(t *testing.T, name string) {
	t.Helper()
	within(t, "the report of "+name+"'s panic", func() {
		for {
			p.mu.Lock()
			n := p.seen[name]
			p.mu.Unlock()
			if n > 0 {
				return
			}
			<-p.ch
		}
	})
}

func TestMisuseNilContext(t *testing.T) {
	c := newClient(t, trpcws.Options{})
	healthy(t, c, false)
	var nilCtx context.Context
	calls := map[string]func(){
		"Query":    func() { c.Query(nilCtx, "echo", 1) },
		"Mutation": func() { c.Mutation(nilCtx, "add", map[string]int{"a": 1, "b": 2}) },
		"Subscribe": func() {
			c.Subscribe(nilCtx, "counter", map[string]int{"count": 1}, trpcws.SubscribeOptions{})
		},
		"Events":         func() { c.Events(nilCtx, "counter", nil, "") },
		"typed Query":    func() { trpcws.Query[int](nilCtx, c, "echo", 1) },
		"typed Mutation": func() { trpcws.Mutation[int](nilCtx, c, "add", nil) },
		"typed Events":   func() { trpcws.Events[int](nilCtx, c, "counter", nil, "") },
		"Close":          func() { c.Close(nilCtx) },
	}
	for name, call := range calls {
		mustPanic(t, name+"(nil)", "nil context", call)
		healthy(t, c, false)
	}
}

func TestMisuseOptions(t *testing.T) {
	if _, err := trpcws.NewClient(trpcws.Options{}); err == nil {
		t.Error("NewClient(Options{}) accepted no URL")
	}
	// Every optional field left zero or nil, zero SubscribeOptions.
	c := newClient(t, trpcws.Options{ConnectionParamsFunc: func(context.Context) (map[string]string, error) { return nil, nil }})
	healthy(t, c, false)
	ctx := ctxT(t)
	s, err := c.Subscribe(ctx, "counter", map[string]int{"count": 2}, trpcws.SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	within(t, "a subscription without callbacks", func() { <-s.Done() })
	healthy(t, c, false)
}

func TestMisuseInvalidURL(t *testing.T) {
	for _, url := range []string{"not a url", "http://[::1", "ws://127.0.0.1:1"} {
		c, err := trpcws.NewClient(trpcws.Options{URL: url, Retry: trpcws.RetryOptions{MaxAttempts: 1}})
		if err != nil {
			continue // refused up front: that is fine too
		}
		within(t, "a call on "+url, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := c.Query(ctx, "echo", 1); err == nil {
				t.Errorf("a call on %q succeeded", url)
			}
		})
		within(t, "Close on "+url, func() { c.Close(context.Background()) })
		healthy(t, c, true)
	}
}

func TestMisuseAfterClose(t *testing.T) {
	c := newClient(t, trpcws.Options{})
	healthy(t, c, false)
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	closed := func(name string, err error) {
		if !errors.Is(err, trpcws.ErrClientClosed) {
			t.Errorf("%s after Close: %v; want ErrClientClosed", name, err)
		}
	}
	within(t, "every method after Close", func() {
		_, err := c.Query(ctx, "echo", 1)
		closed("Query", err)
		_, err = c.Mutation(ctx, "add", nil)
		closed("Mutation", err)
		_, err = c.Subscribe(ctx, "counter", nil, trpcws.SubscribeOptions{})
		closed("Subscribe", err)
		for _, err := range c.Events(ctx, "counter", nil, "") {
			closed("Events", err)
		}
		_, err = trpcws.Query[int](ctx, c, "echo", 1)
		closed("typed Query", err)
		_, err = trpcws.Mutation[int](ctx, c, "add", nil)
		closed("typed Mutation", err)
		for _, err := range trpcws.Events[int](ctx, c, "counter", nil, "") {
			closed("typed Events", err)
		}
		closed("Close", c.Close(ctx))
		c.Reconnect()
		c.SetOnline(false)
		c.SetOnline(true)
		c.Wake()
		_ = c.Stats()
		_ = c.State()
	})
	healthy(t, c, true)
}

func TestMisuseConcurrentClose(t *testing.T) {
	c := newClient(t, trpcws.Options{})
	healthy(t, c, false)
	var ok, refused atomic.Int32
	within(t, "64 concurrent Closes", func() {
		var wg sync.WaitGroup
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				switch err := c.Close(context.Background()); {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, trpcws.ErrClientClosed):
					refused.Add(1)
				default:
					t.Errorf("Close: %v", err)
				}
			}()
		}
		wg.Wait()
	})
	if ok.Load() != 1 || refused.Load() != 63 {
		t.Errorf("Closes: %d nil, %d ErrClientClosed; want 1 and 63", ok.Load(), refused.Load())
	}
	healthy(t, c, true)
}

func TestMisuseCloseInsideCallback(t *testing.T) {
	c := newClient(t, trpcws.Options{})
	healthy(t, c, false)
	closed := make(chan error, 1)
	var once sync.Once
	_, err := c.Subscribe(ctxT(t), "counter", map[string]int{"count": 3}, trpcws.SubscribeOptions{
		OnData: func(trpcws.Event) {
			once.Do(func() {
				// Close waits for this callback: its deadline lets it return.
				ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
				defer cancel()
				closed <- c.Close(ctx)
			})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	within(t, "Close inside OnData", func() {
		if err := <-closed; err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Close inside OnData: %v", err)
		}
	})
	healthy(t, c, true)
}

// panicHandler is a slog.Handler whose Handle panics.
type panicHandler struct{}

func (panicHandler) Enabled(context.Context, slog.Level) bool  { return true }
func (panicHandler) Handle(context.Context, slog.Record) error { panic("handler") }
func (h panicHandler) WithAttrs([]slog.Attr) slog.Handler      { return h }
func (h panicHandler) WithGroup(string) slog.Handler           { return h }

func TestMisusePanickingCallbacks(t *testing.T) {
	p := newPanics()
	boom := func() { panic("boom") }
	c := newClient(t, trpcws.Options{
		OnError:       p.onError,
		OnOpen:        boom,
		OnClose:       func(int) { boom() },
		OnStateChange: func(trpcws.ConnectionState) { boom() },
		Logger:        slog.New(panicHandler{}),
	})
	healthy(t, c, false)
	for _, name := range []string{"OnOpen", "OnStateChange", "Logger"} {
		p.wait(t, name)
	}
	// A panicking OnStarted, OnData or OnStateChange ends its subscription
	// with the *PanicError, and nothing is delivered after it.
	for _, name := range []string{"OnStarted", "OnData", "OnStateChange"} {
		var data, errs int
		var got error
		o := trpcws.SubscribeOptions{
			OnData:  func(trpcws.Event) { data++ },
			OnError: func(err error) { errs++; got = err },
		}
		switch name {
		case "OnStarted":
			o.OnStarted = boom
		case "OnData":
			o.OnData = func(trpcws.Event) { data++; boom() }
		case "OnStateChange":
			o.OnStateChange = func(trpcws.ConnectionState) { boom() }
		}
		s, err := c.Subscribe(ctxT(t), "counter", map[string]int{"count": 1000}, o)
		if err != nil {
			t.Fatal(err)
		}
		within(t, "a subscription whose "+name+" panics", func() { <-s.Done() })
		var pe *trpcws.PanicError
		if !errors.As(s.Err(), &pe) || pe.Callback != name || pe.Value != "boom" {
			t.Fatalf("%s: Err() = %#v; want the *PanicError of %s", name, s.Err(), name)
		}
		if errs != 1 || got != s.Err() {
			t.Fatalf("%s: OnError called %d times with %v; want once with Err()", name, errs, got)
		}
		if name == "OnData" && data != 1 {
			t.Fatalf("OnData called %d times after it panicked; want 1", data)
		}
		if name != "OnData" && data != 0 {
			t.Fatalf("%s: OnData called %d times after the panic", name, data)
		}
		p.wait(t, name)
		healthy(t, c, false)
	}
	// A panicking OnComplete is reported; a panicking OnError only logged.
	s, err := c.Subscribe(ctxT(t), "counter", map[string]int{"count": 2}, trpcws.SubscribeOptions{OnComplete: boom})
	if err != nil {
		t.Fatal(err)
	}
	within(t, "a subscription whose OnComplete panics", func() { <-s.Done() })
	if s.Err() != trpcws.ErrSubscriptionEnded {
		t.Fatalf("OnComplete panicked: Err() = %v; want ErrSubscriptionEnded", s.Err())
	}
	p.wait(t, "OnComplete")
	s, err = c.Subscribe(ctxT(t), "counter", map[string]int{"count": 1}, trpcws.SubscribeOptions{
		OnData:  func(trpcws.Event) { boom() },
		OnError: func(error) { boom() },
	})
	if err != nil {
		t.Fatal(err)
	}
	within(t, "a subscription whose OnData and OnError panic", func() { <-s.Done() })
	healthy(t, c, false)
	p.mu.Lock()
	n := p.seen["OnError"]
	p.mu.Unlock()
	if n != 0 {
		t.Fatalf("a panicking OnError was reported to OnError %d times; want it only logged", n)
	}
	healthy(t, c, false)
	c.Reconnect() // a move: OnOpen and OnClose panic again
	healthy(t, c, false)
	p.wait(t, "OnClose")
	healthy(t, c, false)
}

func TestMisusePanickingOptionFunctions(t *testing.T) {
	p := newPanics()
	var urls, params atomic.Int32
	c := newClient(t, trpcws.Options{
		OnError: p.onError,
		URLFunc: func(context.Context) (string, error) {
			if urls.Add(1) == 1 {
				panic("url")
			}
			return shared.URL, nil
		},
		ConnectionParamsFunc: func(context.Context) (map[string]string, error) {
			if params.Add(1) == 1 {
				panic("params")
			}
			return nil, nil
		},
		RetryDelay: func(int) time.Duration { return 0 },
		Retry:      trpcws.RetryOptions{ShouldRetry: func(trpcws.RetryInfo) bool { panic("should") }},
	})
	within(t, "connecting past panicking URLFunc and ConnectionParamsFunc", func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := c.Query(ctx, "echo", 1); err != nil {
			t.Errorf("first call: %v", err)
		}
	})
	for _, name := range []string{"ShouldRetry"} {
		p.wait(t, name)
	}
	healthy(t, c, false)

	// A panicking RetryDelay means the default backoff; Reconnect skips it.
	var fails atomic.Int32
	p2 := newPanics()
	c2 := newClient(t, trpcws.Options{
		OnError: p2.onError,
		URLFunc: func(context.Context) (string, error) {
			if fails.Add(1) == 1 {
				return "", errors.New("not yet")
			}
			return shared.URL, nil
		},
		RetryDelay: func(int) time.Duration { panic("delay") },
	})
	p2.wait(t, "RetryDelay")
	c2.Reconnect()
	healthy(t, c2, false)
}

func TestMisuseCancelledContext(t *testing.T) {
	c := newClient(t, trpcws.Options{})
	healthy(t, c, false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	within(t, "calls with a cancelled context", func() {
		if _, err := c.Query(ctx, "echo", 1); !errors.Is(err, context.Canceled) {
			t.Errorf("Query: %v; want context.Canceled", err)
		}
		if _, err := c.Subscribe(ctx, "counter", nil, trpcws.SubscribeOptions{}); !errors.Is(err, context.Canceled) {
			t.Errorf("Subscribe: %v; want context.Canceled", err)
		}
		for _, err := range c.Events(ctx, "counter", nil, "") {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Events: %v; want context.Canceled", err)
			}
		}
	})
	healthy(t, c, false)
	if err := c.Close(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Close(cancelled): %v", err)
	}
	healthy(t, c, true)
}

func TestMisuseInputs(t *testing.T) {
	c := newClient(t, trpcws.Options{})
	healthy(t, c, false)
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	type node struct{ Next *node }
	loop := &node{}
	loop.Next = loop
	bad := map[string]any{
		"NaN": math.NaN(), "+Inf": math.Inf(1), "-Inf": math.Inf(-1),
		"a channel": make(chan int), "a func": func() {}, "a cyclic map": cyclic, "a cyclic pointer": loop,
		"a complex": complex(1, 2),
	}
	ctx := ctxT(t)
	for name, in := range bad {
		within(t, "a call with "+name, func() {
			if _, err := c.Query(ctx, "echo", in); err == nil {
				t.Errorf("input %s was accepted", name)
			}
			if _, err := c.Subscribe(ctx, "counter", in, trpcws.SubscribeOptions{}); err == nil {
				t.Errorf("subscription input %s was accepted", name)
			}
		})
		healthy(t, c, false)
	}
	huge := strings.Repeat("x", 8<<20)
	withinFor(t, "an 8 MiB input", 2*time.Minute, func() {
		res, err := c.Query(ctx, "echo", huge)
		if err != nil || len(res) != len(huge)+2 {
			t.Errorf("8 MiB echo: %d bytes, %v", len(res), err)
		}
	})
	healthy(t, c, false)
	within(t, "an invalid path", func() {
		if _, err := c.Query(ctx, "\xff", nil); err == nil {
			t.Error("a path that is not UTF-8 was accepted")
		}
		if _, err := c.Query(ctx, "", nil); err == nil {
			t.Error("an empty path answered")
		}
	})
	healthy(t, c, false)
}
