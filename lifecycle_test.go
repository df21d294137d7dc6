//go:build !js

package trpcws_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trpcws/trpcws"
	"github.com/trpcws/trpcws/internal/testserver"
)

// checkGapless fails unless ids run 1, 2, 3, … with no gap and no repeat.
func checkGapless(t *testing.T, ids []int) {
	t.Helper()
	for i, id := range ids {
		if id != i+1 {
			t.Fatalf("tracked ids not gapless: %v", ids)
		}
	}
}

func fastRetry(int) time.Duration { return 20 * time.Millisecond }

type stateLog struct {
	mu     sync.Mutex
	states []trpcws.ConnectionState
}

func (l *stateLog) add(s trpcws.ConnectionState) {
	l.mu.Lock()
	l.states = append(l.states, s)
	l.mu.Unlock()
}

func (l *stateLog) names() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, s := range l.states {
		out = append(out, s.State.String())
	}
	return out
}

func TestDropFailsInFlightAndResumesSubscriptions(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	var closes []int
	var mu sync.Mutex
	c := newClient(t, trpcws.Options{URL: srv.URL, RetryDelay: fastRetry,
		OnClose: func(code int) { mu.Lock(); closes = append(closes, code); mu.Unlock() }})
	ctx := ctxT(t)
	r := liveEvents(t, ctx, c, 5)

	slowErr := make(chan error, 1)
	go func() {
		_, err := c.Query(ctx, "slow", map[string]any{"ms": 5000, "value": 1})
		slowErr <- err
	}()
	srv.WaitFor(t, "the slow query to arrive", 5*time.Second, func(st testserver.Stats) bool {
		return slices.ContainsFunc(st.FramesIn, func(f string) bool { return strings.Contains(f, `"slow"`) })
	})
	srv.Drop(t)

	err := <-slowErr
	var ce *trpcws.ClosedError
	if !errors.Is(err, trpcws.ErrConnectionClosed) || !errors.As(err, &ce) || ce.Code != 1006 {
		t.Fatalf("in-flight query: err = %v, want ClosedError code 1006", err)
	}
	r.mu.Lock()
	before := len(r.data)
	r.mu.Unlock()
	r.waitFor(t, "events after the drop", func(r *recorder) bool { return len(r.data) >= before+5 && r.started == 2 })
	r.mu.Lock()
	ids := r.trackedIDs()
	states := slices.Clone(r.states)
	r.mu.Unlock()
	checkGapless(t, ids)
	st := srv.Stats(t)
	starts := st.StartsFor("events")
	if len(starts) != 2 || starts[0].LastEventID != "" || starts[1].LastEventID == "" || starts[0].ID != starts[1].ID {
		t.Fatalf("server saw starts %+v; want the same id re-sent with lastEventId", starts)
	}
	if !slices.Contains(states, "connecting") {
		t.Errorf("subscriber states %v lack connecting", states)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(closes) == 0 || closes[0] != 1006 {
		t.Errorf("OnClose codes = %v, want 1006 first", closes)
	}
}

func TestServerCloseCodeReachesCallers(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	codes := make(chan int, 4)
	c := newClient(t, trpcws.Options{URL: srv.URL, RetryDelay: fastRetry, OnClose: func(code int) { codes <- code }})
	ctx := ctxT(t)
	slowErr := make(chan error, 1)
	go func() {
		_, err := c.Query(ctx, "slow", map[string]any{"ms": 5000})
		slowErr <- err
	}()
	srv.WaitFor(t, "the slow query", 5*time.Second, func(st testserver.Stats) bool { return len(st.FramesIn) > 0 })
	srv.CloseAll(t, 4000)
	var ce *trpcws.ClosedError
	if err := <-slowErr; !errors.As(err, &ce) || ce.Code != 4000 {
		t.Fatalf("err = %v, want code 4000", err)
	}
	if code := <-codes; code != 4000 {
		t.Errorf("OnClose(%d), want 4000", code)
	}
	// It reconnects by itself.
	if _, err := c.Query(ctx, "echo", 1); err != nil {
		t.Fatal(err)
	}
}

func TestServerRequestedReconnectMakeBeforeBreak(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	states := &stateLog{}
	c := newClient(t, trpcws.Options{URL: srv.URL, OnStateChange: states.add})
	ctx := ctxT(t)
	r := newRecorder()
	if _, err := c.Subscribe(ctx, "events", map[string]int{"intervalMs": 2}, r.opts()); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, "events", func(r *recorder) bool { return len(r.data) >= 5 })
	slow := make(chan error, 1)
	go func() {
		res, err := c.Query(ctx, "slow", map[string]any{"ms": 300, "value": "old socket"})
		if err == nil && string(res) != `"old socket"` {
			err = fmt.Errorf("slow = %s", res)
		}
		slow <- err
	}()
	srv.WaitFor(t, "the slow query", 5*time.Second, func(st testserver.Stats) bool {
		return slices.ContainsFunc(st.FramesIn, func(f string) bool { return strings.Contains(f, `"slow"`) })
	})
	srv.Reconnect(t)
	if err := <-slow; err != nil {
		t.Fatalf("a query in flight on the old socket: %v", err)
	}
	st := srv.WaitFor(t, "the old socket to close", 10*time.Second, func(st testserver.Stats) bool {
		return st.TotalConnections == 2 && st.Connections == 1
	})
	r.mu.Lock()
	n := len(r.data)
	r.mu.Unlock()
	r.waitFor(t, "events on the new socket", func(r *recorder) bool { return len(r.data) >= n+10 })
	r.mu.Lock()
	ids, started := r.trackedIDs(), r.started
	r.mu.Unlock()
	checkGapless(t, ids)
	if started != 1 {
		t.Errorf("OnStarted ran %d times; a server reconnect must be invisible", started)
	}
	for _, s := range states.names() {
		if s == "connecting" {
			t.Errorf("states %v: no connecting during a server-requested reconnect", states.names())
			break
		}
	}
	if st.StopFrames != 1 {
		t.Errorf("stop frames = %d, want 1 (on the old socket)", st.StopFrames)
	}
}

