//go:build !js

package trpcws_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/trpcws/trpcws"
	"github.com/trpcws/trpcws/internal/testserver"
)

// The same Client API over http:// (batch + SSE) against the real
// @trpc/server standalone adapter.
func TestHTTPTransport(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c, err := trpcws.NewClient(trpcws.Options{URL: srv.HTTP + "/trpc", HTTPHeader: http.Header{"X-Test": {"1"}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	type echo struct{ N int }
	got, err := trpcws.Query[echo](ctx, c, "echo", echo{N: 4})
	if err != nil || got.N != 4 {
		t.Fatalf("echo: %+v %v", got, err)
	}
	sum, err := trpcws.Mutation[int](ctx, c, "add", map[string]int{"a": 1, "b": 2})
	if err != nil || sum != 3 {
		t.Fatalf("add: %d %v", sum, err)
	}
	_, err = c.Query(ctx, "fail", map[string]string{"code": "FORBIDDEN"})
	var te *trpcws.TRPCError
	if !errors.As(err, &te) || te.Code != "FORBIDDEN" {
		t.Fatalf("fail: %v", err)
	}
	var ids []string
	for ev, err := range c.Events(ctx, "events", map[string]int{"max": 3, "intervalMs": 1}, "") {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.ID)
		if len(ids) == 1 {
			srv.Drop(t) // resumed after id 1
		}
	}
	if len(ids) != 3 || ids[0] != "1" || ids[2] != "3" {
		t.Fatalf("events %v", ids)
	}
	// A subscription alive at Close completes.
	sub, err := c.Subscribe(ctx, "events", map[string]int{"intervalMs": 5}, trpcws.SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	<-sub.Done()
	if _, err := c.Query(ctx, "echo", 1); !errors.Is(err, trpcws.ErrClientClosed) {
		t.Fatalf("after Close: %v", err)
	}
}
