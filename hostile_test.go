//go:build !js

package trpcws_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/trpcws/trpcws"
	"github.com/trpcws/trpcws/internal/hostile"
)

// TestHostileServer sends every class of hostile frame, each followed by
// a health call: the client survives, reports malformed frames to OnError
// as *FrameError, and its memory stays bounded.
func TestHostileServer(t *testing.T) {
	t.Parallel()
	srv, err := hostile.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var mu sync.Mutex
	frameErrors := 0
	others := map[string]int{}
	c := newClient(t, trpcws.Options{
		URL:        srv.URL,
		RetryDelay: func(int) time.Duration { return 10 * time.Millisecond },
		OnError: func(err error) {
			mu.Lock()
			defer mu.Unlock()
			var fe *trpcws.FrameError
			var de *trpcws.DroppedError
			switch {
			case errors.As(err, &fe), errors.As(err, &de):
				frameErrors++
			default:
				others[err.Error()]++
			}
		},
	})
	var peak uint64
	for _, class := range hostile.Classes {
		mu.Lock()
		before := frameErrors
		mu.Unlock()
		start := time.Now()
		stopPeak := make(chan struct{})
		peakc := heapPeak(stopPeak)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		res, err := c.Query(ctx, "hostile", class.Name)
		switch {
		case err == nil && string(res) != `"sent"`:
			t.Errorf("%s: hostile = %s", class.Name, res)
		case err != nil && !(class.Drops && errors.Is(err, trpcws.ErrConnectionClosed)):
			t.Errorf("%s: hostile: %v", class.Name, err)
		}
		res, err = c.Query(ctx, "echo", class.Name)
		cancel()
		if err != nil || string(res) != `"`+class.Name+`"` {
			t.Errorf("%s: health call after it: %s %v", class.Name, res, err)
		}
		if class.Malformed {
			// Reports arrive on the callbacks' goroutine: wait for one.
			deadline := time.Now().Add(10 * time.Second)
			for {
				mu.Lock()
				n := frameErrors - before
				mu.Unlock()
				if n > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Errorf("%s: no *FrameError reported", class.Name)
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		close(stopPeak)
		p := <-peakc
		peak = max(peak, p)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		t.Logf("%-18s done in %v; heap peak %.1f MB (this process, the hostile server's frames included), %.1f MB after", class.Name,
			time.Since(start).Round(time.Millisecond), float64(p)/(1<<20), float64(ms.HeapAlloc)/(1<<20))
	}
	if peak > 512<<20 {
		t.Errorf("heap peak reached %d MB", peak>>20)
	}
	if c.State().State != trpcws.StatePending {
		t.Errorf("state after the suite: %v", c.State())
	}
	mu.Lock()
	t.Logf("frame errors reported: %d; other errors: %v", frameErrors, others)
	mu.Unlock()
}
