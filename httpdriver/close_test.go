package httpdriver_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trpcws/trpcws/httpdriver"
	"github.com/trpcws/trpcws/internal/testserver"
)

// errClosed is the tests' Options.ErrClosed, as the root package passes
// its ErrClientClosed.
var errClosed = errors.New("test: closed")

// wait bounds what a test waits for the server, so that a failure does not
// hang the suite (it times nothing).
const wait = 60 * time.Second

// slowCall starts a query of "slow" that the server answers after 10
// minutes, and returns its error's channel once the server has it.
func slowCall(t *testing.T, srv *testserver.Server, c *httpdriver.Client) <-chan error {
	t.Helper()
	srv.Reset(t)
	done := make(chan error, 1)
	go func() {
		_, err := c.Call(context.Background(), true, "slow", []byte(`{"ms":600000}`))
		done <- err
	}()
	srv.WaitFor(t, "the slow call at the server", wait, func(st testserver.Stats) bool {
		return len(st.ConnectionParams) > 0 // one per createContext: the request is there
	})
	return done
}

// liveStream runs a subscription to "events" on its own goroutine and
// returns its sink and what Subscribe returned, once the first event came.
func liveStream(t *testing.T, c *httpdriver.Client) (*recorder, <-chan error) {
	t.Helper()
	first := make(chan struct{})
	var once sync.Once
	r := &recorder{onData: func(event) { once.Do(func() { close(first) }) }}
	ret := make(chan error, 1)
	go func() {
		ret <- c.Subscribe(context.Background(), "events", []byte(`{"intervalMs":5}`), httpdriver.SubscribeOptions{}, r)
	}()
	select {
	case <-first:
	case err := <-ret:
		t.Fatalf("the subscription ended before its first event: %v, %v", err, r.end())
	case <-time.After(wait):
		t.Fatal("no event")
	}
	return r, ret
}

// afterClose checks what a closed client does: Closed is true, a call and
// a subscription fail with ErrClosed itself (the subscription's sink told
// nothing), and a second Close returns false.
func afterClose(t *testing.T, c *httpdriver.Client) {
	t.Helper()
	if !c.Closed() {
		t.Fatal("Closed() is false after Close")
	}
	if _, err := c.Call(context.Background(), true, "echo", []byte(`1`)); err != errClosed {
		t.Fatalf("a call after Close: %v, want ErrClosed itself", err)
	}
	r := &recorder{}
	if err := c.Subscribe(context.Background(), "events", nil, httpdriver.SubscribeOptions{}, r); err != errClosed {
		t.Fatalf("a subscription after Close: %v, want ErrClosed", err)
	}
	if r.calls != 0 {
		t.Fatalf("the refused subscription's sink was called %d times", r.calls)
	}
	if c.Close(context.Background()) {
		t.Fatal("a second Close returned true")
	}
}

// Close while a call waits for its answer (plain and jsonl) and a stream
// is live: the call fails with ErrClosed, the sink gets Complete(true)
// before Close returns, and Subscribe returns nil; everything after is
// refused.
func TestCloseInFlight(t *testing.T) {
	t.Parallel()
	eachAdapter(t, func(t *testing.T, path string) {
		srv := testserver.Start(t, testserver.Options{})
		for _, stream := range []bool{false, true} {
			c, err := httpdriver.New(httpdriver.Options{URL: srv.HTTP + path, Stream: stream, ErrClosed: errClosed})
			if err != nil {
				t.Fatal(err)
			}
			r, ret := liveStream(t, c)
			done := slowCall(t, srv, c)
			if !c.Close(context.Background()) {
				t.Fatal("the first Close returned false")
			}
			// Close waited for the stream's end: the sink has it already.
			if err := r.end(); !errors.Is(err, errCompletedClosed) {
				t.Fatalf("stream %v: the subscription at Close: %v, want Complete(true)", stream, err)
			}
			if err := <-ret; err != nil {
				t.Fatalf("Subscribe returned %v, want nil", err)
			}
			if err := <-done; err != errClosed {
				t.Fatalf("stream %v: the call in flight: %v, want ErrClosed", stream, err)
			}
			srv.WaitFor(t, "the server saw the stream end", wait, func(st testserver.Stats) bool {
				return len(st.SubscriptionEnds) > 0
			})
			afterClose(t, c)
		}
	})
}

