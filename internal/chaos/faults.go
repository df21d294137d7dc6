package chaos

import (
	"context"
	"math/rand/v2"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/trpcws/trpcws/internal/testserver"
)

// FaultKinds are the faults Inject chooses from.
var FaultKinds = []string{"drop", "reconnect", "cut", "reset", "stall", "half-open", "restart"}

// Inject injects a random fault every 150 to 700 ms until ctx ends: the
// real server drops every socket, asks its clients to reconnect, or
// restarts (down for 100 to 500 ms); the proxy in front of it cuts its
// connections mid-frame, resets them, stalls them (0.2 to 1.5 s) or
// leaves them half open. It returns how many of each it injected.
func Inject(ctx context.Context, tb testing.TB, srv *testserver.Server, proxy *Proxy) map[string]int {
	counts := map[string]int{}
	for {
		select {
		case <-ctx.Done():
			return counts
		case <-time.After(time.Duration(150+rand.IntN(550)) * time.Millisecond):
		}
		kind := FaultKinds[rand.IntN(len(FaultKinds))]
		switch kind {
		case "drop":
			srv.Drop(tb)
		case "reconnect":
			srv.Reconnect(tb)
		case "cut":
			proxy.Cut(300 * time.Millisecond)
		case "reset":
			proxy.Reset()
		case "stall":
			proxy.Stall(time.Duration(200+rand.IntN(1300)) * time.Millisecond)
		case "half-open":
			proxy.HalfOpen()
		case "restart":
			q := url.Values{"downMs": {strconv.Itoa(100 + rand.IntN(400))}}
			if err := srv.Control(context.Background(), "restart", q, nil); err != nil {
				tb.Errorf("restart: %v", err)
			}
			srv.WaitUp(tb, 10*time.Second)
		}
		counts[kind]++
	}
}

// Total is the sum of counts.
func Total(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}