func TestRestartResumesWithBackoff(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	var mu sync.Mutex
	var attempts []int
	c := newClient(t, trpcws.Options{URL: srv.URL, RetryDelay: func(i int) time.Duration {
		mu.Lock()
		attempts = append(attempts, i)
		mu.Unlock()
		return 100 * time.Millisecond
	}})
	r := newRecorder()
	if _, err := c.Subscribe(ctxT(t), "events", map[string]int{"intervalMs": 5}, r.opts()); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, "events", func(r *recorder) bool { return len(r.data) >= 3 })
	srv.Restart(t, 500*time.Millisecond)
	srv.WaitUp(t, 30*time.Second)
	r.mu.Lock()
	n := len(r.data)
	r.mu.Unlock()
	r.waitFor(t, "events after the restart", func(r *recorder) bool { return len(r.data) >= n+5 })
	r.mu.Lock()
	checkGapless(t, r.trackedIDs())
	r.mu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	if len(attempts) < 2 || attempts[0] != 0 || attempts[1] != 1 {
		t.Errorf("retry attempts = %v, want 0, 1, … while the server was down", attempts)
	}
}

func TestRejectedConnectionKeepsBackingOff(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	srv.Set(t, true, false)
	var mu sync.Mutex
	var attempts []int
	enough := make(chan struct{})
	c := newClient(t, trpcws.Options{URL: srv.URL,
		ConnectionParams: map[string]string{"token": "bad"},
		RetryDelay: func(i int) time.Duration {
			mu.Lock()
			defer mu.Unlock()
			attempts = append(attempts, i)
			if len(attempts) == 4 {
				close(enough)
			}
			return 10 * time.Millisecond
		}})
	r := newRecorder()
	if _, err := c.Subscribe(ctxT(t), "events", nil, r.opts()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-enough:
	case <-time.After(15 * time.Second):
		t.Fatal("no retries")
	}
	mu.Lock()
	got := slices.Clone(attempts[:4])
	mu.Unlock()
	// The first connection is not a retry; each rejected one adds 1, as in the reference.
	if fmt.Sprint(got) != "[1 2 3 4]" {
		t.Errorf("attempt indexes %v; a rejected connection must not restart the backoff at 0", got)
	}
	st := c.State()
	var te *trpcws.TRPCError
	if st.State != trpcws.StateConnecting || !errors.As(st.Err, &te) || te.Code != "UNAUTHORIZED" {
		t.Errorf("state = %v %v; want connecting, caused by the server's UNAUTHORIZED", st.State, st.Err)
	}
}

