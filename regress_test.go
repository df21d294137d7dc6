//go:build !js

package trpcws_test

// Regression tests for the native driver's bugs of issue 11 (1-4; 5 is the
// core's). Each one failed on the code before its fix.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/trpcws/trpcws"
	"github.com/trpcws/trpcws/internal/testserver"
)

// returnsWithin runs fn and fails t when it has not returned after limit:
// a generous bound that only a hang exceeds, not a timing assertion.
func returnsWithin[T any](t *testing.T, what string, limit time.Duration, fn func() T) T {
	t.Helper()
	ch := make(chan T, 1)
	go func() { ch <- fn() }()
	select {
	case v := <-ch:
		return v
	case <-time.After(limit):
		t.Fatalf("%s has not returned after %v", what, limit)
		panic("unreachable")
	}
}

// Bug 1: Close kept its deadline only when nothing called the client.
func TestCloseKeepsDeadlineWhileQueriesLoop(t *testing.T) {
	t.Parallel()
	c, err := trpcws.NewClient(trpcws.Options{URL: shared.URL})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var loopErr atomic.Value
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := c.Query(context.Background(), "echo", 1); err != nil {
				loopErr.Store(err)
				if errors.Is(err, trpcws.ErrClientClosed) {
					return
				}
			}
		}
	}()
	if _, err := c.Query(ctxT(t), "echo", 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err = returnsWithin(t, "Close(1 s deadline) with a Query loop running", 15*time.Second, func() error { return c.Close(ctx) })
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v", err)
	}
	close(stop)
	returnsWithin(t, "the Query loop", 15*time.Second, func() bool { wg.Wait(); return true })
	if err, _ := loopErr.Load().(error); !errors.Is(err, trpcws.ErrClientClosed) {
		t.Errorf("the loop's last error = %v, want ErrClientClosed", err)
	}
	_, err = c.Query(context.Background(), "echo", 2)
	if !errors.Is(err, trpcws.ErrClientClosed) || !errors.Is(err, trpcws.ErrConnectionClosed) {
		t.Errorf("Query after Close = %v, want ErrClientClosed (and ErrConnectionClosed)", err)
	}
	if _, err := c.Subscribe(context.Background(), "counter", nil, trpcws.SubscribeOptions{}); !errors.Is(err, trpcws.ErrClientClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrClientClosed", err)
	}
	if err := c.Close(context.Background()); !errors.Is(err, trpcws.ErrClientClosed) {
		t.Errorf("second Close = %v, want ErrClientClosed", err)
	}
}

// Bug 1, the other repro: a user callback calls back into the client while
// Close runs.
func TestCloseKeepsDeadlineWhenCallbacksCallBack(t *testing.T) {
	t.Parallel()
	var c *trpcws.Client
	var ready sync.WaitGroup
	ready.Add(1)
	c, err := trpcws.NewClient(trpcws.Options{
		URL: shared.URL,
		OnStateChange: func(trpcws.ConnectionState) {
			ready.Wait()
			c.State()
			c.Query(context.Background(), "echo", 1)
		},
		OnClose: func(int) {
			ready.Wait()
			c.Query(context.Background(), "echo", 1)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ready.Done()
	if _, err := c.Query(ctxT(t), "echo", 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err = returnsWithin(t, "Close with callbacks calling Query", 15*time.Second, func() error { return c.Close(ctx) })
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v", err)
	}
}

// stalledServer accepts WebSockets and never reads from them.
func stalledServer(t *testing.T) string {
	t.Helper()
	var mu sync.Mutex
	var conns []*websocket.Conn
	quit := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		mu.Lock()
		conns = append(conns, conn)
		mu.Unlock()
		<-quit // a hijacked connection's r.Context() never ends
	}))
	t.Cleanup(func() {
		close(quit)
		mu.Lock()
		for _, c := range conns {
			c.CloseNow()
		}
		mu.Unlock()
		srv.Close()
	})
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// Bug 2: a call ignored its ctx while its own frame was being written.
func TestCallLeavesWhenCtxEndsDuringWrite(t *testing.T) {
	t.Parallel()
	c := newClientClose(t, trpcws.Options{URL: stalledServer(t)}, 2*time.Second)
	big := json.RawMessage(`"` + strings.Repeat("x", 32<<20) + `"`)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// Checking and framing 32 MB is slow under -race on a busy machine:
	// the bound is generous; before the fix the call never returned.
	err := returnsWithin(t, "a 32 MB query with a 2 s deadline to a server that stopped reading", 60*time.Second, func() error {
		_, err := c.Query(ctx, "echo", big)
		return err
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
}

// waitUntil polls cond until it holds, and fails t after a generous
// deadline: a wait for an event, not a timing assertion.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// newClientClose is newClient with a Close deadline that may pass: the
// test only checks that Close keeps it.
func newClientClose(t *testing.T, opts trpcws.Options, deadline time.Duration) *trpcws.Client {
	t.Helper()
	c, err := trpcws.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		returnsWithin(t, "Close", deadline+10*time.Second, func() error { return c.Close(ctx) })
	})
	return c
}

// floodEvents is how many 400 B events the flood tests ask for:
// TRPCWS_FLOOD_EVENTS, by default 100,000 (make soak: the 400,000).
func floodEvents(t *testing.T) int {
	if v := os.Getenv("TRPCWS_FLOOD_EVENTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("TRPCWS_FLOOD_EVENTS: %v", err)
		}
		return n
	}
	return 100_000
}