// An Options.Header waiting on its ctx is let go by Close (its ctx is the
// call's, which Close ends); and with no Options.ErrClosed, the package's
// ErrClosed is the error.
func TestCloseReleasesHeader(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	in := make(chan struct{})
	c, err := httpdriver.New(httpdriver.Options{URL: srv.HTTP + "/trpc", Header: func(ctx context.Context) (http.Header, error) {
		close(in)
		<-ctx.Done()
		return nil, ctx.Err()
	}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Call(context.Background(), true, "echo", []byte(`1`))
		done <- err
	}()
	<-in
	if !c.Close(context.Background()) {
		t.Fatal("Close returned false")
	}
	if err := <-done; err != httpdriver.ErrClosed {
		t.Fatalf("the call whose header was being made: %v, want httpdriver.ErrClosed", err)
	}
}

// Many goroutines close the client at once while calls and subscriptions
// run and new ones start: one Close returns true; every call fails with
// ErrClosed or had its answer; every subscription started before ended
// with Complete(true), one that raced Close either so or refused.
func TestCloseConcurrent(t *testing.T) {
	t.Parallel()
	eachAdapter(t, func(t *testing.T, path string) {
		srv, c := start(t, path, httpdriver.Options{ErrClosed: errClosed})
		var subs []*recorder
		var rets []<-chan error
		for range 3 {
			r, ret := liveStream(t, c)
			subs, rets = append(subs, r), append(rets, ret)
		}
		done := slowCall(t, srv, c)
		var wg sync.WaitGroup
		var firsts atomic.Int32
		callErrs := make(chan error, 64)
		racers := make([]*recorder, 16)
		racerRets := make([]error, 16)
		for i := range 64 {
			wg.Go(func() {
				switch i % 4 {
				case 0:
					if c.Close(context.Background()) {
						firsts.Add(1)
					}
				case 1:
					_, err := c.Call(context.Background(), true, "echo", []byte(`1`))
					callErrs <- err
				case 2:
					racers[i/4] = &recorder{}
					racerRets[i/4] = c.Subscribe(context.Background(), "events", []byte(`{"intervalMs":5}`), httpdriver.SubscribeOptions{}, racers[i/4])
				default:
					c.Closed()
				}
			})
		}
		wg.Wait()
		close(callErrs)
		if n := firsts.Load(); n != 1 {
			t.Fatalf("%d Closes returned true, want 1", n)
		}
		for err := range callErrs {
			if err != nil && err != errClosed {
				t.Fatalf("a call racing Close: %v, want its answer or ErrClosed", err)
			}
		}
		if err := <-done; err != errClosed {
			t.Fatalf("the call in flight: %v, want ErrClosed", err)
		}
		for i, r := range subs {
			if err := r.end(); !errors.Is(err, errCompletedClosed) {
				t.Fatalf("subscription %d: %v, want Complete(true)", i, err)
			}
			if err := <-rets[i]; err != nil {
				t.Fatalf("subscription %d: Subscribe returned %v", i, err)
			}
		}
		for i, r := range racers {
			switch err := racerRets[i]; {
			case err == errClosed && r.calls == 0:
			case err == nil && errors.Is(r.end(), errCompletedClosed):
			default:
				t.Fatalf("a subscription racing Close: returned %v, sink %v after %d calls", err, r.end(), r.calls)
			}
		}
		afterClose(t, c)
	})
}

// Not parallel: it counts goroutines. A client that called (plain and
// jsonl), streamed and was closed with all of it in flight leaves no
// goroutine behind once its idle connections are closed.
func TestCloseNoGoroutineLeak(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	hc := &http.Client{Transport: &http.Transport{}}
	check := noLeak(t, hc)
	for _, stream := range []bool{false, true} {
		c, err := httpdriver.New(httpdriver.Options{URL: srv.HTTP + "/trpc", HTTPClient: hc, Stream: stream, ErrClosed: errClosed})
		if err != nil {
			t.Fatal(err)
		}
		if out, err := c.Call(context.Background(), true, "echo", []byte(`"x"`)); err != nil || string(out) != `"x"` {
			t.Fatalf("echo: %s %v", out, err)
		}
		r, ret := liveStream(t, c)
		done := slowCall(t, srv, c)
		c.Close(context.Background())
		if err := <-done; err != errClosed {
			t.Fatalf("the call in flight: %v", err)
		}
		<-ret
		if err := r.end(); !errors.Is(err, errCompletedClosed) {
			t.Fatal(err)
		}
	}
	check()
}
