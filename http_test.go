//go:build !js

package trpcws_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trpcws/trpcws"
	"github.com/trpcws/trpcws/httpwire"
	"github.com/trpcws/trpcws/internal/testserver"
)

// The same Client API over http:// (batch + SSE) against the real
// @trpc/server standalone adapter.
func TestHTTPTransport(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c, err := trpcws.NewClient(trpcws.Options{URL: srv.HTTP + "/trpc", HTTPHeader: http.Header{"X-Test": {"1"}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	type echo struct{ N int }
	got, err := trpcws.Query[echo](ctx, c, "echo", echo{N: 4})
	if err != nil || got.N != 4 {
		t.Fatalf("echo: %+v %v", got, err)
	}
	sum, err := trpcws.Mutation[int](ctx, c, "add", map[string]int{"a": 1, "b": 2})
	if err != nil || sum != 3 {
		t.Fatalf("add: %d %v", sum, err)
	}
	_, err = c.Query(ctx, "fail", map[string]string{"code": "FORBIDDEN"})
	var te *trpcws.TRPCError
	if !errors.As(err, &te) || te.Code != "FORBIDDEN" {
		t.Fatalf("fail: %v", err)
	}
	var ids []string
	for ev, err := range c.Events(ctx, "events", map[string]int{"max": 3, "intervalMs": 1}, "") {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.ID)
		if len(ids) == 1 {
			srv.Drop(t) // resumed after id 1
		}
	}
	if len(ids) != 3 || ids[0] != "1" || ids[2] != "3" {
		t.Fatalf("events %v", ids)
	}
	// A subscription alive at Close completes.
	sub, err := c.Subscribe(ctx, "events", map[string]int{"intervalMs": 5}, trpcws.SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	<-sub.Done()
	if _, err := c.Query(ctx, "echo", 1); !errors.Is(err, trpcws.ErrClientClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

// HTTPHeaderFunc puts a fresh header on every HTTP request (over
// HTTPHeader's) and on the WebSocket handshake; its error fails the call.
func TestHTTPHeaderFunc(t *testing.T) {
	t.Parallel()
	srv := shared // not disturbed: no drop, no restart
	ctx := context.Background()
	var n atomic.Int64
	errNo := errors.New("no token")
	fresh := func(context.Context) (http.Header, error) {
		i := n.Add(1)
		if i == 2 {
			return nil, errNo
		}
		return http.Header{"authorization": {"Bearer " + strconv.FormatInt(i, 10)}}, nil
	}
	for _, url := range []string{srv.HTTP + "/trpc", srv.URL} {
		n.Store(0)
		c, err := trpcws.NewClient(trpcws.Options{URL: url, HTTPHeader: http.Header{"Authorization": {"static"}, "X-Static": {"s"}}, HTTPHeaderFunc: fresh})
		if err != nil {
			t.Fatal(err)
		}
		q := func(name string) (string, error) {
			v, err := trpcws.Query[*string](ctx, c, "header", map[string]string{"name": name})
			return deref(v), err
		}
		a1, err1 := q("authorization")
		a2, err2 := q("authorization")
		st, err3 := q("x-static")
		switch {
		case err1 != nil || err3 != nil:
			t.Fatalf("%s: %v %v", url, err1, err3)
		case url == srv.URL: // one handshake for every call
			if a1 != "Bearer 1" || a2 != "Bearer 1" || st != "s" || err2 != nil {
				t.Fatalf("WebSocket handshake headers: %q %q %q %v", a1, a2, st, err2)
			}
		default:
			if a1 != "Bearer 1" || !errors.Is(err2, errNo) || st != "s" {
				t.Fatalf("HTTP: a fresh header per request: %q (%v), %q (%v), %q", a1, err1, a2, err2, st)
			}
		}
		c.Close(ctx)
	}
}

// Options.HTTPBatchStream: the same results and errors through the
// streamed batch response (httpdriver's TestBatchStream shows the
// streaming itself).
func TestHTTPBatchStream(t *testing.T) {
	t.Parallel()
	srv := shared // not disturbed: no drop, no restart
	c, err := trpcws.NewClient(trpcws.Options{URL: srv.HTTP + "/trpc", HTTPBatchStream: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	ctx := context.Background()
	if v, err := trpcws.Query[map[string]int](ctx, c, "echo", map[string]int{"n": 5}); err != nil || v["n"] != 5 {
		t.Fatalf("echo: %v %v", v, err)
	}
	var te *trpcws.TRPCError
	if _, err := c.Query(ctx, "fail", map[string]string{"code": "CONFLICT"}); !errors.As(err, &te) || te.Code != "CONFLICT" {
		t.Fatalf("fail: %v", err)
	}
	if out, err := c.Mutation(ctx, "voidMutation", nil); err != nil || out != nil {
		t.Fatalf("voidMutation: %s %v", out, err)
	}
}

// Options.ReadLimit bounds an HTTP response as it bounds a WebSocket
// message: an echo answered with more than the limit fails with a
// *ClosedError (ErrConnectionClosed) whose cause is the
// *httpwire.LimitError, and the client goes on serving.
func TestHTTPReadLimit(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	for _, stream := range []bool{false, true} {
		c, err := trpcws.NewClient(trpcws.Options{URL: srv.HTTP + "/trpc", ReadLimit: 1024, HTTPBatchStream: stream})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		_, err = c.Query(ctx, "echo", strings.Repeat("x", 2048))
		var le *httpwire.LimitError
		if !errors.Is(err, trpcws.ErrConnectionClosed) || !errors.As(err, &le) || le.Limit != 1024 {
			t.Fatalf("stream %v: an answer over ReadLimit: %v, want a *ClosedError from a *httpwire.LimitError", stream, err)
		}
		if out, err := c.Query(ctx, "echo", "small"); err != nil || string(out) != `"small"` {
			t.Fatalf("stream %v: echo after: %s %v", stream, out, err)
		}
		if err := c.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// A panicking Options.RetryDelay, asked when an event stream is reopened
// after a drop, is a *PanicError passed to OnError and counts as the
// default backoff, as on the WebSocket: the subscription resumes (it used
// to escape on the stream's goroutine and crash the program).
func TestHTTPRetryDelayPanic(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	panics := make(chan error, 4)
	c, err := trpcws.NewClient(trpcws.Options{
		URL:        srv.HTTP + "/trpc",
		RetryDelay: func(int) time.Duration { panic("retry delay") },
		OnError: func(err error) {
			var pe *trpcws.PanicError
			if errors.As(err, &pe) && pe.Callback == "RetryDelay" {
				panics <- err
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var ids []string
	for ev, err := range c.Events(context.Background(), "events", map[string]int{"max": 2, "intervalMs": 300}, "") {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.ID)
		if len(ids) == 1 {
			srv.Drop(t)
		}
	}
	if len(ids) != 2 || ids[1] != "2" {
		t.Fatalf("events %v", ids)
	}
	<-panics
}

// whoamiEvent is an event of the test server's events subscription with
// whoami: the connection params and URL of the request that carried it.
type whoamiEvent struct {
	N                int
	ConnectionParams map[string]string
	URL              string
}

func decodeWhoami(t *testing.T, ev trpcws.Event) whoamiEvent {
	t.Helper()
	var w struct{ Data whoamiEvent }
	if err := json.Unmarshal(ev.Data, &w); err != nil {
		t.Fatalf("event %s: %v", ev.Data, err)
	}
	return w.Data
}

// ConnectionParamsFunc is called for every connection of an event stream
// (each reconnect too), over ConnectionParams, and the server's
// createContext gets what it returned; nil is sent as null, as the
// reference sends a function's null. Its ctx ends with the subscription,
// carries its values, and ConnectionTransport tells it is for SSE.
func TestHTTPConnectionParamsFunc(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	var calls atomic.Int32
	ctxs := make(chan context.Context, 8)
	c, err := trpcws.NewClient(trpcws.Options{
		URL:              srv.HTTP + "/trpc",
		ConnectionParams: map[string]string{"token": "static"},
		ConnectionParamsFunc: func(ctx context.Context) (map[string]string, error) {
			ctxs <- ctx
			n := calls.Add(1)
			if n == 3 {
				return nil, nil
			}
			return map[string]string{"token": "t" + strconv.Itoa(int(n))}, nil
		},
		RetryDelay: func(int) time.Duration { return 10 * time.Millisecond },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	// Each connection's events carry its params: t1, then after a drop
	// t2, then after another drop null.
	var tokens []string
	var nullURL string
	last := 0
	// The subscription's ctx values reach each call (not its end).
	type key struct{}
	sctx := context.WithValue(context.Background(), key{}, "sub")
	for ev, err := range c.Events(sctx, "events", map[string]any{"max": 50, "intervalMs": 50, "whoami": true}, "") {
		if err != nil {
			t.Fatal(err)
		}
		w := decodeWhoami(t, ev)
		if w.N != last+1 {
			t.Fatalf("event %d after %d (not resumed)", w.N, last)
		}
		last = w.N
		tok := "null"
		if w.ConnectionParams != nil {
			tok = w.ConnectionParams["token"]
		}
		if len(tokens) == 0 || tokens[len(tokens)-1] != tok {
			tokens = append(tokens, tok)
			if tok == "null" {
				nullURL = w.URL
				break
			}
			srv.Drop(t) // the reconnect calls the func again
		}
	}
	if strings.Join(tokens, ",") != "t1,t2,null" {
		t.Fatalf("connection params per connection: %v", tokens)
	}
	if !strings.Contains(nullURL, "connectionParams=null") {
		t.Fatalf("nil params: request %q, want connectionParams=null", nullURL)
	}
	if n := calls.Load(); n != 3 {
		t.Fatalf("ConnectionParamsFunc called %d times for 3 connections", n)
	}
	// Its ctx ends once the subscription has (the loop's break ended it),
	// says it is for an event stream, and carries the subscription's values.
	for range 3 {
		ctx := <-ctxs
		<-ctx.Done()
		if tr := trpcws.ConnectionTransport(ctx); tr != trpcws.TransportHTTP || ctx.Value(key{}) != "sub" {
			t.Fatalf("ConnectionTransport %q, value %v", tr, ctx.Value(key{}))
		}
	}
}

// A ConnectionParamsFunc that fails or panics fails that connection of
// the event stream, as on the WebSocket: the error (a *PanicError for a
// panic) goes to OnError and the stream is reconnected after the retry
// delay, calling it again.
func TestHTTPConnectionParamsFuncFails(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	errDown := errors.New("token service down")
	var calls atomic.Int32
	reported := make(chan error, 8)
	c, err := trpcws.NewClient(trpcws.Options{
		URL: srv.HTTP + "/trpc",
		ConnectionParamsFunc: func(ctx context.Context) (map[string]string, error) {
			switch calls.Add(1) {
			case 1:
				return nil, errDown
			case 2:
				panic("token panic")
			}
			return map[string]string{"token": "ok"}, nil
		},
		RetryDelay: func(int) time.Duration { return 10 * time.Millisecond },
		OnError:    func(err error) { reported <- err },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	states := make(chan trpcws.ConnectionState, 16)
	var evs []trpcws.Event
	sub, err := c.Subscribe(context.Background(), "events", map[string]any{"max": 1, "whoami": true}, trpcws.SubscribeOptions{
		OnStateChange: func(st trpcws.ConnectionState) { states <- st },
		OnData:        func(ev trpcws.Event) { evs = append(evs, ev) },
	})
	if err != nil {
		t.Fatal(err)
	}
	<-sub.Done()
	if err := sub.Err(); !errors.Is(err, trpcws.ErrSubscriptionEnded) {
		t.Fatalf("subscription ended with %v", err)
	}
	var got []whoamiEvent
	for _, ev := range evs {
		got = append(got, decodeWhoami(t, ev))
	}
	if len(got) != 1 || got[0].ConnectionParams["token"] != "ok" || calls.Load() != 3 {
		t.Fatalf("events %+v after %d calls", got, calls.Load())
	}
	if err := <-reported; !errors.Is(err, errDown) {
		t.Fatalf("first report %v, want %v", err, errDown)
	}
	var pe *trpcws.PanicError
	if err := <-reported; !errors.As(err, &pe) || pe.Callback != "ConnectionParamsFunc" || pe.Value != "token panic" {
		t.Fatalf("second report %v, want the *PanicError", err)
	}
	// The failed connections were told as reconnects, with why.
	var causes []error
	for len(causes) < 2 {
		st := <-states
		if st.State == trpcws.StateConnecting && st.Err != nil {
			causes = append(causes, st.Err)
		}
	}
	if !errors.Is(causes[0], errDown) || !errors.As(causes[1], &pe) {
		t.Fatalf("reconnect causes %v", causes)
	}
}