// heapPeak samples the heap until stop is closed and returns the highest
// HeapAlloc seen.
func heapPeak(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		var peak uint64
		var ms runtime.MemStats
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// Bug 3: a slow consumer buffered without bound, and events kept coming
// after Unsubscribe. The flood of the issue: 400 B events into an OnData
// that sleeps 1 ms.
func TestSlowSubscriberIsBounded(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{}) // the flood would slow the shared one
	c := newClient(t, trpcws.Options{URL: srv.URL})
	ctx, cancel := context.WithTimeout(context.Background(), 240*time.Second) // the backlog (40 MB) drains first: minutes under -race on a loaded machine
	defer cancel()
	n := floodEvents(t)
	var delivered atomic.Int64
	errc := make(chan error, 1)
	stop := make(chan struct{})
	peak := heapPeak(stop)
	sub, err := c.Subscribe(ctx, "flood", map[string]int{"count": n, "size": 400}, trpcws.SubscribeOptions{
		OnData: func(trpcws.Event) {
			delivered.Add(1)
			time.Sleep(time.Millisecond)
		},
		OnError: func(err error) { errc <- err },
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, trpcws.ErrSlowConsumer) {
			t.Errorf("subscription ended with %v, want ErrSlowConsumer", err)
		}
	case <-ctx.Done():
		t.Fatal("the flood never overflowed the subscription's buffer")
	}
	<-sub.Done()
	if !errors.Is(sub.Err(), trpcws.ErrSlowConsumer) {
		t.Errorf("Err() = %v", sub.Err())
	}
	if d := delivered.Load(); d < trpcws.DefaultBufferSize {
		t.Errorf("%d events delivered before the overflow, want at least the buffer (%d)", d, trpcws.DefaultBufferSize)
	}
	// The socket carries on for everyone else once the backlog has drained.
	if res, err := c.Query(ctx, "echo", 1); err != nil || string(res) != "1" {
		t.Errorf("client after the flood: %s %v", res, err)
	}
	close(stop)
	p := <-peak
	t.Logf("flood of %d × 400 B events into a 1 ms OnData: %d delivered, heap peak %.1f MB", n, delivered.Load(), float64(p)/(1<<20))
	if p > 256<<20 {
		t.Errorf("heap peak %d MB", p>>20)
	}
}

