//go:build !js

package trpcws_test

import (
	"errors"
	"testing"
	"time"

	"github.com/trpcws/trpcws"
	"github.com/trpcws/trpcws/internal/testserver"
)

// starts counts the times the server started path.
func starts(st testserver.Stats, path string) int {
	n := 0
	for _, s := range st.SubscriptionStarts {
		if s.Path == path {
			n++
		}
	}
	return n
}

func TestNoResubscribeEndsOnLostSocket(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := newClient(t, trpcws.Options{URL: srv.URL, RetryDelay: fastRetry})
	ctx := ctxT(t)
	once := newRecorder()
	o := once.opts()
	o.NoResubscribe = true
	sub, err := c.Subscribe(ctx, "counter", map[string]int{"count": 1_000_000, "intervalMs": 5}, o)
	if err != nil {
		t.Fatal(err)
	}
	again := liveEvents(t, ctx, c, 2)
	once.waitFor(t, "counter events", func(r *recorder) bool { return len(r.data) >= 2 })

	srv.CloseAll(t, 4000)
	<-sub.Done()
	if !errors.Is(sub.Err(), trpcws.ErrNotResubscribed) {
		t.Fatalf("Err = %v, want ErrNotResubscribed", sub.Err())
	}
	once.mu.Lock()
	gotErr, complete := once.err, once.complete
	once.mu.Unlock()
	if !errors.Is(gotErr, trpcws.ErrNotResubscribed) || complete != 0 {
		t.Errorf("OnError(%v), %d OnComplete", gotErr, complete)
	}
	// The other subscription resumes on the new socket; the server never
	// sees the first one again.
	again.mu.Lock()
	n := len(again.data)
	again.mu.Unlock()
	again.waitFor(t, "events after the reconnect", func(r *recorder) bool { return len(r.data) >= n+3 })
	st := srv.Stats(t)
	if got := starts(st, "counter"); got != 1 {
		t.Errorf("counter started %d times on the server, want 1", got)
	}
	if got := starts(st, "events"); got != 2 {
		t.Errorf("events started %d times on the server, want 2", got)
	}
}

func TestNoResubscribeEndsOnServerMove(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := newClient(t, trpcws.Options{URL: srv.URL})
	ctx := ctxT(t)
	var err error
	done := make(chan struct{})
	seen := make(chan struct{}, 1)
	go func() {
		defer close(done)
		for _, e := range c.Events(ctx, "events", map[string]int{"intervalMs": 5}, "", trpcws.SubscribeOptions{NoResubscribe: true}) {
			if e != nil {
				err = e
				return
			}
			select {
			case seen <- struct{}{}:
			default:
			}
		}
	}()
	<-seen
	srv.Reconnect(t)
	<-done
	if !errors.Is(err, trpcws.ErrNotResubscribed) {
		t.Fatalf("Events ended with %v, want ErrNotResubscribed", err)
	}
	// Stopped on the old socket, which then closes; never sent on the new one.
	st := srv.WaitFor(t, "the old socket to close", 10*time.Second, func(st testserver.Stats) bool {
		return st.TotalConnections == 2 && st.Connections == 1
	})
	if got := starts(st, "events"); got != 1 {
		t.Errorf("events started %d times on the server, want 1", got)
	}
	if st.StopFrames != 1 {
		t.Errorf("stop frames = %d, want 1", st.StopFrames)
	}
}

func TestEventsOptionsChecked(t *testing.T) {
	t.Parallel()
	c := newClient(t, trpcws.Options{})
	for _, opts := range [][]trpcws.SubscribeOptions{
		{{OnData: func(trpcws.Event) {}}},
		{{LastEventID: "1"}},
		{{}, {}},
	} {
		for _, err := range c.Events(ctxT(t), "events", nil, "", opts...) {
			if err == nil {
				t.Fatalf("Events(%d options) yielded an event", len(opts))
			}
			break
		}
	}
}

// A subscription the server ended stays ended: it is not sent again after
// a reconnect (trpc#6962).
func TestServerEndedSubscriptionNotResent(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := newClient(t, trpcws.Options{URL: srv.URL, RetryDelay: fastRetry})
	ctx := ctxT(t)
	r := newRecorder()
	sub, err := c.Subscribe(ctx, "events", map[string]int{"intervalMs": 1, "max": 3}, r.opts())
	if err != nil {
		t.Fatal(err)
	}
	<-sub.Done()
	if !errors.Is(sub.Err(), trpcws.ErrSubscriptionEnded) || r.complete != 1 || len(r.data) != 3 {
		t.Fatalf("Err=%v complete=%d data=%d", sub.Err(), r.complete, len(r.data))
	}
	srv.CloseAll(t, 4000)
	// A query sent before the client saw the close would fail with it, as
	// in the reference: ask once the client is on its new socket.
	srv.WaitFor(t, "the reconnect", 10*time.Second, func(st testserver.Stats) bool {
		return st.TotalConnections == 2 && st.Connections == 1
	})
	if _, err := c.Query(ctx, "echo", 1); err != nil {
		t.Fatal(err)
	}
	if got := starts(srv.Stats(t), "events"); got != 1 {
		t.Errorf("events started %d times, want 1", got)
	}
}
