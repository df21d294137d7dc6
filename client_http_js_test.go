//go:build js && wasm

package trpcws_test

// The HTTP transport on js/wasm (http(s):// URLs, HTTPURL's split, SSE),
// in Node 22 against the shared real @trpc/server's standalone HTTP
// adapter (its /trpc/ path), through the host's fetch.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trpcws/trpcws"
	"github.com/trpcws/trpcws/httpdriver"
	"github.com/trpcws/trpcws/httpwire"
	"go.uber.org/goleak"
)

// httpURL is the shared server's tRPC HTTP endpoint.
func httpURL() string {
	return "http" + strings.TrimPrefix(serverURL, "ws") + "/trpc"
}

// Queries, mutations and their errors over HTTP, from many goroutines at
// once; with HTTPBatchStream too.
func TestWasmHTTPCalls(t *testing.T) {
	ctx := ctxT(t)
	for _, stream := range []bool{false, true} {
		c := newClient(t, trpcws.Options{URL: httpURL(), HTTPBatchStream: stream})
		res, err := c.Query(ctx, "echo", map[string]string{"hello": "fetch"})
		if err != nil || string(res) != `{"hello":"fetch"}` {
			t.Fatalf("stream %v: echo = %s, %v", stream, res, err)
		}
		sum, err := trpcws.Mutation[int](ctx, c, "add", map[string]int{"a": 2, "b": 40})
		if err != nil || sum != 42 {
			t.Fatalf("stream %v: add = %d, %v", stream, sum, err)
		}
		if out, err := c.Mutation(ctx, "voidMutation", nil); err != nil || out != nil {
			t.Fatalf("stream %v: voidMutation = %s, %v", stream, out, err)
		}
		_, err = c.Query(ctx, "fail", map[string]string{"code": "NOT_FOUND", "message": "nope"})
		var te *trpcws.TRPCError
		if !errors.As(err, &te) || te.Code != "NOT_FOUND" || te.HTTPStatus != 404 || te.Message != "nope" || te.Path != "fail" {
			t.Fatalf("stream %v: fail: %v", stream, err)
		}
		if _, err := c.Query(ctx, "crash", nil); !errors.As(err, &te) || te.Code != "INTERNAL_SERVER_ERROR" {
			t.Fatalf("stream %v: crash: %v", stream, err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 30)
		for i := range errs {
			wg.Go(func() {
				n, err := trpcws.Query[int](ctx, c, "echo", i)
				if err == nil && n != i {
					err = fmt.Errorf("echo %d = %d", i, n)
				}
				errs[i] = err
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("stream %v: %v", stream, err)
		}
		// An interceptor's header goes on the call's request.
		hc := newClient(t, trpcws.Options{URL: httpURL(), HTTPBatchStream: stream, Interceptors: []trpcws.Interceptor{
			trpcws.UnaryInterceptorFunc(func(next trpcws.UnaryFunc) trpcws.UnaryFunc {
				return func(ctx context.Context, r *trpcws.Request) (json.RawMessage, error) {
					if r.Header == nil {
						r.Header = http.Header{}
					}
					r.Header.Set("X-Trpcws-Test", "from "+r.Path)
					return next(ctx, r)
				}
			}),
		}})
		if v, err := trpcws.Query[*string](ctx, hc, "header", map[string]string{"name": "x-trpcws-test"}); err != nil || v == nil || *v != "from header" {
			t.Fatalf("stream %v: the interceptor's header: %v, %v", stream, v, err)
		}
		// No WebSocket: the client never opened one.
		if s := c.Stats(); s.SocketsOpened != 0 {
			t.Fatalf("stream %v: %d sockets opened over HTTP", stream, s.SocketsOpened)
		}
	}
}

// The HTTP driver on js/wasm (the one the client uses) batches calls
// started together as httpBatchLink does, and with Stream a batch's fast
// call returns while its slow one is still running.
func TestWasmHTTPBatching(t *testing.T) {
	ctx := ctxT(t)
	for _, stream := range []bool{false, true} {
		var requests atomic.Int32
		d, err := httpdriver.New(httpdriver.Options{URL: httpURL(), Stream: stream, Header: func(context.Context) (http.Header, error) {
			requests.Add(1)
			return nil, nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 20)
		for i := range errs {
			wg.Go(func() {
				in := []byte(strconv.Itoa(i))
				out, err := d.Call(ctx, true, "echo", in)
				if err == nil && string(out) != string(in) {
					err = fmt.Errorf("echo %s = %s", in, out)
				}
				errs[i] = err
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("stream %v: %v", stream, err)
		}
		if n := requests.Load(); n < 1 || n >= 20 {
			t.Fatalf("stream %v: %d requests for 20 calls started together", stream, n)
		}
		if stream {
			streamed := false
			for try := 0; try < 20 && !streamed; try++ {
				requests.Store(0)
				sctx, cancel := context.WithCancel(ctx)
				slow := make(chan error, 1)
				go func() {
					_, err := d.Call(sctx, true, "slow", []byte(`{"ms":600000,"value":1}`))
					slow <- err
				}()
				out, err := d.Call(ctx, true, "echo", []byte(`{"x":1}`))
				if err != nil || string(out) != `{"x":1}` {
					t.Fatalf("the fast call of a streamed batch: %s, %v", out, err)
				}
				select {
				case err := <-slow:
					t.Fatalf("the slow call ended first: %v", err)
				default:
				}
				streamed = requests.Load() == 1 // both in one batch
				cancel()
				if err := <-slow; !errors.Is(err, context.Canceled) {
					t.Fatalf("the slow call, cancelled: %v", err)
				}
			}
			if !streamed {
				t.Fatal("the fast and slow calls never went in one streamed batch")
			}
		}
		if !d.Close(ctx) {
			t.Fatal("Close: already closed")
		}
	}
}

// whoTick is an event of the test server's events subscription with
// whoami: the connection params and request URL of its stream.
type whoTick struct {
	N                int
	ConnectionParams map[string]string
	URL              string
}

// Subscriptions over SSE: tracked events in order, resumed after a given
// id; a stream cut by the server is reopened with lastEventId, with no
// gap or duplicate, and the state change says so; a subscription alive
// at Close completes and leaves no goroutine.
func TestWasmSSE(t *testing.T) {
	ctx := ctxT(t)
	before := goleak.IgnoreCurrent()
	states := make(chan trpcws.ConnectionState, 64)
	c, err := trpcws.NewClient(trpcws.Options{URL: httpURL(), RetryDelay: func(int) time.Duration { return 10 * time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for ev, err := range trpcws.Events[whoTick](ctx, c, "events", map[string]any{"max": 4, "intervalMs": 1, "whoami": true}, "1") {
		if err != nil {
			t.Fatal(err)
		}
		if strconv.Itoa(ev.Data.N) != ev.ID || !ev.Tracked {
			t.Fatalf("event %+v", ev)
		}
		if len(ids) == 0 && lastEventID(t, ev.Data.URL) != "1" {
			t.Fatalf("resumed after 1: request %q", ev.Data.URL)
		}
		ids = append(ids, ev.ID)
	}
	if strings.Join(ids, ",") != "2,3,4" {
		t.Fatalf("ids = %v", ids)
	}

	// A drop: resumed after the last event, with lastEventId, and told as
	// a reconnect with its cause.
	events := make(chan trpcws.Event, 64)
	sub, err := c.Subscribe(ctx, "events", map[string]any{"intervalMs": 5, "whoami": true}, trpcws.SubscribeOptions{
		OnData:        func(ev trpcws.Event) { events <- ev },
		OnStateChange: func(st trpcws.ConnectionState) { states <- st },
	})
	if err != nil {
		t.Fatal(err)
	}
	last := 0
	for resumed := ""; resumed == ""; {
		var ev trpcws.Event
		select {
		case ev = <-events:
		case <-ctx.Done():
			t.Fatalf("no event after %d", last)
		}
		var tracked struct{ Data whoTick } // a tracked event's value is under data
		if err := json.Unmarshal(ev.Data, &tracked); err != nil {
			t.Fatalf("event %s: %v", ev.Data, err)
		}
		w := tracked.Data
		if w.N != last+1 || ev.ID != strconv.Itoa(w.N) {
			t.Fatalf("event %d (id %s) after %d: a gap or a duplicate", w.N, ev.ID, last)
		}
		last = w.N
		if last == 3 {
			control(t, "drop") // cuts the event stream too
		}
		if resumed = lastEventID(t, w.URL); resumed != "" && (resumed != strconv.Itoa(last-1) || last < 4) {
			t.Fatalf("event %d came on a stream resumed after %s", last, resumed)
		}
	}
	sub.Unsubscribe()
	<-sub.Done()
	var lost error
	for lost == nil {
		select {
		case st := <-states:
			if st.State == trpcws.StateConnecting && st.Err != nil {
				lost = st.Err
			}
		default:
			t.Fatal("no reconnecting state with a cause after the drop")
		}
	}

	// Close ends a live subscription, and every goroutine of the client.
	sub, err = c.Subscribe(ctx, "events", map[string]int{"intervalMs": 5}, trpcws.SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	<-sub.Done()
	if err := sub.Err(); !errors.Is(err, trpcws.ErrClientClosed) && !errors.Is(err, trpcws.ErrSubscriptionEnded) {
		t.Fatalf("a subscription ended by Close: %v", err)
	}
	if err := goleak.Find(goleak.IgnoreAnyFunction("runtime.handleEvent"), before); err != nil {
		t.Fatalf("after Close: %v", err)
	}
}

// lastEventID is the lastEventId in the input of a stream's request (its
// path and query), where httpSubscriptionLink puts it; "" for none.
func lastEventID(t *testing.T, pathQuery string) string {
	t.Helper()
	u, err := url.Parse(pathQuery)
	if err != nil {
		t.Fatalf("request URL %q: %v", pathQuery, err)
	}
	var in struct{ LastEventID string }
	if q := u.Query().Get("input"); q != "" {
		if err := json.Unmarshal([]byte(q), &in); err != nil {
			t.Fatalf("request URL %q: input: %v", pathQuery, err)
		}
	}
	return in.LastEventID
}

// HTTPURL splits one client: calls over HTTP (where the server's
// createContext sees no connection params), subscriptions over the
// WebSocket (which carries them), opened only for the subscription.
func TestWasmHTTPSplit(t *testing.T) {
	ctx := ctxT(t)
	c := newClient(t, trpcws.Options{
		HTTPURL:          httpURL(),
		Lazy:             trpcws.LazyOptions{Enabled: true},
		ConnectionParams: map[string]string{"token": "ws"},
	})
	who, err := c.Query(ctx, "whoami", nil)
	if err != nil || string(who) != "null" {
		t.Fatalf("whoami over HTTP = %s, %v", who, err)
	}
	if sum, err := trpcws.Mutation[int](ctx, c, "add", map[string]int{"a": 1, "b": 2}); err != nil || sum != 3 {
		t.Fatalf("add = %d, %v", sum, err)
	}
	if s := c.Stats(); s.SocketsOpened != 0 {
		t.Fatalf("%d sockets opened for calls over HTTP", s.SocketsOpened)
	}
	var got []whoTick
	for ev, err := range trpcws.Events[whoTick](ctx, c, "events", map[string]any{"max": 2, "whoami": true}, "") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.Data)
	}
	if len(got) != 2 || got[1].N != 2 || got[0].ConnectionParams["token"] != "ws" {
		t.Fatalf("events over the WebSocket: %+v", got)
	}
	if s := c.Stats(); s.SocketsOpened != 1 {
		t.Fatalf("%d sockets opened for one subscription", s.SocketsOpened)
	}
}

// Errors over HTTP: a failing subscription ends with the server's
// TRPCError; a call's ctx deadline ends it (the client goes on serving);
// a server that is not there fails a call at once with an error naming
// it, and an event stream to it is retried with the cause told.
func TestWasmHTTPErrors(t *testing.T) {
	ctx := ctxT(t)
	c := newClient(t, trpcws.Options{URL: httpURL()})
	sub, err := c.Subscribe(ctx, "failingSub", map[string]int{"after": 2}, trpcws.SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	<-sub.Done()
	var te *trpcws.TRPCError
	if err := sub.Err(); !errors.As(err, &te) || te.Code != "BAD_REQUEST" || te.Message != "sub failed" {
		t.Fatalf("failingSub: %v", err)
	}

	dctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	_, err = c.Query(dctx, "slow", map[string]any{"ms": 600000, "value": 1})
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow past its ctx deadline: %v", err)
	}
	if n, err := trpcws.Query[int](ctx, c, "echo", 5); err != nil || n != 5 {
		t.Fatalf("after a deadline: %d, %v", n, err)
	}

	port := os.Getenv("TRPCWS_TEST_CLOSED_PORT")
	if port == "" {
		t.Fatal("TRPCWS_TEST_CLOSED_PORT is not set: run these tests through TestGoWasmInNode")
	}
	addr := "127.0.0.1:" + port
	down := newClient(t, trpcws.Options{
		URL:        "http://" + addr + "/trpc",
		RetryDelay: func(int) time.Duration { return 10 * time.Millisecond },
	})
	_, err = down.Query(ctx, "echo", 1) // ctx has 20 s: a hang fails the test
	if !errors.Is(err, trpcws.ErrConnectionClosed) || ctx.Err() != nil || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "ECONNREFUSED") {
		t.Fatalf("a call to a closed port: %v", err)
	}
	t.Logf("a call to a closed port: %v", err)
	states := make(chan trpcws.ConnectionState, 16)
	sub, err = down.Subscribe(ctx, "events", nil, trpcws.SubscribeOptions{OnStateChange: func(st trpcws.ConnectionState) {
		select {
		case states <- st:
		default:
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	for {
		var st trpcws.ConnectionState
		select {
		case st = <-states:
		case <-ctx.Done():
			t.Fatal("the event stream to a closed port was never told as reconnecting")
		}
		if st.State == trpcws.StateConnecting && st.Err != nil {
			if !strings.Contains(st.Err.Error(), addr) {
				t.Fatalf("the event stream's cause: %v", st.Err)
			}
			break
		}
	}
	sub.Unsubscribe()
	<-sub.Done()
}

// ConnectionParamsFunc over SSE on js/wasm: called for every connection
// of the stream (each reconnect too), its result in the request (nil as
// null), its ctx ended with the subscription; an error or a panic fails
// that connection, reported to OnError, and the next one carries on.
func TestWasmSSEConnectionParamsFunc(t *testing.T) {
	ctx := ctxT(t)
	var calls atomic.Int32
	ctxs := make(chan context.Context, 8)
	errDown := errors.New("token service down")
	reported := make(chan error, 8)
	c := newClient(t, trpcws.Options{
		URL:              httpURL(),
		ConnectionParams: map[string]string{"token": "static"},
		ConnectionParamsFunc: func(ctx context.Context) (map[string]string, error) {
			ctxs <- ctx
			switch n := calls.Add(1); n {
			case 2:
				return nil, errDown
			case 3:
				panic("token panic")
			case 5:
				return nil, nil
			default:
				return map[string]string{"token": "t" + strconv.Itoa(int(n))}, nil
			}
		},
		RetryDelay: func(int) time.Duration { return 10 * time.Millisecond },
		OnError:    func(err error) { reported <- err },
	})
	// Connections 1, 4 and 5 carry events (2 and 3 failed): t1, after a
	// drop t4, after another null.
	var tokens []string
	last := 0
	for ev, err := range trpcws.Events[whoTick](ctx, c, "events", map[string]any{"intervalMs": 5, "whoami": true}, "") {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Data.N != last+1 {
			t.Fatalf("event %d after %d (not resumed)", ev.Data.N, last)
		}
		last = ev.Data.N
		tok := "null"
		if ev.Data.ConnectionParams != nil {
			tok = ev.Data.ConnectionParams["token"]
		}
		if len(tokens) == 0 || tokens[len(tokens)-1] != tok {
			tokens = append(tokens, tok)
			if tok == "null" {
				if !strings.Contains(ev.Data.URL, "connectionParams=null") {
					t.Fatalf("nil params: request %q, want connectionParams=null", ev.Data.URL)
				}
				break
			}
			control(t, "drop") // the reconnect calls the func again
		}
	}
	if strings.Join(tokens, ",") != "t1,t4,null" || calls.Load() != 5 {
		t.Fatalf("connection params per connection: %v after %d calls", tokens, calls.Load())
	}
	if err := <-reported; !errors.Is(err, errDown) {
		t.Fatalf("first report %v, want %v", err, errDown)
	}
	var pe *trpcws.PanicError
	if err := <-reported; !errors.As(err, &pe) || pe.Callback != "ConnectionParamsFunc" || pe.Value != "token panic" {
		t.Fatalf("second report %v, want the *PanicError", err)
	}
	// Its ctx ends once the subscription has (the loop's break ended it).
	for range 5 {
		<-(<-ctxs).Done()
	}
}

// Unsubscribing aborts the event stream's fetch: the server's generator
// sees its signal and ends ("aborted"), the client's Close not needed.
// onMessage is a subscription no other js/wasm test opens over HTTP.
func TestWasmSSEUnsubscribeAborts(t *testing.T) {
	ctx := ctxT(t)
	type end struct {
		Path   string
		Conn   *int
		Reason string
	}
	aborted := func() int {
		var st struct{ SubscriptionEnds []end }
		if err := json.Unmarshal([]byte(control(t, "stats")), &st); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range st.SubscriptionEnds {
			if e.Path == "onMessage" && e.Conn == nil && e.Reason == "aborted" {
				n++
			}
		}
		return n
	}
	before := aborted()
	c := newClient(t, trpcws.Options{URL: httpURL()})
	started := make(chan struct{}, 1)
	sub, err := c.Subscribe(ctx, "onMessage", nil, trpcws.SubscribeOptions{OnStarted: func() { started <- struct{}{} }})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatal("onMessage never started")
	}
	sub.Unsubscribe()
	<-sub.Done()
	for aborted() == before {
		select {
		case <-ctx.Done():
			t.Fatal("the server never saw the unsubscribed event stream end")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// ReadLimit bounds an HTTP response on js/wasm too: an answer past it
// fails its call with a *ClosedError from an *httpwire.LimitError, and the
// client goes on serving.
func TestWasmHTTPReadLimit(t *testing.T) {
	ctx := ctxT(t)
	for _, stream := range []bool{false, true} {
		c := newClient(t, trpcws.Options{URL: httpURL(), ReadLimit: 1024, HTTPBatchStream: stream})
		_, err := c.Query(ctx, "echo", strings.Repeat("x", 2048))
		var le *httpwire.LimitError
		if !errors.Is(err, trpcws.ErrConnectionClosed) || !errors.As(err, &le) || le.Limit != 1024 {
			t.Fatalf("stream %v: an answer over ReadLimit: %v", stream, err)
		}
		if out, err := c.Query(ctx, "echo", "small"); err != nil || string(out) != `"small"` {
			t.Fatalf("stream %v: echo after: %s %v", stream, out, err)
		}
	}
}
