//go:build !js

package trpcws_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/trpcws/trpcws"
)

// Options.HTTPURL splits one Client, as tRPC's splitLink: queries and
// mutations over HTTP, subscriptions over the WebSocket, against the real
// server (the "upgrade" header tells which request carried each).
func TestSplitTransports(t *testing.T) {
	t.Parallel()
	srv := shared // not disturbed: no drop, no restart
	var seen []trpcws.Transport
	record := trpcws.UnaryInterceptorFunc(func(next trpcws.UnaryFunc) trpcws.UnaryFunc {
		return func(ctx context.Context, req *trpcws.Request) (json.RawMessage, error) {
			seen = append(seen, req.Transport)
			return next(ctx, req)
		}
	})
	c, err := trpcws.NewClient(trpcws.Options{URL: srv.URL, HTTPURL: srv.HTTP + "/trpc", Lazy: trpcws.LazyOptions{Enabled: true},
		HTTPHeader: http.Header{"X-Client": {"split"}}, Interceptors: []trpcws.Interceptor{record}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	up, err := trpcws.Query[*string](ctx, c, "header", map[string]string{"name": "upgrade"})
	if err != nil || up != nil {
		t.Fatalf("query: upgrade header %v (%v): want none, the call over HTTP", deref(up), err)
	}
	if sum, err := trpcws.Mutation[int](ctx, c, "add", map[string]int{"a": 2, "b": 3}); err != nil || sum != 5 {
		t.Fatalf("mutation: %d %v", sum, err)
	}
	if st := c.State(); st.State != trpcws.StateIdle {
		t.Fatalf("lazy: the WebSocket opened for calls: %v", st.State)
	}
	var got []string
	for ev, err := range trpcws.Events[*string](ctx, c, "headerSub", map[string]string{"name": "upgrade"}, "") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, deref(ev.Data))
	}
	if len(got) != 1 || got[0] != "websocket" {
		t.Fatalf("subscription: upgrade header %v, want websocket", got)
	}
	n := 0
	for _, err := range c.Events(ctx, "events", map[string]int{"max": 2, "intervalMs": 1}, "") {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 2 || len(seen) != 2 || seen[0] != trpcws.TransportHTTP || seen[1] != trpcws.TransportHTTP {
		t.Fatalf("events %d, call transports %v", n, seen)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Query(ctx, "echo", 1); err != trpcws.ErrClientClosed {
		t.Fatalf("after Close: %v", err)
	}

	for _, o := range []trpcws.Options{
		{URL: srv.URL, HTTPURL: srv.URL},
		{URL: srv.HTTP + "/trpc", HTTPURL: srv.HTTP + "/trpc"},
	} {
		if _, err := trpcws.NewClient(o); err == nil {
			t.Fatalf("NewClient(%+v): no error", o)
		}
	}
}
