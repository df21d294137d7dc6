//go:build !js

package trpcws_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/trpcws/trpcws"
	"github.com/trpcws/trpcws/internal/testserver"
	"go.uber.org/goleak"
)

// shared is one real @trpc/server for the tests that do not disturb it.
var shared *testserver.Server

func TestMain(m *testing.M) {
	srv, stop, err := testserver.Run(context.Background(), testserver.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot start the test server:", err)
		os.Exit(1)
	}
	shared = srv
	serverURL = srv.URL
	code := m.Run()
	stop()
	if sjStop != nil {
		sjStop()
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutine leak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func newClient(t *testing.T, opts trpcws.Options) *trpcws.Client {
	t.Helper()
	if opts.URL == "" && opts.URLFunc == nil {
		opts.URL = shared.URL
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

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestQueryMutationVoid(t *testing.T) {
	t.Parallel()
	c := newClient(t, trpcws.Options{})
	ctx := ctxT(t)
	res, err := c.Query(ctx, "echo", map[string]any{"hello": "wörld", "n": 1})
	if err != nil {
		t.Fatal(err)
	}
	if string(res) != `{"hello":"wörld","n":1}` {
		t.Errorf("echo = %s", res)
	}
	res, err = c.Mutation(ctx, "add", map[string]int{"a": 2, "b": 40})
	if err != nil || string(res) != "42" {
		t.Errorf("add = %s, %v", res, err)
	}
	res, err = c.Mutation(ctx, "voidMutation", nil)
	if err != nil || res != nil {
		t.Errorf("voidMutation = %q, %v; want nil, nil", res, err)
	}
	res, err = c.Query(ctx, "echo", nil)
	if err != nil || res != nil {
		t.Errorf("echo(undefined) = %q, %v; want nil, nil", res, err)
	}
	if _, err := c.Query(ctx, "echo", json.RawMessage(`{bad`)); err == nil {
		t.Error("invalid raw JSON input was accepted")
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	c := newClient(t, trpcws.Options{})
	ctx := ctxT(t)
	cases := []struct {
		path  string
		input any
		code  string
		json  int
		http  int
		msg   string
	}{
		{"fail", map[string]string{"code": "BAD_REQUEST", "message": "nope"}, "BAD_REQUEST", -32600, 400, "nope"},
		{"fail", map[string]string{"code": "UNAUTHORIZED", "message": "who"}, "UNAUTHORIZED", -32001, 401, "who"},
		{"fail", map[string]string{"code": "FORBIDDEN", "message": "no"}, "FORBIDDEN", -32003, 403, "no"},
		{"fail", map[string]string{"code": "CONFLICT", "message": "c"}, "CONFLICT", -32009, 409, "c"},
		{"fail", map[string]string{"code": "TOO_MANY_REQUESTS", "message": "slow down"}, "TOO_MANY_REQUESTS", -32029, 429, "slow down"},
		{"crash", nil, "INTERNAL_SERVER_ERROR", -32603, 500, "boom"},
		{"no.such.procedure", nil, "NOT_FOUND", -32004, 404, ""},
	}
	for _, tc := range cases {
		_, err := c.Query(ctx, tc.path, tc.input)
		var te *trpcws.TRPCError
		if !errors.As(err, &te) {
			t.Errorf("%s %v: err = %v, want *TRPCError", tc.path, tc.input, err)
			continue
		}
		if te.Code != tc.code || te.JSONRPCCode != tc.json || te.HTTPStatus != tc.http || te.Path != tc.path {
			t.Errorf("%s: got code %s/%d/%d path %q, want %s/%d/%d %q", tc.path, te.Code, te.JSONRPCCode, te.HTTPStatus, te.Path, tc.code, tc.json, tc.http, tc.path)
		}
		if tc.msg != "" && te.Message != tc.msg {
			t.Errorf("%s: message %q, want %q", tc.path, te.Message, tc.msg)
		}
		if errors.Is(err, trpcws.ErrConnectionClosed) {
			t.Errorf("%s: a server error matched ErrConnectionClosed", tc.path)
		}
	}
	// The connection carries on after errors.
	if _, err := c.Query(ctx, "echo", 1); err != nil {
		t.Fatal(err)
	}
}

func TestBatchingAndConcurrency(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := newClient(t, trpcws.Options{URL: srv.URL})
	ctx := ctxT(t)
	const n = 1000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := c.Query(ctx, "echo", i)
			if err == nil && string(res) != fmt.Sprint(i) {
				err = fmt.Errorf("echo(%d) = %s", i, res)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st := srv.Stats(t)
	batches := 0
	for _, f := range st.FramesIn {
		if len(f) > 0 && f[0] == '[' {
			batches++
		}
	}
	// 1000 concurrent calls must not cost 1000 frames: queued calls leave together.
	if batches == 0 {
		t.Errorf("no batch frame among %d frames for %d concurrent queries", len(st.FramesIn), n)
	}
	t.Logf("%d queries in %d frames (%d batches)", n, len(st.FramesIn), batches)
}

func TestQueuedWhileConnectingLeaveAsOneBatch(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := newClient(t, trpcws.Options{URL: srv.URL, Lazy: trpcws.LazyOptions{Enabled: true}})
	ctx := ctxT(t)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, err := c.Query(ctx, "echo", i); err != nil {
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	st := srv.Stats(t)
	if len(st.FramesIn) == 0 || st.FramesIn[0][0] != '[' {
		t.Errorf("frames = %q; want the queued calls as one array frame first", st.FramesIn)
	}
}

func TestCancelDoesNotCloseSocket(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := newClient(t, trpcws.Options{URL: srv.URL})
	ctx := ctxT(t)
	if _, err := c.Query(ctx, "echo", 0); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err := c.Query(short, "slow", map[string]any{"ms": 2000, "value": 1})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if res, err := c.Query(ctx, "echo", 7); err != nil || string(res) != "7" {
		t.Fatalf("after cancel: %s, %v", res, err)
	}
	if st := srv.Stats(t); st.TotalConnections != 1 {
		t.Errorf("TotalConnections = %d, want 1: cancelling a call must not touch the socket", st.TotalConnections)
	}
}

type recorder struct {
	mu       sync.Mutex
	started  int
	data     []trpcws.Event
	err      error
	complete int
	states   []string
	changed  chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{}, 1)} }

// liveEvents subscribes c to the test server's events (every 5 ms) and
// waits until n have arrived.
func liveEvents(t *testing.T, ctx context.Context, c *trpcws.Client, n int) *recorder {
	t.Helper()
	r := newRecorder()
	if _, err := c.Subscribe(ctx, "events", map[string]int{"intervalMs": 5}, r.opts()); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, fmt.Sprintf("%d events", n), func(r *recorder) bool { return len(r.data) >= n })
	return r
}

func (r *recorder) note() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

func (r *recorder) opts() trpcws.SubscribeOptions {
	return trpcws.SubscribeOptions{
		OnStarted:  func() { r.mu.Lock(); r.started++; r.mu.Unlock(); r.note() },
		OnData:     func(e trpcws.Event) { r.mu.Lock(); r.data = append(r.data, e); r.mu.Unlock(); r.note() },
		OnError:    func(err error) { r.mu.Lock(); r.err = err; r.mu.Unlock(); r.note() },
		OnComplete: func() { r.mu.Lock(); r.complete++; r.mu.Unlock(); r.note() },
		OnStateChange: func(s trpcws.ConnectionState) {
			r.mu.Lock()
			r.states = append(r.states, s.State.String())
			r.mu.Unlock()
			r.note()
		},
	}
}

// waitFor polls cond whenever the recorder changes.
func (r *recorder) waitFor(t *testing.T, what string, cond func(r *recorder) bool) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		r.mu.Lock()
		ok := cond(r)
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.changed:
		case <-deadline:
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("timed out waiting for %s: started=%d data=%d err=%v complete=%d states=%v", what, r.started, len(r.data), r.err, r.complete, r.states)
		}
	}
}

func (r *recorder) trackedIDs() []int {
	var ids []int
	for _, e := range r.data {
		var n int
		fmt.Sscan(e.ID, &n)
		ids = append(ids, n)
	}
	return ids
}

func TestSubscriptionCounter(t *testing.T) {
	t.Parallel()
	c := newClient(t, trpcws.Options{})
	r := newRecorder()
	sub, err := c.Subscribe(ctxT(t), "counter", map[string]int{"count": 5, "intervalMs": 1}, r.opts())
	if err != nil {
		t.Fatal(err)
	}
	<-sub.Done()
	if !errors.Is(sub.Err(), trpcws.ErrSubscriptionEnded) {
		t.Errorf("Err = %v", sub.Err())
	}
	if r.started != 1 || len(r.data) != 5 || r.complete != 1 || r.err != nil {
		t.Fatalf("started=%d data=%d complete=%d err=%v", r.started, len(r.data), r.complete, r.err)
	}
	for i, e := range r.data {
		if string(e.Data) != fmt.Sprint(i) || e.Tracked {
			t.Errorf("event %d = %s tracked=%v", i, e.Data, e.Tracked)
		}
	}
	if len(r.states) == 0 || r.states[0] == "" {
		t.Errorf("no initial state delivered: %v", r.states)
	}
}

func TestSubscriptionTrackedAndUnsubscribe(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := newClient(t, trpcws.Options{URL: srv.URL})
	r := newRecorder()
	sub, err := c.Subscribe(ctxT(t), "events", map[string]int{"intervalMs": 5}, r.opts())
	if err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, "3 events", func(r *recorder) bool { return len(r.data) >= 3 })
	sub.Unsubscribe()
	<-sub.Done()
	r.mu.Lock()
	first := r.data[0]
	r.mu.Unlock()
	if !first.Tracked || first.ID != "1" || string(first.Data) != `{"id":"1","data":{"n":1}}` {
		t.Errorf("first event = %+v (%s)", first, first.Data)
	}
	st := srv.WaitFor(t, "the server to see the stop", 5*time.Second, func(st testserver.Stats) bool {
		return st.StopFrames == 1 && len(st.EndsFor("events")) == 1
	})
	if st.EndsFor("events")[0].Reason != "aborted" {
		t.Errorf("server end = %+v", st.EndsFor("events")[0])
	}
	if r.complete != 1 {
		t.Errorf("complete = %d, want 1", r.complete)
	}
}