// Bug 3: after Unsubscribe returns, OnData is not called again (beyond
// the call in progress).
func TestUnsubscribeIsFinal(t *testing.T) {
	t.Parallel()
	c := newClient(t, trpcws.Options{})
	ctx := ctxT(t)
	var unsubscribed atomic.Bool
	var late, delivered atomic.Int64
	enough := make(chan struct{})
	sub, err := c.Subscribe(ctx, "events", map[string]int{"intervalMs": 0}, trpcws.SubscribeOptions{
		BufferSize: -1,
		OnData: func(trpcws.Event) {
			if unsubscribed.Load() {
				late.Add(1)
			}
			if delivered.Add(1) == 50 {
				close(enough)
			}
			time.Sleep(5 * time.Millisecond) // a backlog builds
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-enough:
	case <-time.After(30 * time.Second):
		t.Fatalf("only %d events in 30 s", delivered.Load())
	}
	// Counted from Unsubscribe's return: the calls made while it runs are
	// allowed (under load, a few 5 ms calls fit before it takes the lock).
	sub.Unsubscribe()
	unsubscribed.Store(true)
	returnsWithin(t, "the end of the subscription after Unsubscribe", 15*time.Second, func() bool { <-sub.Done(); return true })
	if n := late.Load(); n > 1 {
		t.Errorf("OnData ran %d times after Unsubscribe returned, want at most the one in progress", n)
	}
}

// Bug 3: the Events iterator yielded its backlog before ctx's error.
func TestEventsStopsAtOnceOnCtxEnd(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{}) // the flood would slow the shared one
	// The flood is larger than any backlog the subscription holds
	// (DefaultBufferSize), and small enough that the closing handshake,
	// which reads whatever the server queued before it, stays short on a
	// loaded machine; Close still gets a generous deadline.
	const flood, backlog = 3000, 400
	c, err := trpcws.NewClient(trpcws.Options{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	n, after := 0, 0
	var last error
	for ev, err := range c.Events(ctx, "flood", map[string]int{"count": flood, "size": 100}, "") {
		if err != nil {
			last = err
			break
		}
		_ = ev
		n++
		if ctx.Err() != nil {
			after++
		}
		switch n {
		case 10:
			// Wait until a backlog has arrived (events received, not yet
			// yielded), however slow the machine: the frames in are the
			// started message and the events.
			waitUntil(t, "a backlog", func() bool { return c.Stats().FramesIn >= int64(1+n+backlog) })
		case 10 + backlog/2:
			// The iterator takes what has arrived in batches. The batch
			// after the wait holds the whole backlog: this event is inside
			// it (unless the batch of event 10 ended exactly here), with
			// events after it for a buggy iterator to yield.
			cancel()
		}
	}
	if !errors.Is(last, context.Canceled) {
		t.Errorf("last = %v, want context.Canceled", last)
	}
	if after > 0 {
		t.Errorf("Events yielded %d events after ctx ended", after)
	}
}

// Bug 4: invalid UTF-8 from the caller was sent as is and poisoned the
// connection for everyone.
func TestInvalidUTF8IsRejectedAtTheCall(t *testing.T) {
	t.Parallel()
	var closes atomic.Int64
	c := newClient(t, trpcws.Options{OnClose: func(int) { closes.Add(1) }})
	ctx := ctxT(t)
	if _, err := c.Query(ctx, "echo", 0); err != nil {
		t.Fatal(err)
	}
	bad := "\xff\xfe"
	if _, err := c.Query(ctx, "echo"+bad, nil); err == nil {
		t.Error("a path with invalid UTF-8 was accepted")
	}
	if _, err := c.Query(ctx, "echo", json.RawMessage(`"`+bad+`"`)); err == nil {
		t.Error("a json.RawMessage with invalid UTF-8 was accepted")
	}
	if _, err := c.Subscribe(ctx, "events", nil, trpcws.SubscribeOptions{LastEventID: bad}); err == nil {
		t.Error("a LastEventID with invalid UTF-8 was accepted")
	}
	for ev, err := range c.Events(ctx, "events", nil, bad) {
		if err == nil {
			t.Errorf("Events with an invalid LastEventID yielded %v", ev)
		}
		break
	}
	for i := range 5 {
		if res, err := c.Query(ctx, "echo", i); err != nil {
			t.Fatalf("query %d after the invalid calls: %s %v", i, res, err)
		}
	}
	if n := closes.Load(); n != 0 {
		t.Errorf("%d sockets closed", n)
	}
}