// TestKeepAliveDropsSilentSocket: a server that stops answering PINGs is
// dropped after PongTimeout. The timeout is long enough that a PONG answered
// late on a loaded machine is not taken for silence (core's fake-clock tests
// hold the exact timing).
func TestKeepAliveDropsSilentSocket(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	states := &stateLog{}
	c := newClient(t, trpcws.Options{URL: srv.URL, RetryDelay: fastRetry, OnStateChange: states.add,
		KeepAlive: trpcws.KeepAliveOptions{Enabled: true, Interval: 100 * time.Millisecond, PongTimeout: 2 * time.Second}})
	ctx := ctxT(t)
	if _, err := c.Query(ctx, "echo", 1); err != nil {
		t.Fatal(err)
	}
	srv.WaitFor(t, "a PING answered", 5*time.Second, func(st testserver.Stats) bool { return st.PongsSent >= 1 })
	srv.Set(t, false, true)
	srv.WaitFor(t, "a second connection", 10*time.Second, func(st testserver.Stats) bool { return st.TotalConnections >= 2 })
	srv.Set(t, false, false)
	if _, err := c.Query(ctx, "echo", 2); err != nil {
		t.Fatal(err)
	}
	states.mu.Lock()
	defer states.mu.Unlock()
	var sawPongTimeout bool
	for _, s := range states.states {
		var ce *trpcws.ClosedError
		if s.State == trpcws.StateConnecting && errors.As(s.Err, &ce) && strings.Contains(ce.Error(), "PONG") {
			sawPongTimeout = true
		}
	}
	if !sawPongTimeout {
		t.Errorf("states %v: want connecting caused by the missing PONG", states.states)
	}
}

func TestLazyOpensAndClosesOnItsOwn(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	states := &stateLog{}
	closed := make(chan int, 2)
	c := newClient(t, trpcws.Options{URL: srv.URL, OnStateChange: states.add, OnClose: func(code int) { closed <- code },
		Lazy: trpcws.LazyOptions{Enabled: true, CloseAfter: 100 * time.Millisecond}})
	if st := c.State(); st.State != trpcws.StateIdle {
		t.Fatalf("initial state %v, want idle", st.State)
	}
	if st := srv.Stats(t); st.TotalConnections != 0 {
		t.Fatal("a lazy client connected before its first request")
	}
	if _, err := c.Query(ctxT(t), "echo", 1); err != nil {
		t.Fatal(err)
	}
	if code := <-closed; code != 1000 {
		t.Errorf("lazy close code %d", code)
	}
	srv.WaitFor(t, "the lazy close", 5*time.Second, func(st testserver.Stats) bool { return st.Connections == 0 })
	if got := fmt.Sprint(states.names()); got != "[connecting pending idle]" {
		t.Errorf("states %s, want [connecting pending idle] after the initial idle", got)
	}
	if _, err := c.Query(ctxT(t), "echo", 2); err != nil {
		t.Fatal(err)
	}
}