func TestSubscriptionError(t *testing.T) {
	t.Parallel()
	c := newClient(t, trpcws.Options{})
	r := newRecorder()
	sub, err := c.Subscribe(ctxT(t), "failingSub", map[string]int{"after": 2}, r.opts())
	if err != nil {
		t.Fatal(err)
	}
	<-sub.Done()
	var te *trpcws.TRPCError
	if !errors.As(sub.Err(), &te) || te.Code != "BAD_REQUEST" || te.Message != "sub failed" {
		t.Fatalf("Err = %v", sub.Err())
	}
	if len(r.data) != 2 || r.complete != 0 {
		t.Errorf("data=%d complete=%d; want 2 and no OnComplete after an error", len(r.data), r.complete)
	}
}

func TestEventsIterator(t *testing.T) {
	t.Parallel()
	c := newClient(t, trpcws.Options{})
	ctx := ctxT(t)
	var got []string
	for ev, err := range c.Events(ctx, "events", map[string]int{"intervalMs": 1, "max": 4}, "2") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.ID)
	}
	if fmt.Sprint(got) != "[3 4]" {
		t.Errorf("ids after lastEventId 2 with max 4 = %v, want [3 4]", got)
	}
	n := 0
	for ev, err := range c.Events(ctx, "events", map[string]int{"intervalMs": 1}, "") {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 3 {
			_ = ev
			break
		}
	}
}

