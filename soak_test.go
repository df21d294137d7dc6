//go:build !js

package trpcws_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trpcws/trpcws"
	"github.com/trpcws/trpcws/internal/chaos"
	"github.com/trpcws/trpcws/internal/testserver"
)

// soakDuration is how long the fault soaks inject faults: SOAK_DURATION
// (a Go duration), by default 20 s; make soak sets 10m.
func soakDuration(t *testing.T) time.Duration {
	if v := os.Getenv("SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("SOAK_DURATION: %v", err)
		}
		return d
	}
	return 20 * time.Second
}

// TestFaultSoak runs a tracked subscription and a stream of queries
// through a chaos proxy while the real server is dropped, asked to
// reconnect and restarted, and the proxy cuts, resets, stalls and
// half-opens the connection, at random. It fails on a lost or duplicated
// event, a query that neither succeeds nor fails with a typed error, or a
// client not connected once the faults stop. It runs alone (not in
// parallel) so that its goroutine count means something.
func TestFaultSoak(t *testing.T) {
	dur := soakDuration(t)
	srv := testserver.Start(t, testserver.Options{})
	up, _ := url.Parse(srv.URL)
	proxy, err := chaos.New(up.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	goroutinesBefore := runtime.NumGoroutine()

	var reconnects atomic.Int64
	c, err := trpcws.NewClient(trpcws.Options{
		URL:        "ws://" + proxy.Addr(),
		RetryDelay: func(attempt int) time.Duration { return time.Duration(min(attempt+1, 10)) * 20 * time.Millisecond },
		KeepAlive:  trpcws.KeepAliveOptions{Enabled: true, Interval: 400 * time.Millisecond, PongTimeout: 400 * time.Millisecond},
		// A handshake the proxy leaves half open never completes: keep-alive
		// covers open sockets only, and there is no connect timeout by default.
		ConnectTimeout: 2 * time.Second,
		OnOpen:         func() { reconnects.Add(1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	closeClient := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil && !errors.Is(err, trpcws.ErrClientClosed) {
			t.Errorf("Close: %v", err)
		}
	}
	defer closeClient()

	// The tracked subscription: ids must go 1, 2, 3… with no gap and no repeat.
	var mu sync.Mutex
	var last, events, lost, dup int
	gotEvent := make(chan struct{}, 1)
	sub, err := c.Subscribe(context.Background(), "events", map[string]int{"intervalMs": 5}, trpcws.SubscribeOptions{
		BufferSize: -1,
		OnData: func(ev trpcws.Event) {
			n, err := strconv.Atoi(ev.ID)
			mu.Lock()
			switch {
			case err != nil:
				t.Errorf("event id %q", ev.ID)
			case n <= last:
				dup++
			case n > last+1:
				lost += n - last - 1
			}
			last = max(last, n)
			events++
			mu.Unlock()
			select {
			case gotEvent <- struct{}{}:
			default:
			}
		},
		OnError: func(err error) { t.Errorf("the tracked subscription failed: %v", err) },
	})
	if err != nil {
		t.Fatal(err)
	}

	// The stream of queries.
	var ok, closed, timedOut atomic.Int64
	var bad sync.Map
	stopQueries := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stopQueries:
					return
				default:
				}
				want := fmt.Sprintf(`"%d-%d"`, w, i)
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				res, err := c.Query(ctx, "echo", fmt.Sprintf("%d-%d", w, i))
				cancel()
				switch {
				case err == nil && string(res) == want:
					ok.Add(1)
				case err == nil:
					bad.Store(want, "answered "+string(res))
				case errors.Is(err, trpcws.ErrConnectionClosed):
					closed.Add(1)
				case errors.Is(err, context.DeadlineExceeded):
					timedOut.Add(1)
				default:
					bad.Store(want, err.Error())
				}
			}
		}()
	}

	faultCtx, stopFaults := context.WithTimeout(context.Background(), dur)
	defer stopFaults()
	counts := chaos.Inject(faultCtx, t, srv, proxy)
	faults := chaos.Total(counts)

	// Once the faults stop, the client must be connected again: a query
	// succeeds and the subscription delivers new events.
	healthy := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := c.Query(ctx, "echo", "health")
		cancel()
		if err == nil && c.State().State == trpcws.StatePending {
			healthy = true
			break
		}
	}
	if !healthy {
		t.Errorf("the client is not connected 30 s after the faults stopped (state %v; %d connections through the proxy)", c.State(), proxy.Conns())
		var b strings.Builder
		pprof.Lookup("goroutine").WriteTo(&b, 1)
		t.Logf("goroutines:\n%s", b.String())
	}
	mu.Lock()
	target := last + 20
	mu.Unlock()
	for deadline := time.After(30 * time.Second); ; {
		mu.Lock()
		n := last
		mu.Unlock()
		if n >= target {
			break
		}
		select {
		case <-gotEvent:
			continue
		case <-deadline:
			t.Errorf("the subscription delivers nothing after the faults (last id %d)", n)
		}
		break
	}
	close(stopQueries)
	wg.Wait()
	sub.Unsubscribe()
	<-sub.Done()

	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	goroutinesOpen := runtime.NumGoroutine()
	closeClient()
	goroutinesAfter := waitGoroutines(goroutinesBefore, 10*time.Second)

	mu.Lock()
	defer mu.Unlock()
	t.Logf("soak %v: faults %d %v, sockets opened %d, events %d, lost %d, duplicated %d, queries ok %d / closed %d / timed out %d, heap %.1f MB, goroutines %d open, %d after Close (%d before the client)",
		dur, faults, counts, reconnects.Load(), events, lost, dup, ok.Load(), closed.Load(), timedOut.Load(),
		float64(ms.HeapAlloc)/(1<<20), goroutinesOpen, goroutinesAfter, goroutinesBefore)
	if lost != 0 || dup != 0 {
		t.Errorf("lost %d, duplicated %d events", lost, dup)
	}
	if events == 0 || ok.Load() == 0 {
		t.Errorf("no traffic: %d events, %d queries", events, ok.Load())
	}
	bad.Range(func(k, v any) bool {
		t.Errorf("query %v: %v", k, v)
		return true
	})
	if goroutinesAfter > goroutinesBefore {
		t.Errorf("%d goroutines after Close, %d before the client", goroutinesAfter, goroutinesBefore)
	}
}

// waitGoroutines waits until at most n goroutines run, and returns the count.
func waitGoroutines(n int, limit time.Duration) int {
	deadline := time.Now().Add(limit)
	for {
		g := runtime.NumGoroutine()
		if g <= n || time.Now().After(deadline) {
			return g
		}
		time.Sleep(10 * time.Millisecond)
	}
}
