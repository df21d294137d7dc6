//go:build !js

package trpcws_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
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

// The connection policies (issue 10) against real sockets: the real
// @trpc/server, a TCP listener that never answers the handshake, and a
// WebSocket server that closes every socket right after open.

// silentListener accepts TCP connections and never answers: a WebSocket
// handshake to it never completes.
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return "ws://" + ln.Addr().String()
}

// slamServer accepts WebSockets and closes each at once with code 4001.
func slamServer(t *testing.T) (string, func() int) {
	t.Helper()
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		mu.Lock()
		n++
		mu.Unlock()
		c.Close(4001, "go away")
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http"), func() int { mu.Lock(); defer mu.Unlock(); return n }
}

func TestMaxAttemptsGivesUp(t *testing.T) {
	t.Parallel()
	states := &stateLog{}
	c := newClient(t, trpcws.Options{URL: "ws://127.0.0.1:1", RetryDelay: fastRetry,
		Retry: trpcws.RetryOptions{MaxAttempts: 3}, OnStateChange: states.add, OnError: func(error) {}})
	ctx := ctxT(t)
	_, err := c.Query(ctx, "echo", 1)
	var g *trpcws.GaveUpError
	if !errors.As(err, &g) || g.Attempts != 3 || !errors.Is(err, trpcws.ErrConnectionClosed) {
		t.Fatalf("queued call: %v", err)
	}
	if !strings.Contains(err.Error(), "connect") && !strings.Contains(err.Error(), "refused") {
		t.Errorf("the give-up error does not name the cause: %v", err)
	}
	st := c.State()
	if st.State != trpcws.StateIdle || !errors.As(st.Err, &g) {
		t.Errorf("state %v %v", st.State, st.Err)
	}
	// The next call starts again from attempt 0 (and gives up again).
	if _, err := c.Query(ctx, "echo", 2); !errors.As(err, &g) {
		t.Errorf("second call: %v", err)
	}
}

func TestShouldRetryAndMinUptime(t *testing.T) {
	t.Parallel()
	url, opened := slamServer(t)
	var mu sync.Mutex
	var infos []trpcws.RetryInfo
	gaveUp := make(chan struct{})
	var client atomic.Pointer[trpcws.Client]
	c := newClient(t, trpcws.Options{URL: url, RetryDelay: func(int) time.Duration { return time.Millisecond },
		Retry: trpcws.RetryOptions{MinUptime: time.Hour, ShouldRetry: func(i trpcws.RetryInfo) bool {
			if c := client.Load(); c != nil {
				_ = c.Stats() // may call the client
			}
			mu.Lock()
			defer mu.Unlock()
			infos = append(infos, i)
			return len(infos) < 4
		}},
		OnStateChange: func(s trpcws.ConnectionState) {
			var g *trpcws.GaveUpError
			if errors.As(s.Err, &g) {
				close(gaveUp)
			}
		}})
	client.Store(c)
	select {
	case <-gaveUp:
	case <-time.After(20 * time.Second):
		t.Fatal("did not give up")
	}
	mu.Lock()
	defer mu.Unlock()
	// Every socket lived less than MinUptime: the attempt index grows.
	for i, info := range infos {
		if info.Attempt != i+1 || info.Code != 4001 || info.Reason != "go away" || info.Err == nil {
			t.Errorf("info %d: %+v", i, info)
		}
	}
	if n := opened(); n != 4 {
		t.Errorf("%d sockets opened, want 4", n)
	}
}

func TestConnectTimeout(t *testing.T) {
	t.Parallel()
	states := &stateLog{}
	c := newClient(t, trpcws.Options{URL: silentListener(t), ConnectTimeout: 100 * time.Millisecond,
		RetryDelay: fastRetry, Retry: trpcws.RetryOptions{MaxAttempts: 2}, OnStateChange: states.add, OnError: func(error) {}})
	_, err := c.Query(ctxT(t), "echo", 1)
	var g *trpcws.GaveUpError
	var te *trpcws.TimeoutError
	if !errors.As(err, &g) || !errors.As(err, &te) || te.What != "connect" {
		t.Fatalf("call: %v", err)
	}
}

func TestRequestTimeout(t *testing.T) {
	t.Parallel()
	c := newClient(t, trpcws.Options{RequestTimeout: 200 * time.Millisecond})
	ctx := ctxT(t)
	_, err := c.Query(ctx, "slow", map[string]any{"ms": 5000, "value": 1})
	var te *trpcws.TimeoutError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &te) || te.What != "request" {
		t.Fatalf("slow query: %v", err)
	}
	// The socket and other calls are untouched.
	if res, err := c.Query(ctx, "echo", 7); err != nil || string(res) != "7" {
		t.Fatalf("echo after a timeout: %s %v", res, err)
	}
	if s := c.Stats(); s.SocketsOpened != 1 {
		t.Errorf("sockets opened %d", s.SocketsOpened)
	}
}

