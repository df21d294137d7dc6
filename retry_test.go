//go:build !js

package trpcws_test

import (
	"testing"
	"time"

	"github.com/trpcws/trpcws"
)

// TestRetryDelayMayCallTheClient: RetryDelay runs outside the client's lock,
// so it may call back into the client (this deadlocked when the core called
// it), and a panic in it falls back to the default backoff.
func TestRetryDelayMayCallTheClient(t *testing.T) {
	t.Parallel()
	var c *trpcws.Client
	asked := make(chan trpcws.State, 8)
	ready := make(chan struct{})
	c, err := trpcws.NewClient(trpcws.Options{
		URL: "ws://127.0.0.1:1", // nothing listens: every attempt fails
		RetryDelay: func(attempt int) time.Duration {
			<-ready
			select {
			case asked <- c.State().State:
			default:
			}
			if attempt == 1 {
				panic("boom")
			}
			return 10 * time.Millisecond
		},
		OnError: func(error) {},
	})
	if err != nil {
		t.Fatal(err)
	}
	close(ready)
	for range 3 {
		select {
		case st := <-asked:
			if st != trpcws.StateConnecting {
				t.Errorf("state seen from RetryDelay: %v", st)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("RetryDelay not called again: the client is stuck")
		}
	}
	if err := c.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}
