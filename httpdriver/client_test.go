package httpdriver_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/trpcws/trpcws/core"
	"github.com/trpcws/trpcws/httpdriver"
	"github.com/trpcws/trpcws/httpwire"
	"github.com/trpcws/trpcws/internal/testserver"
)

// The real @trpc/server 11.25.2's two HTTP adapters serving the same
// router: the standalone (node:http) adapter under /trpc/ and the fetch
// adapter (fetchRequestHandler behind a node:http bridge) under /fetch/.
var adapters = []struct{ name, path string }{
	{"standalone", "/trpc"},
	{"fetch", "/fetch"},
}

// eachAdapter runs f as a parallel subtest once per adapter, with the
// client's URL path of that adapter.
func eachAdapter(t *testing.T, f func(t *testing.T, path string)) {
	t.Helper()
	for _, a := range adapters {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			f(t, a.path)
		})
	}
}

// start starts a test server and a client of its adapter at path.
func start(t *testing.T, path string, opts httpdriver.Options) (*testserver.Server, *httpdriver.Client) {
	t.Helper()
	srv := testserver.Start(t, testserver.Options{})
	opts.URL = srv.HTTP + path
	c, err := httpdriver.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func TestQueriesMutationsErrors(t *testing.T) {
	t.Parallel()
	eachAdapter(t, func(t *testing.T, path string) {
		var mu sync.Mutex
		var auth []string
		_, c := start(t, path, httpdriver.Options{Header: func(ctx context.Context) (http.Header, error) {
			mu.Lock()
			defer mu.Unlock()
			auth = append(auth, "x")
			return http.Header{"Authorization": {"Bearer t"}}, nil
		}})
		ctx := context.Background()
		// Calls started together go in one batch: fewer requests than calls.
		var wg sync.WaitGroup
		errs := make([]error, 20)
		for i := range 20 {
			wg.Go(func() {
				in, _ := json.Marshal(map[string]int{"i": i})
				out, err := c.Call(ctx, true, "echo", in)
				if err == nil && string(out) != string(in) {
					err = errors.New("echo " + string(out) + " for " + string(in))
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if len(auth) == 0 || len(auth) > 20 {
			t.Fatalf("%d requests for 20 calls", len(auth))
		}
		out, err := c.Call(ctx, false, "add", []byte(`{"a":2,"b":3}`))
		if err != nil || string(out) != "5" {
			t.Fatalf("add: %s %v", out, err)
		}
		if out, err := c.Call(ctx, false, "voidMutation", nil); err != nil || out != nil {
			t.Fatalf("voidMutation: %s %v", out, err)
		}
		_, err = c.Call(ctx, true, "fail", []byte(`{"code":"NOT_FOUND","message":"nope"}`))
		var te *core.TRPCError
		if !errors.As(err, &te) || te.Code != "NOT_FOUND" || te.Message != "nope" || te.HTTPStatus != 404 || te.Path != "fail" {
			t.Fatalf("fail: %v", err)
		}
		if _, err := c.Call(ctx, true, "nosuch", nil); !errors.As(err, &te) || te.Code != "NOT_FOUND" {
			t.Fatalf("nosuch: %v", err)
		}
	})
}

func TestBatchLimits(t *testing.T) {
	t.Parallel()
	eachAdapter(t, func(t *testing.T, path string) {
		_, c := start(t, path, httpdriver.Options{Limits: httpwire.Limits{MaxURLLength: 300}})
		big := make([]byte, 400)
		for i := range big {
			big[i] = 'a'
		}
		in, _ := json.Marshal(string(big))
		if _, err := c.Call(context.Background(), true, "echo", in); !errors.Is(err, httpwire.ErrTooBig) {
			t.Fatalf("too big: %v", err)
		}
	})
}

func TestSubscriptionResumesAfterDrop(t *testing.T) {
	t.Parallel()
	eachAdapter(t, func(t *testing.T, path string) {
		srv, c := start(t, path, httpdriver.Options{})
		var got []string
		reconnects, resumeFrom := 0, ""
		r := &recorder{
			onData: func(e event) {
				got = append(got, e.ID)
				if e.ID == "3" {
					srv.Drop(t) // cut the stream mid-way
				}
			},
			onReconnect: func(error) {
				// Events sent before the drop took effect may still arrive
				// (4, 5 under load): the resume is from the last one seen.
				if reconnects == 0 {
					resumeFrom = got[len(got)-1]
				}
				reconnects++
			},
		}
		c.Subscribe(context.Background(), "events", []byte(`{"intervalMs":20,"max":8}`), httpdriver.SubscribeOptions{
			RetryDelay: func(int) time.Duration { return 0 },
		}, r)
		if err := r.end(); err != nil {
			t.Fatal(err)
		}
		if reconnects == 0 {
			t.Fatal("the drop was not noticed")
		}
		want := []string{"1", "2", "3", "4", "5", "6", "7", "8"}
		if len(got) != len(want) {
			t.Fatalf("events %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("events %v, want %v", got, want)
			}
		}
		resumed := false
		for _, s := range srv.Stats(t).SubscriptionStarts {
			if s.Path == "events" && s.LastEventID == resumeFrom {
				resumed = true
			}
		}
		if !resumed {
			t.Fatalf("no start with lastEventId %q: %+v", resumeFrom, srv.Stats(t).SubscriptionStarts)
		}
	})
}

// ConnectionParamsFunc is called for every connection of the stream, the
// reconnects too, and what it returns reaches createContext; its error,
// even a *core.TRPCError, fails that connection only: reconnected.
func TestSubscriptionConnectionParamsFunc(t *testing.T) {
	t.Parallel()
	eachAdapter(t, func(t *testing.T, path string) {
		srv, c := start(t, path, httpdriver.Options{})
		refused := &core.TRPCError{Code: "UNAUTHORIZED", Message: "no token yet"}
		calls := 0 // Subscribe's goroutine only
		var got []string
		var causes []error
		r := &recorder{
			onData: func(e event) {
				var w struct {
					Data struct{ ConnectionParams map[string]string }
				}
				if err := json.Unmarshal(e.Data, &w); err != nil {
					t.Error(err)
				}
				tok := w.Data.ConnectionParams["token"]
				if len(got) == 0 || got[len(got)-1] != tok {
					got = append(got, tok)
					if len(got) == 1 {
						srv.Drop(t)
					}
				}
			},
			onReconnect: func(why error) { causes = append(causes, why) },
		}
		c.Subscribe(context.Background(), "events", []byte(`{"intervalMs":50,"max":20,"whoami":true}`), httpdriver.SubscribeOptions{
			ConnectionParams: []byte(`{"token":"static"}`),
			ConnectionParamsFunc: func(ctx context.Context) ([]byte, error) {
				calls++
				if calls == 1 {
					return nil, refused
				}
				return fmt.Appendf(nil, `{"token":"t%d"}`, calls), nil
			},
			RetryDelay: func(int) time.Duration { return 0 },
		}, r)
		if err := r.end(); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != "[t2 t3]" || len(causes) < 2 || !errors.Is(causes[0], refused) {
			t.Fatalf("tokens %v after %d calls, reconnect causes %v", got, calls, causes)
		}
	})
}

func TestSubscriptionSurvivesRestart(t *testing.T) {
	t.Parallel()
	eachAdapter(t, func(t *testing.T, path string) {
		srv, c := start(t, path, httpdriver.Options{})
		var got []string
		r := &recorder{onData: func(e event) {
			got = append(got, e.ID)
			if e.ID == "2" {
				srv.Restart(t, 300*time.Millisecond)
			}
		}}
		c.Subscribe(context.Background(), "events", []byte(`{"intervalMs":20,"max":5}`), httpdriver.SubscribeOptions{
			RetryDelay: func(int) time.Duration { return 100 * time.Millisecond },
		}, r)
		err := r.end()
		// Resumed after the restart by lastEventId: nothing lost, nothing twice.
		if err != nil || fmt.Sprint(got) != "[1 2 3 4 5]" {
			t.Fatalf("events %v, %v", got, err)
		}
	})
}

func TestSubscriptionError(t *testing.T) {
	t.Parallel()
	eachAdapter(t, func(t *testing.T, path string) {
		_, c := start(t, path, httpdriver.Options{})
		var data []string
		r := &recorder{onData: func(e event) { data = append(data, string(e.Data)) }}
		c.Subscribe(context.Background(), "failingSub", []byte(`{"after":2}`), httpdriver.SubscribeOptions{}, r)
		err := r.end()
		var te *core.TRPCError
		if !errors.As(err, &te) || te.Code != "BAD_REQUEST" || te.Message != "sub failed" {
			t.Fatalf("err %v", err)
		}
		if len(data) != 2 || data[0] != "0" || data[1] != "1" {
			t.Fatalf("data %v", data)
		}
	})
}

func TestSubscriptionCancel(t *testing.T) {
	t.Parallel()
	eachAdapter(t, func(t *testing.T, path string) {
		_, c := start(t, path, httpdriver.Options{})
		ctx, cancel := context.WithCancel(context.Background())
		r := &recorder{onData: func(e event) {
			if e.ID == "3" {
				cancel()
			}
		}}
		c.Subscribe(ctx, "events", []byte(`{"intervalMs":5}`), httpdriver.SubscribeOptions{}, r)
		// Ended by its context: completed, closed=true.
		if err := r.end(); !errors.Is(err, errCompletedClosed) {
			t.Fatal(err)
		}
	})
}

// httpBatchStreamLink's streamed response from the real server: a batch's
// fast call returns while its slow one is still running; results, void
// results and errors as without streaming.
func TestBatchStream(t *testing.T) {
	t.Parallel()
	eachAdapter(t, func(t *testing.T, path string) {
		var mu sync.Mutex
		requests := 0
		_, c := start(t, path, httpdriver.Options{Stream: true, Header: func(context.Context) (http.Header, error) {
			mu.Lock()
			defer mu.Unlock()
			requests++
			return nil, nil
		}})
		ctx := context.Background()
		batched := false
		for try := 0; try < 20 && !batched; try++ {
			mu.Lock()
			requests = 0
			mu.Unlock()
			sctx, cancel := context.WithCancel(ctx)
			slow := make(chan error, 1)
			fast := make(chan error, 1)
			go func() {
				_, err := c.Call(sctx, true, "slow", []byte(`{"ms":600000,"value":1}`))
				slow <- err
			}()
			go func() {
				// Bounded only so that a failure does not hang the suite.
				fctx, fcancel := context.WithTimeout(ctx, 60*time.Second)
				defer fcancel()
				out, err := c.Call(fctx, true, "echo", []byte(`{"x":1}`))
				if err == nil && string(out) != `{"x":1}` {
					err = errors.New("echo " + string(out))
				}
				fast <- err
			}()
			if err := <-fast; err != nil {
				t.Fatalf("the fast call of a streamed batch: %v", err)
			}
			select {
			case err := <-slow:
				t.Fatalf("the slow call ended first: %v", err)
			default:
			}
			mu.Lock()
			batched = requests == 1
			mu.Unlock()
			cancel()
			<-slow
		}
		if !batched {
			t.Fatal("the two calls never went in one batch")
		}

		var wg sync.WaitGroup
		errs := make([]error, 3)
		wg.Go(func() {
			_, err := c.Call(ctx, true, "fail", []byte(`{"code":"NOT_FOUND"}`))
			var te *core.TRPCError
			if !errors.As(err, &te) || te.Code != "NOT_FOUND" {
				errs[0] = errors.New("fail: " + errString(err))
			}
		})
		wg.Go(func() {
			out, err := c.Call(ctx, false, "voidMutation", nil)
			if err != nil || out != nil {
				errs[1] = errors.New("voidMutation: " + string(out) + " " + errString(err))
			}
		})
		wg.Go(func() {
			out, err := c.Call(ctx, false, "add", []byte(`{"a":1,"b":2}`))
			if err != nil || string(out) != "3" {
				errs[2] = errors.New("add: " + string(out) + " " + errString(err))
			}
		})
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
