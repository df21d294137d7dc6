package wsdriver_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trpcws/trpcws/core"
	"github.com/trpcws/trpcws/internal/testserver"
	"github.com/trpcws/trpcws/wsdriver"
)

// The driver alone against the real @trpc/server 11.25.2 (testserver/):
// what the root package's tests cover through the Client, here on
// wsdriver.Client itself.

func TestQueryAndMutation(t *testing.T) {
	t.Parallel()
	d := start(t, core.Config{}, nil)
	ctx := context.Background()
	out, err := d.Call(ctx, core.Query, "echo", []byte(`{"a":[1,"x"]}`))
	if err != nil || string(out) != `{"a":[1,"x"]}` {
		t.Fatalf("echo: %s %v", out, err)
	}
	out, err = d.Call(ctx, core.Mutation, "add", []byte(`{"a":2,"b":3}`))
	if err != nil || string(out) != "5" {
		t.Fatalf("add: %s %v", out, err)
	}
	out, err = d.Call(ctx, core.Mutation, "voidMutation", nil)
	if err != nil || out != nil {
		t.Fatalf("voidMutation: %q %v, want no data", out, err)
	}
	if st := d.Stats(); st.SocketsOpened != 1 {
		t.Fatalf("%d sockets opened for three calls, want 1", st.SocketsOpened)
	}
	d.mu.Lock()
	opens := d.opens
	d.mu.Unlock()
	if opens != 1 {
		t.Fatalf("OnOpen called %d times, want 1", opens)
	}
}

func TestErrorMapped(t *testing.T) {
	t.Parallel()
	d := start(t, core.Config{}, nil)
	ctx := context.Background()
	_, err := d.Call(ctx, core.Query, "fail", []byte(`{"code":"NOT_FOUND","message":"nope"}`))
	var te *core.TRPCError
	if !errors.As(err, &te) || te.Code != "NOT_FOUND" || te.Message != "nope" || te.Path != "fail" {
		t.Fatalf("fail: %v, want the server's NOT_FOUND nope", err)
	}
	if _, err := d.Call(ctx, core.Query, "crash", nil); !errors.As(err, &te) || te.Code != "INTERNAL_SERVER_ERROR" || te.Message != "boom" {
		t.Fatalf("crash: %v", err)
	}
	if _, err := d.Call(ctx, core.Mutation, "add", []byte(`{"a":"x"}`)); !errors.As(err, &te) || te.Code != "BAD_REQUEST" {
		t.Fatalf("add with a bad input: %v", err)
	}
	// The socket keeps serving after errors.
	if out, err := d.Call(ctx, core.Query, "echo", []byte(`"after"`)); err != nil || string(out) != `"after"` {
		t.Fatalf("echo after the errors: %s %v", out, err)
	}
}

// A subscription delivers to its Sink in order: State at Subscribe,
// Started, the events, Complete(false) when the server stops it.
func TestSubscriptionDelivers(t *testing.T) {
	t.Parallel()
	d := start(t, core.Config{}, nil)
	s := newSink(d)
	if _, err := s.subscribe(context.Background(), "counter", `{"count":3,"intervalMs":1}`); err != nil {
		t.Fatal(err)
	}
	log := s.waitFor(t, "the counter's end", ended)
	checkOrder(t, log)
	var got []string
	for _, e := range log {
		if e.kind == "event" {
			got = append(got, e.data)
		}
	}
	if fmt.Sprint(got) != "[0 1 2]" {
		t.Fatalf("events %v, want [0 1 2]: %s", got, kinds(log))
	}
	if last := log[len(log)-1]; last.kind != "complete" || last.closed {
		t.Fatalf("ended with %v, want complete(false): %s", last, kinds(log))
	}
	if n := len(slices.DeleteFunc(slices.Clone(log), func(e entry) bool { return e.kind != "started" })); n != 1 {
		t.Fatalf("%d Started, want 1: %s", n, kinds(log))
	}
	// Tracked events carry their ids.
	s = newSink(d)
	if _, err := s.subscribe(context.Background(), "events", `{"intervalMs":1,"max":3}`); err != nil {
		t.Fatal(err)
	}
	log = s.waitFor(t, "three tracked events", func(log []entry) bool { return len(ids(log)) == 3 })
	for i, e := range slices.DeleteFunc(log, func(e entry) bool { return e.kind != "event" }) {
		if !e.tracked || e.id != strconv.Itoa(i+1) {
			t.Fatalf("event %d: %v tracked=%v, want tracked id %d", i, e, e.tracked, i+1)
		}
	}
}

// An error from the server ends the subscription through Error, after the
// events before it.
func TestSubscriptionError(t *testing.T) {
	t.Parallel()
	d := start(t, core.Config{}, nil)
	s := newSink(d)
	if _, err := s.subscribe(context.Background(), "failingSub", `{"after":2}`); err != nil {
		t.Fatal(err)
	}
	log := s.waitFor(t, "the failing subscription's end", ended)
	checkOrder(t, log)
	last := log[len(log)-1]
	var te *core.TRPCError
	if last.kind != "error" || !errors.As(last.err, &te) || te.Code != "BAD_REQUEST" || te.Message != "sub failed" {
		t.Fatalf("ended with %v, want the server's BAD_REQUEST: %s", last, kinds(log))
	}
	if n := len(ids(log)); n != 2 {
		t.Fatalf("%d events before the error, want 2: %s", n, kinds(log))
	}
}