func TestConnectionParams(t *testing.T) {
	t.Parallel()
	transports := make(chan trpcws.Transport, 4)
	c := newClient(t, trpcws.Options{
		ConnectionParamsFunc: func(ctx context.Context) (map[string]string, error) {
			transports <- trpcws.ConnectionTransport(ctx)
			return map[string]string{"token": "good", "user": "gopher"}, nil
		},
	})
	res, err := c.Query(ctxT(t), "whoami", nil)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(res, &got); err != nil || got["user"] != "gopher" {
		t.Fatalf("whoami = %s (%v)", res, err)
	}
	if tr := <-transports; tr != trpcws.TransportWebSocket {
		t.Fatalf("ConnectionTransport for a socket: %q", tr)
	}
}

func TestPanickingCallbacksAreContained(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var panics []string
	c := newClient(t, trpcws.Options{
		OnOpen: func() { panic("open") },
		OnError: func(err error) {
			var pe *trpcws.PanicError
			if errors.As(err, &pe) {
				mu.Lock()
				panics = append(panics, pe.Callback)
				mu.Unlock()
			}
		},
	})
	sub, err := c.Subscribe(ctxT(t), "counter", map[string]int{"count": 3, "intervalMs": 1}, trpcws.SubscribeOptions{
		OnData: func(trpcws.Event) { panic("data") },
	})
	if err != nil {
		t.Fatal(err)
	}
	<-sub.Done()
	if res, err := c.Query(ctxT(t), "echo", 1); err != nil || string(res) != "1" {
		t.Fatalf("client broken after panics: %s %v", res, err)
	}
	// Options.OnError hears of the panics from its own goroutine: wait for
	// the second report (or a third, which would be wrong) a little.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(panics)
		mu.Unlock()
		if n >= 2 {
			break
		}
	}
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	// The first panicking OnData ends the subscription (misuse_test.go).
	if len(panics) != 2 {
		t.Errorf("panics reported = %v, want OnOpen + OnData once", panics)
	}
	var pe *trpcws.PanicError
	if !errors.As(sub.Err(), &pe) || pe.Callback != "OnData" {
		t.Errorf("sub.Err() = %v, want OnData's *PanicError", sub.Err())
	}
}