func TestMaxQueued(t *testing.T) {
	t.Parallel()
	// Nothing listens: after two failed attempts the client waits an hour.
	c := newClient(t, trpcws.Options{URL: "ws://127.0.0.1:1", MaxQueued: 1, OnError: func(error) {},
		RetryDelay: func(int) time.Duration { return time.Hour }})
	ctx := ctxT(t)
	first := make(chan error, 1)
	go func() {
		_, err := c.Query(ctx, "echo", 1)
		first <- err
	}()
	deadline := time.Now().Add(15 * time.Second)
	for c.Stats().Queued != 1 {
		if time.Now().After(deadline) {
			t.Fatal("first call never queued")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := c.Query(ctx, "echo", 2); !errors.Is(err, trpcws.ErrQueueFull) {
		t.Fatalf("second call: %v", err)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-first; !errors.Is(err, trpcws.ErrConnectionClosed) {
		t.Errorf("first call after Close: %v", err)
	}
}

func TestReconnectNowKeepsSubscription(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := newClient(t, trpcws.Options{URL: srv.URL})
	ctx := ctxT(t)
	r := liveEvents(t, ctx, c, 3)
	c.Reconnect()
	deadline := time.Now().Add(15 * time.Second)
	for c.Stats().Reconnects != 1 {
		if time.Now().After(deadline) {
			t.Fatal("no reconnect")
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.mu.Lock()
	n := len(r.data)
	r.mu.Unlock()
	r.waitFor(t, "events on the new socket", func(r *recorder) bool { return len(r.data) >= n+5 })
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, e := range r.data {
		if e.ID != strconv.Itoa(i+1) {
			t.Fatalf("event %d has id %s: lost or duplicated", i, e.ID)
		}
	}
	if r.started != 1 {
		t.Errorf("started %d times", r.started)
	}
	if s := c.Stats(); s.SocketsOpened != 2 || s.Subscriptions != 1 || s.FramesIn == 0 || s.BytesOut == 0 || s.ConnectedAt.IsZero() {
		t.Errorf("stats %+v", s)
	}
}

type logRecords struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecords) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.msgs = append(l.msgs, r.Message)
	l.mu.Unlock()
	return nil
}
func (l *logRecords) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecords) WithGroup(string) slog.Handler      { return l }

func TestLogger(t *testing.T) {
	t.Parallel()
	logs := &logRecords{}
	c := newClient(t, trpcws.Options{Logger: slog.New(logs)})
	if _, err := c.Query(ctxT(t), "echo", 1); err != nil {
		t.Fatal(err)
	}
	logs.mu.Lock()
	defer logs.mu.Unlock()
	for _, want := range []string{"trpcws: attempt", "trpcws: open", "trpcws: state"} {
		found := false
		for _, m := range logs.msgs {
			found = found || m == want
		}
		if !found {
			t.Errorf("%q not logged: %q", want, logs.msgs)
		}
	}
}

func TestPolicyOptionsValidated(t *testing.T) {
	t.Parallel()
	for name, o := range map[string]trpcws.Options{
		"MaxQueued":         {URL: "ws://x", MaxQueued: -1},
		"ConnectTimeout":    {URL: "ws://x", ConnectTimeout: -1},
		"RequestTimeout":    {URL: "ws://x", RequestTimeout: -1},
		"Retry.MaxAttempts": {URL: "ws://x", Retry: trpcws.RetryOptions{MaxAttempts: -1}},
		"Retry.MinUptime":   {URL: "ws://x", Retry: trpcws.RetryOptions{MinUptime: -1}},
	} {
		if _, err := trpcws.NewClient(o); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	b := trpcws.Backoff(time.Second, 30*time.Second, trpcws.NoJitter)
	for i := range 8 {
		if b(i) != trpcws.ExponentialBackoff(i) {
			t.Errorf("attempt %d: %v, want %v", i, b(i), trpcws.ExponentialBackoff(i))
		}
	}
	j := trpcws.Backoff(100*time.Millisecond, time.Second, trpcws.FullJitter)
	for i := range 100 {
		if d := j(i % 8); d < 0 || d > time.Second || i%8 == 0 && d != 0 {
			t.Fatalf("jittered attempt %d: %v", i%8, d)
		}
	}
	if d := trpcws.Backoff(time.Second, time.Minute, trpcws.NoJitter)(200); d != time.Minute {
		t.Errorf("huge attempt: %v", d)
	}
}

func TestGiveUpEndsSubscription(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := newClient(t, trpcws.Options{URL: srv.URL, RetryDelay: fastRetry, OnError: func(error) {},
		Retry: trpcws.RetryOptions{MaxAttempts: 1, MinUptime: time.Hour}})
	ctx := ctxT(t)
	r := liveEvents(t, ctx, c, 1)
	// The socket lived less than MinUptime: one failed attempt, give up.
	srv.Drop(t)
	r.waitFor(t, "the subscription's error", func(r *recorder) bool { return r.err != nil })
	r.mu.Lock()
	err := r.err
	r.mu.Unlock()
	var g *trpcws.GaveUpError
	var ce *trpcws.ClosedError
	if !errors.As(err, &g) || !errors.As(err, &ce) || ce.Code != 1006 {
		t.Fatalf("subscription error %v", err)
	}
	if st := c.State(); st.State != trpcws.StateIdle {
		t.Errorf("state %v", st.State)
	}
	// The next call connects again.
	if res, err := c.Query(ctx, "echo", 1); err != nil || string(res) != "1" {
		t.Errorf("after giving up: %s %v", res, err)
	}
}