// Cancelling a call's context abandons it and the client keeps serving;
// Cancel, here from inside the sink's Event (no lock is held there), stops
// a subscription on the server and nothing ends it in the sink.
func TestCancel(t *testing.T) {
	t.Parallel()
	d := start(t, core.Config{}, nil)
	d.waitOpen()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := d.Call(ctx, core.Query, "slow", []byte(`{"ms":600000}`))
		done <- err
	}()
	d.srv.WaitFor(t, "the slow call at the server", wait, func(st testserver.Stats) bool {
		return slices.ContainsFunc(st.FramesIn, func(f string) bool { return strings.Contains(f, `"slow"`) })
	})
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the cancelled call: %v, want context.Canceled", err)
	}

	s := newSink(d)
	var id atomic.Int64
	s.onEvent = func(e entry) {
		// From event 3 on (a Cancel once cancelled does nothing).
		if n, _ := strconv.Atoi(e.id); n >= 3 {
			d.Cancel(id.Load(), s)
		}
	}
	sid, err := s.subscribe(context.Background(), "events", `{"intervalMs":5}`)
	if err != nil {
		t.Fatal(err)
	}
	id.Store(sid)
	d.srv.WaitFor(t, "the subscription stopped at the server", wait, func(st testserver.Stats) bool {
		ends := st.EndsFor("events")
		return len(ends) == 1 && ends[0].Reason == "aborted"
	})
	if out, err := d.Call(context.Background(), core.Query, "echo", []byte(`1`)); err != nil || string(out) != "1" {
		t.Fatalf("echo after the cancels: %s %v", out, err)
	}
	log := s.entries()
	checkOrder(t, log)
	if ended(log) {
		t.Fatalf("a cancelled subscription was ended in its sink: %s", kinds(log))
	}
	if got := ids(log); len(got) < 3 || got[2] != "3" {
		t.Fatalf("events %v", got)
	}
}

// Close ends a call in flight with an error matching Options.ErrClosed
// (and still the core's *core.ClosedError), completes subscriptions with
// closed=true, and refuses everything after it with ErrClosed.
func TestClose(t *testing.T) {
	t.Parallel()
	d := start(t, core.Config{}, nil)
	d.waitOpen()
	done := make(chan error, 1)
	go func() {
		_, err := d.Call(context.Background(), core.Query, "slow", []byte(`{"ms":600000}`))
		done <- err
	}()
	s := newSink(d)
	if _, err := s.subscribe(context.Background(), "events", `{"intervalMs":5}`); err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "an event", func(log []entry) bool { return len(ids(log)) > 0 })
	d.srv.WaitFor(t, "the slow call at the server", wait, func(st testserver.Stats) bool {
		return slices.ContainsFunc(st.FramesIn, func(f string) bool { return strings.Contains(f, `"slow"`) })
	})
	// An ended context: Close does not wait for the slow call, it aborts it.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if !d.Close(ctx) {
		t.Fatal("the first Close returned false")
	}
	err := <-done
	var ce *core.ClosedError
	if !errors.Is(err, errClosed) || !errors.As(err, &ce) {
		t.Fatalf("the call in flight: %v, want one matching ErrClosed and a *core.ClosedError", err)
	}
	log := s.waitFor(t, "the subscription's end", ended)
	checkOrder(t, log)
	if last := log[len(log)-1]; last.kind != "complete" || !last.closed {
		t.Fatalf("ended with %v, want complete(true): %s", last, kinds(log))
	}
	if !d.Closed() {
		t.Fatal("Closed() is false after Close")
	}
	if _, err := d.Call(context.Background(), core.Query, "echo", nil); err != errClosed {
		t.Fatalf("a call after Close: %v, want ErrClosed itself", err)
	}
	if _, err := newSink(d).subscribe(context.Background(), "counter", ""); err != errClosed {
		t.Fatalf("a subscription after Close: %v, want ErrClosed", err)
	}
	if d.Close(context.Background()) {
		t.Fatal("a second Close returned true")
	}
	d.noLeak()
}