func TestCloseSemantics(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c, err := trpcws.NewClient(trpcws.Options{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	r := newRecorder()
	sub, err := c.Subscribe(ctx, "events", map[string]int{"intervalMs": 5}, r.opts())
	if err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, "an event", func(r *recorder) bool { return len(r.data) > 0 })
	slow := make(chan error, 1)
	go func() {
		res, err := c.Query(ctx, "slow", map[string]any{"ms": 300, "value": 5})
		if err == nil && string(res) != "5" {
			err = fmt.Errorf("slow = %s", res)
		}
		slow <- err
	}()
	srv.WaitFor(t, "the slow query", 5*time.Second, func(st testserver.Stats) bool {
		return slices.ContainsFunc(st.FramesIn, func(f string) bool { return strings.Contains(f, `"slow"`) })
	})
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Close waited for the answer: the query got it, not ErrClientClosed.
	// (Its goroutine may not have run yet when Close returns: wait for it.)
	select {
	case err := <-slow:
		if err != nil {
			t.Errorf("in-flight query during Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the in-flight query never returned")
	}
	<-sub.Done()
	if r.complete != 1 {
		t.Errorf("subscription complete = %d", r.complete)
	}
	if c.State().State != trpcws.StateIdle {
		t.Errorf("state after Close = %v", c.State().State)
	}
	srv.WaitFor(t, "the stop and the close", 5*time.Second, func(st testserver.Stats) bool {
		return st.StopFrames == 1 && st.Connections == 0
	})
	// Closed for good.
	if res, err := c.Query(ctx, "echo", 3); !errors.Is(err, trpcws.ErrClientClosed) {
		t.Fatalf("after Close: %s %v, want ErrClientClosed", res, err)
	}
	if err := c.Close(ctx); !errors.Is(err, trpcws.ErrClientClosed) {
		t.Fatalf("second Close: %v, want ErrClientClosed", err)
	}
}

func TestCloseWhileConnectingFailsQueuedCalls(t *testing.T) {
	t.Parallel()
	// Nothing listens here: the client keeps retrying.
	c, err := trpcws.NewClient(trpcws.Options{URL: "ws://127.0.0.1:1", RetryDelay: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Query(ctx, "echo", 1)
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond) // let the call queue; nothing asserts on timing
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	err = <-errc
	var ce *trpcws.ClosedError
	if !errors.As(err, &ce) || ce.Message != "Closed before connection was established" {
		t.Fatalf("queued call: %v", err)
	}
}

// The test has a server of its own: the shared server's stats hold every
// frame of every test, and under make test polling them took longer than
// the waits (seen as "context deadline exceeded" on /control/stats).
func TestCloseDeadlineAbortsInFlight(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := newClient(t, trpcws.Options{URL: srv.URL})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := c.Query(ctx, "slow", map[string]any{"ms": 60000, "value": "abort-in-flight"})
		errc <- err
	}()
	srv.WaitFor(t, "the slow query", 30*time.Second, func(st testserver.Stats) bool {
		return slices.ContainsFunc(st.FramesIn, func(f string) bool { return strings.Contains(f, "abort-in-flight") })
	})
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort()
	if err := c.Close(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want DeadlineExceeded", err)
	}
	if err := <-errc; !errors.Is(err, trpcws.ErrConnectionClosed) || !errors.Is(err, trpcws.ErrClientClosed) {
		t.Errorf("in-flight call after Close's deadline: %v", err)
	}
}

// Close's handshake may read the server's close frame before the socket's
// own reader does (here the reader is held in the Logger, which runs on
// it): the socket still reports the code both sides agreed on, 1000, not
// 1006. Seen under heavy load as TestVerboseShowsDebugEvents (cmd/trpcws)
// logging "close socket=1 code=1006".
func TestCloseHandshakeReadFirstReportsItsCode(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	held := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	j := newJournal()
	logger := slog.New(holdHandler{journalHandler{j}, func(msg string) {
		if msg == "trpcws: open" { // on the socket's reader, before its first read
			once.Do(func() { close(held); <-release })
		}
	}})
	closed := make(chan int, 1)
	c, err := trpcws.NewClient(trpcws.Options{URL: srv.URL, Logger: logger, OnClose: func(code int) { closed <- code }})
	if err != nil {
		t.Fatal(err)
	}
	<-held
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	closeErr := make(chan error, 1)
	go func() { closeErr <- c.Close(ctx) }()
	// The server got the close frame and answered it: the handshake,
	// waiting for that answer, holds the connection's reader.
	srv.WaitFor(t, "the server's end of the closing handshake", 20*time.Second, func(st testserver.Stats) bool {
		return st.TotalConnections == 1 && st.Connections == 0
	})
	close(release)
	if err := <-closeErr; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if code := <-closed; code != 1000 {
		t.Errorf("OnClose(%d), want 1000", code)
	}
	if n := j.count(0, "close", "code", "1000"); n != 1 {
		t.Errorf("the close note: %v", j.since(0))
	}
}

// holdHandler calls hold with each record's message before handling it.
type holdHandler struct {
	journalHandler
	hold func(msg string)
}

func (h holdHandler) Handle(ctx context.Context, r slog.Record) error {
	h.hold(r.Message)
	return h.journalHandler.Handle(ctx, r)
}
