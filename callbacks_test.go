//go:build !js

package trpcws_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/trpcws/trpcws"
	"github.com/trpcws/trpcws/internal/testserver"
)

// exercise calls every method of the client, from inside a callback. Each
// call must return (nothing runs under the client's lock, nothing waits for
// the goroutine the callback runs on beyond the call's ctx), with a
// result or a typed error.
func exercise(t *testing.T, c *trpcws.Client, where string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	typed := func(method string, err error) {
		if err == nil || errors.Is(err, trpcws.ErrConnectionClosed) || errors.Is(err, context.DeadlineExceeded) {
			return
		}
		var te *trpcws.TRPCError
		if errors.As(err, &te) {
			return
		}
		t.Errorf("%s from %s: untyped error %v", method, where, err)
	}
	_ = c.State()
	_ = c.Stats()
	// The network hints never wait for the network: offline then back
	// online at once, so that the calls below can connect.
	c.SetOnline(false)
	c.SetOnline(true)
	c.Wake()
	c.Reconnect()
	_, err := c.Query(ctx, "echo", 1)
	typed("Query", err)
	_, err = c.Mutation(ctx, "add", map[string]int{"a": 1, "b": 2})
	typed("Mutation", err)
	sub, err := c.Subscribe(ctx, "counter", map[string]int{"count": 2, "intervalMs": 1}, trpcws.SubscribeOptions{})
	typed("Subscribe", err)
	if sub != nil {
		select {
		case <-sub.Done():
		case <-ctx.Done():
		}
		_ = sub.Err()
		sub.Unsubscribe()
		<-sub.Done()
	}
	for _, err := range c.Events(ctx, "counter", map[string]int{"count": 2, "intervalMs": 1}, "") {
		if err != nil {
			typed("Events", err)
		}
	}
	// Close from a callback waits for that callback's own goroutine, so it
	// returns by its deadline.
	short, cancelShort := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancelShort()
	if err := c.Close(short); err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, trpcws.ErrClientClosed) {
		t.Errorf("Close from %s: %v", where, err)
	}
	if _, err := c.Query(ctx, "echo", 2); !errors.Is(err, trpcws.ErrClientClosed) {
		t.Errorf("Query after Close from %s: %v", where, err)
	}
	// After Close they do nothing.
	c.SetOnline(false)
	c.SetOnline(true)
	c.Wake()
	c.Reconnect()
	_ = c.Stats()
}

// User callbacks never run with the client's lock held, nor on the
// goroutine that reads the socket: each one may call every method of the
// client.
func TestEveryMethodFromEveryCallback(t *testing.T) {
	t.Parallel()
	callbacks := []string{
		"OnOpen", "OnClose", "OnError", "OnStateChange", "URLFunc", "ConnectionParamsFunc", "RetryDelay",
		"sub.OnStarted", "sub.OnData", "sub.OnError", "sub.OnComplete", "sub.OnStateChange",
	}
	for _, name := range callbacks {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := shared
			if name == "OnClose" || name == "RetryDelay" {
				srv = testserver.Start(t, testserver.Options{})
			}
			var c *trpcws.Client
			ready := make(chan struct{}) // c is set
			ran := make(chan struct{})
			var once sync.Once
			hit := func(cb string) {
				if cb != name {
					return
				}
				once.Do(func() {
					<-ready
					exercise(t, c, cb)
					close(ran)
				})
			}
			var panicOnce sync.Once
			opts := trpcws.Options{
				URLFunc: func(context.Context) (string, error) {
					hit("URLFunc")
					return srv.URL, nil
				},
				ConnectionParamsFunc: func(context.Context) (map[string]string, error) {
					hit("ConnectionParamsFunc")
					return nil, nil
				},
				// Keep-alive on: Wake from a callback sends a PING.
				KeepAlive:     trpcws.KeepAliveOptions{Enabled: true},
				OnOpen:        func() { hit("OnOpen") },
				OnClose:       func(int) { hit("OnClose") },
				OnError:       func(error) { hit("OnError") },
				OnStateChange: func(trpcws.ConnectionState) { hit("OnStateChange") },
				RetryDelay: func(int) time.Duration {
					hit("RetryDelay")
					return 10 * time.Millisecond
				},
			}
			var err error
			c, err = trpcws.NewClient(opts)
			if err != nil {
				t.Fatal(err)
			}
			close(ready)
			ctx := ctxT(t)
			path, input := "counter", any(map[string]int{"count": 2, "intervalMs": 1})
			if name == "sub.OnError" {
				path, input = "failingSub", map[string]int{"after": 1}
			}
			_, err = c.Subscribe(ctx, path, input, trpcws.SubscribeOptions{
				OnStarted: func() { hit("sub.OnStarted") },
				OnData: func(trpcws.Event) {
					if name == "OnError" {
						panicOnce.Do(func() { panic("to reach OnError") })
					}
					hit("sub.OnData")
				},
				OnError:       func(error) { hit("sub.OnError") },
				OnComplete:    func() { hit("sub.OnComplete") },
				OnStateChange: func(trpcws.ConnectionState) { hit("sub.OnStateChange") },
			})
			if err != nil && !errors.Is(err, trpcws.ErrClientClosed) {
				t.Fatal(err)
			}
			if name == "OnClose" || name == "RetryDelay" {
				srv.WaitFor(t, "the connection", 10*time.Second, func(st testserver.Stats) bool { return st.Connections > 0 })
				srv.Drop(t)
			}
			select {
			case <-ran:
			case <-time.After(30 * time.Second):
				t.Fatalf("%s: the callback did not run, or the calls in it did not return", name)
			}
			closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err = returnsWithin(t, "Close after the callback", 20*time.Second, func() error { return c.Close(closeCtx) })
			if !errors.Is(err, trpcws.ErrClientClosed) {
				t.Errorf("Close after the callback closed the client: %v, want ErrClientClosed", err)
			}
		})
	}
}
