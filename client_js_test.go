//go:build js && wasm

package trpcws_test

// These tests run the package compiled with GOOS=js GOARCH=wasm in Node
// 22 (the host's WebSocket) against the real @trpc/server: TestGoWasmInNode
// in wasm_node_test.go starts the server and runs them with
// TRPCWS_TEST_URL pointing at it (and TRPCWS_TEST_CLOSED_PORT at a port
// nobody listens on). Run by hand:
//
//	PATH=$PWD/web/node_modules/.bin:$PATH TRPCWS_TEST_URL=ws://127.0.0.1:PORT \
//	  TRPCWS_TEST_CLOSED_PORT=PORT2 GOOS=js GOARCH=wasm go test -exec="$(go env GOROOT)/lib/wasm/go_js_wasm_exec" .

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hack-pad/safejs"
	"github.com/trpcws/trpcws"
	"go.uber.org/goleak"
)

var serverURL string

func TestMain(m *testing.M) {
	serverURL = os.Getenv("TRPCWS_TEST_URL")
	if serverURL == "" {
		fmt.Fprintln(os.Stderr, "TRPCWS_TEST_URL is not set: run these tests through TestGoWasmInNode (go test -run GoWasm .)")
		os.Exit(1)
	}
	code := m.Run()
	if code == 0 {
		// Every client was closed: none of their goroutines may be left.
		// runtime.handleEvent is the js runtime's own event goroutine.
		if err := goleak.Find(goleak.IgnoreAnyFunction("runtime.handleEvent")); err != nil {
			fmt.Fprintln(os.Stderr, "goroutine leak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newClient(t *testing.T, opts trpcws.Options) *trpcws.Client {
	t.Helper()
	if opts.URL == "" && opts.URLFunc == nil {
		opts.URL = serverURL
	}
	c, err := trpcws.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil && !errors.Is(err, trpcws.ErrClientClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

// control calls one of the test server's /control/ endpoints with the
// host's fetch and returns the reply's text.
func control(t *testing.T, what string) string {
	t.Helper()
	httpURL := "http" + strings.TrimPrefix(serverURL, "ws") + "/control/" + what
	type reply struct {
		text string
		err  error
	}
	ch := make(chan reply, 1)
	var funcs []safejs.Func
	fn := func(f func(args []safejs.Value)) safejs.Value {
		jf, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any { f(args); return nil })
		if err != nil {
			t.Fatal(err)
		}
		funcs = append(funcs, jf)
		return jf.Value()
	}
	defer func() {
		for _, f := range funcs {
			f.Release()
		}
	}()
	fetch, err := safejs.Global().Get("fetch")
	if err != nil {
		t.Fatal(err)
	}
	p, err := fetch.Invoke(httpURL)
	if err != nil {
		t.Fatal(err)
	}
	fail := fn(func(args []safejs.Value) { ch <- reply{err: errors.New("fetch " + httpURL + " failed")} })
	p, err = p.Call("then", fn(func(args []safejs.Value) {
		tp, err := args[0].Call("text")
		if err != nil {
			ch <- reply{err: err}
			return
		}
		tp.Call("then", fn(func(args []safejs.Value) {
			s, err := args[0].String()
			ch <- reply{text: s, err: err}
		}), fail)
	}), fail)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.text
	case <-time.After(10 * time.Second):
		t.Fatalf("fetch %s: no reply", httpURL)
		return ""
	}
}

func TestWasmQueryMutationErrors(t *testing.T) {
	ctx := ctxT(t)
	c := newClient(t, trpcws.Options{})

	res, err := c.Query(ctx, "echo", map[string]string{"hello": "wasm"})
	if err != nil || string(res) != `{"hello":"wasm"}` {
		t.Fatalf("echo = %s, %v", res, err)
	}
	sum, err := trpcws.Mutation[int](ctx, c, "add", map[string]int{"a": 2, "b": 40})
	if err != nil || sum != 42 {
		t.Fatalf("add = %d, %v", sum, err)
	}
	_, err = c.Query(ctx, "fail", map[string]string{"code": "NOT_FOUND", "message": "nope"})
	var tErr *trpcws.TRPCError
	if !errors.As(err, &tErr) || tErr.Code != "NOT_FOUND" || tErr.HTTPStatus != 404 || tErr.Message != "nope" {
		t.Fatalf("fail: %v", err)
	}
	_, err = trpcws.Query[int](ctx, c, "echo", "x")
	var dErr *trpcws.DecodeError
	if !errors.As(err, &dErr) || dErr.Path != "echo" {
		t.Fatalf("Query[int] of a string: %v", err)
	}
	if st := c.State(); st.State != trpcws.StatePending {
		t.Fatalf("state = %v", st)
	}

	// Many concurrent calls from many goroutines.
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := trpcws.Query[int](ctx, c, "echo", i)
			if err == nil && n != i {
				err = fmt.Errorf("echo %d = %d", i, n)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestWasmSubscriptions(t *testing.T) {
	ctx := ctxT(t)
	c := newClient(t, trpcws.Options{Lazy: trpcws.LazyOptions{Enabled: true}})

	var mu sync.Mutex
	var log []string
	sub, err := c.Subscribe(ctx, "counter", map[string]int{"count": 3, "intervalMs": 1}, trpcws.SubscribeOptions{
		OnStarted:  func() { mu.Lock(); log = append(log, "started"); mu.Unlock() },
		OnData:     func(ev trpcws.Event) { mu.Lock(); log = append(log, string(ev.Data)); mu.Unlock() },
		OnComplete: func() { mu.Lock(); log = append(log, "complete"); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-sub.Done():
	case <-ctx.Done():
		t.Fatal("counter never completed")
	}
	mu.Lock()
	got := strings.Join(log, " ")
	mu.Unlock()
	if got != "started 0 1 2 complete" || !errors.Is(sub.Err(), trpcws.ErrSubscriptionEnded) {
		t.Fatalf("counter: %q, %v", got, sub.Err())
	}

	type tick struct {
		N int `json:"n"`
	}
	var ids []string
	for ev, err := range trpcws.Events[tick](ctx, c, "events", map[string]int{"max": 4, "intervalMs": 1}, "1") {
		if err != nil {
			t.Fatal(err)
		}
		if strconv.Itoa(ev.Data.N) != ev.ID || !ev.Tracked {
			t.Fatalf("event %+v", ev)
		}
		ids = append(ids, ev.ID)
	}
	if !reflect.DeepEqual(ids, []string{"2", "3", "4"}) {
		t.Fatalf("ids = %v", ids)
	}
}

// A dropped socket fails nothing that was resumable: the tracked
// subscription comes back on a new socket after its last event.
func TestWasmResumesAfterDrop(t *testing.T) {
	ctx := ctxT(t)
	var mu sync.Mutex
	var states []string
	c := newClient(t, trpcws.Options{
		RetryDelay: func(int) time.Duration { return 20 * time.Millisecond },
		OnStateChange: func(s trpcws.ConnectionState) {
			mu.Lock()
			states = append(states, s.State.String())
			mu.Unlock()
		},
	})
	var ids []int
	for ev, err := range c.Events(ctx, "events", map[string]int{"intervalMs": 5}, "") {
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(ev.ID)
		ids = append(ids, n)
		if n == 4 {
			control(t, "drop") // the subscription is endless: it is live when the socket drops
		}
		if n == 12 {
			break
		}
	}
	for i, n := range ids {
		if n != i+1 {
			t.Fatalf("ids with a gap or a duplicate: %v", ids)
		}
	}
	if len(ids) != 12 {
		t.Fatalf("ids = %v", ids)
	}
	// OnStateChange runs on the callbacks' goroutine: the last change may
	// still be on its way when the loop ends.
	var got string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		got = strings.Join(states, ",")
		mu.Unlock()
		if strings.Contains(got, "pending,connecting,pending") {
			return
		}
	}
	t.Fatalf("states = %s", got)
}

func TestWasmConnectionParamsAndClose(t *testing.T) {
	ctx := ctxT(t)
	c := newClient(t, trpcws.Options{ConnectionParams: map[string]string{"token": "t1"}})
	who, err := trpcws.Query[map[string]string](ctx, c, "whoami", nil)
	if err != nil || who["token"] != "t1" {
		t.Fatalf("whoami = %v, %v", who, err)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st := c.State(); st.State != trpcws.StateIdle {
		t.Fatalf("state after Close = %v", st)
	}
}

// A server that is not there: the call waits while the client retries, and
// the context ends it; OnError saw why.
func TestWasmServerDown(t *testing.T) {
	errs := make(chan error, 10)
	c := newClient(t, trpcws.Options{
		URL:        "ws://127.0.0.1:1",
		RetryDelay: func(int) time.Duration { return 50 * time.Millisecond },
		OnError: func(err error) {
			select {
			case errs <- err:
			default:
			}
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.Query(ctx, "echo", 1)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Query to a closed port: %v", err)
	}
	select {
	case err := <-errs:
		if !strings.Contains(err.Error(), "ws://127.0.0.1:1") {
			t.Fatalf("OnError: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("OnError never called")
	}
}

// Keep-alive on the host socket: a server that stops answering PING gets
// its socket dropped at once, and the client reconnects.
func TestWasmKeepAliveDropsSilentSocket(t *testing.T) {
	ctx := ctxT(t)
	opened := make(chan struct{}, 10)
	closed := make(chan int, 10)
	c := newClient(t, trpcws.Options{
		URLFunc:              func(context.Context) (string, error) { return serverURL, nil },
		ConnectionParamsFunc: func(context.Context) (map[string]string, error) { return map[string]string{"token": "f"}, nil },
		RetryDelay:           func(int) time.Duration { return 10 * time.Millisecond },
		KeepAlive:            trpcws.KeepAliveOptions{Enabled: true, Interval: 100 * time.Millisecond, PongTimeout: 500 * time.Millisecond},
		OnOpen:               func() { opened <- struct{}{} },
		OnClose:              func(code int) { closed <- code },
	})
	who, err := trpcws.Query[map[string]string](ctx, c, "whoami", nil)
	if err != nil || who["token"] != "f" {
		t.Fatalf("whoami = %v, %v", who, err)
	}
	control(t, "set?noPong=1")
	defer control(t, "set?noPong=0")
	select {
	case code := <-closed:
		if code != 1006 {
			t.Fatalf("close code %d, want 1006 (dropped)", code)
		}
	case <-ctx.Done():
		t.Fatal("the silent socket was never dropped")
	}
	control(t, "set?noPong=0")
	<-opened // the first socket
	select {
	case <-opened:
	case <-ctx.Done():
		t.Fatal("no reconnect after the drop")
	}
	if _, err := c.Query(ctx, "echo", 1); err != nil {
		t.Fatal(err)
	}
}

// Connection params that fail on the first attempt: the open host socket
// is given up, OnError sees why, and the next attempt carries the call.
func TestWasmConnectionParamsFuncFailsOnce(t *testing.T) {
	ctx := ctxT(t)
	paramsErr := errors.New("no token yet")
	var mu sync.Mutex
	attempts := 0
	reported := make(chan error, 10)
	c := newClient(t, trpcws.Options{
		RetryDelay: func(int) time.Duration { return 10 * time.Millisecond },
		ConnectionParamsFunc: func(context.Context) (map[string]string, error) {
			mu.Lock()
			defer mu.Unlock()
			attempts++
			if attempts == 1 {
				return nil, paramsErr
			}
			return map[string]string{"token": "second"}, nil
		},
		OnError: func(err error) { reported <- err },
	})
	who, err := trpcws.Query[map[string]string](ctx, c, "whoami", nil)
	if err != nil || who["token"] != "second" {
		t.Fatalf("whoami = %v, %v", who, err)
	}
	if err := <-reported; !errors.Is(err, paramsErr) {
		t.Fatalf("OnError got %v", err)
	}
}

// A message over ReadLimit drops the socket (1009); the call on it fails
// with ErrConnectionClosed and the client reconnects for the next one.
func TestWasmReadLimit(t *testing.T) {
	ctx := ctxT(t)
	closed := make(chan int, 10)
	c := newClient(t, trpcws.Options{
		ReadLimit:  64,
		RetryDelay: func(int) time.Duration { return 10 * time.Millisecond },
		OnClose:    func(code int) { closed <- code },
	})
	_, err := c.Query(ctx, "echo", strings.Repeat("x", 100))
	if !errors.Is(err, trpcws.ErrConnectionClosed) {
		t.Fatalf("a result over ReadLimit: %v", err)
	}
	if code := <-closed; code != 1009 {
		t.Fatalf("close code %d, want 1009", code)
	}
	if n, err := trpcws.Query[int](ctx, c, "echo", 7); err != nil || n != 7 {
		t.Fatalf("after the drop: %d, %v", n, err)
	}
}

// The network hints on the host socket: a client waiting an hour to retry
// a server out of reach starts no attempt on Wake while told the network
// is down, and attempts at once once told it is up.
func TestWasmNetworkHints(t *testing.T) {
	ctx := ctxT(t)
	var target atomic.Value
	target.Store("ws://127.0.0.1:1")
	j := newJournal()
	c := newClient(t, trpcws.Options{
		URLFunc: func(context.Context) (string, error) { return target.Load().(string), nil },
		RetryDelay: func(attempt int) time.Duration {
			if attempt == 0 {
				return 0
			}
			return time.Hour
		},
		KeepAlive: trpcws.KeepAliveOptions{Enabled: true},
		Logger:    j.logger(),
		OnError:   func(error) {},
	})
	j.waitForEntry(t, 0, "attempt", "attempt", "1", "delay", "1h0m0s")
	target.Store(serverURL)
	m := j.mark()
	c.SetOnline(false)
	c.Wake() // offline: no attempt (the attempt note would be logged during the call)
	if es := j.since(m); count(es, "attempt") != 0 {
		t.Fatalf("Wake while offline started an attempt: %v", es)
	}
	c.SetOnline(true)
	if n, err := trpcws.Query[int](ctx, c, "echo", 7); err != nil || n != 7 {
		t.Fatalf("after SetOnline(true): %d, %v", n, err)
	}
	if count(j.since(m), "attempt", "attempt", "1", "delay", "0s") != 1 {
		t.Errorf("attempt 1 did not start at once: %v", j.since(m))
	}
	c.Wake() // connected, keep-alive on: a PING, answered
	if n, err := trpcws.Query[int](ctx, c, "echo", 8); err != nil || n != 8 {
		t.Fatalf("after Wake: %d, %v", n, err)
	}
	if s := c.Stats(); s.SocketsOpened != 1 {
		t.Errorf("%d sockets opened, want 1", s.SocketsOpened)
	}
}
