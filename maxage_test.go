//go:build !js

package trpcws_test

import (
	"encoding/json"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/trpcws/trpcws"
	"github.com/trpcws/trpcws/internal/testserver"
)

// With MaxConnectionAge 200 ms the client moves to a new socket over and
// over under a tracked subscription, a query loop and a mutation loop:
// every event arrives once and in order, every query is answered once with
// its own input, every mutation runs once on the server.
func TestMaxConnectionAgeRotatesWithoutLoss(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := newClient(t, trpcws.Options{URL: srv.URL, MaxConnectionAge: 200 * time.Millisecond})
	ctx := ctxT(t)
	ev := liveEvents(t, ctx, c, 1)

	const rotations = 10
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	queries, mutations := 0, 0
	var failed error
	fail := func(err error) {
		mu.Lock()
		if failed == nil {
			failed = err
		}
		mu.Unlock()
	}
	loop := func(call func(i int) error, count *int) {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := call(i); err != nil {
				fail(err)
				return
			}
			mu.Lock()
			*count++
			mu.Unlock()
		}
	}
	query := func(i int) error {
		// slow keeps queries in flight when a move starts: they finish on
		// the old socket.
		res, err := c.Query(ctx, "slow", map[string]any{"ms": 15, "value": i})
		if err != nil {
			return err
		}
		if want := strconv.Itoa(i); string(res) != want {
			return &mismatch{what: "query " + want, got: string(res)}
		}
		return nil
	}
	mutate := func(int) error {
		_, err := c.Mutation(ctx, "increment", map[string]int{"by": 1})
		return err
	}
	wg.Add(3)
	go loop(query, &queries)
	go loop(query, new(int))
	go loop(mutate, &mutations)
	srv.WaitFor(t, strconv.Itoa(rotations)+" connections", 15*time.Second, func(st testserver.Stats) bool {
		return st.TotalConnections >= rotations
	})
	close(stop)
	wg.Wait()
	if failed != nil {
		t.Fatal(failed)
	}

	// The subscription is still live after the last move.
	ev.mu.Lock()
	n := len(ev.data)
	ev.mu.Unlock()
	ev.waitFor(t, "events after the rotations", func(r *recorder) bool { return len(r.data) >= n+3 })
	ev.mu.Lock()
	data, started, subErr := append([]trpcws.Event(nil), ev.data...), ev.started, ev.err
	ev.mu.Unlock()
	if subErr != nil {
		t.Fatalf("subscription error: %v", subErr)
	}
	for i, e := range data {
		if want := strconv.Itoa(i + 1); e.ID != want {
			t.Fatalf("event %d has id %q, want %q (lost or duplicated across a move)", i, e.ID, want)
		}
	}
	if started != 1 {
		t.Errorf("OnStarted called %d times, want 1", started)
	}

	st := srv.Stats(t)
	var count int
	res, err := c.Query(ctx, "getCount", nil)
	if err == nil {
		err = json.Unmarshal(res, &count)
	}
	if err != nil {
		t.Fatal(err)
	}
	if count != mutations {
		t.Errorf("server counted %d mutations, the client made %d", count, mutations)
	}
	if got := len(st.StartsFor("events")); got < rotations-1 {
		t.Errorf("events started %d times on the server over %d connections", got, st.TotalConnections)
	}
	if queries == 0 || mutations == 0 {
		t.Errorf("%d queries, %d mutations", queries, mutations)
	}
	t.Logf("%d connections, %d events, %d queries (one loop), %d mutations", st.TotalConnections, len(data), queries, mutations)
}

// A lazy client with nothing to do closes its socket at MaxConnectionAge
// rather than moving; the next call opens a new one.
func TestMaxConnectionAgeLazyIdleCloses(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := newClient(t, trpcws.Options{URL: srv.URL, MaxConnectionAge: 100 * time.Millisecond,
		Lazy: trpcws.LazyOptions{Enabled: true, CloseAfter: time.Hour}})
	ctx := ctxT(t)
	if _, err := c.Query(ctx, "echo", 1); err != nil {
		t.Fatal(err)
	}
	// (On a loaded machine the answer can come after max age: the client
	// then moves once, with the query in flight, and the new socket closes
	// idle.)
	st := srv.WaitFor(t, "the idle socket closed", 15*time.Second, func(st testserver.Stats) bool {
		return st.Connections == 0
	})
	if s := c.State().State; s != trpcws.StateIdle {
		t.Errorf("state %v, want idle", s)
	}
	if _, err := c.Query(ctx, "echo", 2); err != nil {
		t.Fatal(err)
	}
	if got := srv.Stats(t).TotalConnections; got != st.TotalConnections+1 {
		t.Errorf("%d connections after the next query, want %d", got, st.TotalConnections+1)
	}
}

// mismatch is a call answered with another call's result.
type mismatch struct{ what, got string }

func (m *mismatch) Error() string { return m.what + " answered with " + m.got }