// A dropped socket (1006) is replaced and the subscription resumed after
// its last event: every event once, in order; the hooks tell the close,
// the retry asked for and the new open. After a restart of the server too.
func TestDroppedSocketResumes(t *testing.T) {
	t.Parallel()
	d := start(t, core.Config{AskRetry: true}, nil)
	s := newSink(d)
	if _, err := s.subscribe(context.Background(), "events", `{"intervalMs":10}`); err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "event 3", func(log []entry) bool { return slices.Contains(ids(log), "3") })
	d.srv.Drop(t)
	log := s.waitFor(t, "event 10 after the drop", func(log []entry) bool { return slices.Contains(ids(log), "10") })
	d.srv.Restart(t, 200*time.Millisecond)
	log = s.waitFor(t, "event 20 after the restart", func(log []entry) bool { return slices.Contains(ids(log), "20") })
	checkOrder(t, log)

	got := ids(log)
	for i, id := range got {
		if id != strconv.Itoa(i+1) {
			t.Fatalf("events %v: want 1, 2, 3… each once, in order", got)
		}
	}
	// The loss is told to the sink as State(connecting, *core.ClosedError
	// with 1006), then the new start.
	var lost *core.ClosedError
	starts := 0
	for _, e := range log {
		switch {
		case e.kind == "state" && e.state == core.StateConnecting && e.err != nil && lost == nil:
			if !errors.As(e.err, &lost) || lost.Code != 1006 {
				t.Fatalf("the loss told as %v, want a *core.ClosedError with 1006", e.err)
			}
		case e.kind == "started":
			starts++
		}
	}
	if lost == nil || starts < 3 {
		t.Fatalf("loss %v, %d starts, want a loss and 3 starts: %s", lost, starts, kinds(log))
	}
	// Each resume asked the server for the events after the last one seen.
	var resumed []string
	for _, st := range d.srv.Stats(t).StartsFor("events") {
		resumed = append(resumed, st.LastEventID)
	}
	if len(resumed) < 2 || resumed[0] != "" || resumed[len(resumed)-1] == "" {
		t.Fatalf("lastEventId per start %q", resumed)
	}
	for _, last := range resumed[1:] {
		n, err := strconv.Atoi(last)
		if err != nil || n < 3 {
			t.Fatalf("lastEventId per start %q: want each after the events seen", resumed)
		}
	}
	d.mu.Lock()
	opens, closes, retries := d.opens, slices.Clone(d.closes), len(d.retries)
	d.mu.Unlock()
	if opens < 3 || !slices.Contains(closes, 1006) || retries == 0 {
		t.Fatalf("OnOpen %d times, OnClose %v, Retry %d times: want 3 opens, a 1006, a retry asked", opens, closes, retries)
	}
	if out, err := d.Call(context.Background(), core.Query, "echo", []byte(`"after"`)); err != nil || string(out) != `"after"` {
		t.Fatalf("echo after the restart: %s %v", out, err)
	}
}

// Every hook may call back into the client: none runs under the driver's
// lock (start's hooks all probe State and Stats; here Note also feeds the
// core inputs, SetOnline and Wake, from inside the hook). Under the lock
// any of them would deadlock the driver.
func TestHooksCallBackIn(t *testing.T) {
	t.Parallel()
	var noted atomic.Int32
	d := start(t, core.Config{}, func(d *driver, o *wsdriver.Options) {
		note := o.Note
		o.Note = func(out core.Output) {
			note(out)
			if c := d.self.Load(); c != nil && out.Kind == core.OutState && out.State == core.StatePending {
				c.SetOnline(true)
				c.Wake()
				noted.Add(1)
			}
		}
	})
	d.Reconnect() // a move: more hooks, each calling back in
	s := newSink(d)
	if _, err := s.subscribe(context.Background(), "counter", `{"count":2,"intervalMs":1}`); err != nil {
		t.Fatal(err)
	}
	log := s.waitFor(t, "the counter's end", ended)
	checkOrder(t, log)
	if out, err := d.Call(context.Background(), core.Query, "echo", []byte(`2`)); err != nil || string(out) != "2" {
		t.Fatalf("echo: %s %v", out, err)
	}
	if noted.Load() == 0 {
		t.Fatal("Note never told the connected state")
	}
}

// Not parallel: it counts every goroutine of the process. A driver that
// connected, answered, delivered, lost its socket and resumed leaves none
// behind once closed.
func TestNoGoroutineLeak(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	srv.Stats(t) // the control connection is counted in before
	hc := &http.Client{Transport: &http.Transport{}}
	before := runtime.NumGoroutine()
	d := newDriver(t, srv, core.Config{}, func(_ *driver, o *wsdriver.Options) { o.HTTPClient = hc })
	if out, err := d.Call(context.Background(), core.Query, "echo", []byte(`1`)); err != nil || string(out) != "1" {
		t.Fatalf("echo: %s %v", out, err)
	}
	s := newSink(d)
	if _, err := s.subscribe(context.Background(), "events", `{"intervalMs":5}`); err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "event 2", func(log []entry) bool { return slices.Contains(ids(log), "2") })
	srv.Drop(t)
	s.waitFor(t, "event 5 after the drop", func(log []entry) bool { return slices.Contains(ids(log), "5") })
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	d.Close(ctx)
	d.noLeak()
	var now int
	for range 200 {
		hc.CloseIdleConnections()
		if now = runtime.NumGoroutine(); now <= before {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	t.Fatalf("goroutines %d before, %d after Close:\n%s", before, now, buf[:runtime.Stack(buf, true)])
}
