package trpcws_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/trpcws/trpcws"
)

// A string URL that can never be dialled is refused by NewClient, with an
// error naming the option and the URL.
func TestNewClientRejectsBadURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"not a url", "ftp://host/trpc", "ws://", "ws://[::1", "://host", "localhost:3000"} {
		c, err := trpcws.NewClient(trpcws.Options{URL: u})
		if err == nil {
			c.Close(context.Background())
			t.Errorf("NewClient(URL %q) accepted it", u)
			continue
		}
		var ue *trpcws.URLError
		msg := err.Error()
		if !errors.As(err, &ue) || ue.URL != u || ue.Option != "Options.URL" ||
			!strings.Contains(msg, "Options.URL") || !strings.Contains(msg, `"`+u+`"`) || strings.Count(msg, "trpcws:") != 1 {
			t.Errorf("NewClient(URL %q): %v (%#v)", u, err, ue)
		}
	}
	for _, u := range []string{"ws://127.0.0.1:1", "wss://example.invalid/trpc", "WS://127.0.0.1:1/x?y=1"} {
		c, err := trpcws.NewClient(trpcws.Options{URL: u, Lazy: trpcws.LazyOptions{Enabled: true}})
		if err != nil {
			t.Errorf("NewClient(URL %q): %v", u, err)
			continue
		}
		c.Close(context.Background())
	}
}

// A URL function's result that can never be dialled fails its attempt with
// an error naming it (OnError, the state, the call), and the client gives up
// instead of retrying; the next call asks the function again, and its good
// URL reaches the real server.
func TestURLFuncBadURLGivesUp(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	reported := make(chan error, 8)
	idle := make(chan error, 8)
	c := newClient(t, trpcws.Options{
		Lazy: trpcws.LazyOptions{Enabled: true}, // the first attempt is the first Query's
		URLFunc: func(context.Context) (string, error) {
			if calls.Add(1) == 1 {
				return "not a url", nil
			}
			return serverURL, nil
		},
		OnError: func(err error) { reported <- err },
		OnStateChange: func(s trpcws.ConnectionState) {
			if s.State == trpcws.StateIdle && s.Err != nil {
				idle <- s.Err
			}
		},
	})
	ctx := ctxT(t)
	check := func(what string, err error) {
		t.Helper()
		var ue *trpcws.URLError
		if !errors.As(err, &ue) || ue.URL != "not a url" || ue.Option != "Options.URLFunc" ||
			!strings.Contains(err.Error(), `"not a url"`) || strings.Count(err.Error(), "trpcws:") != 1 {
			t.Errorf("%s: %v, want a *URLError naming \"not a url\" with one trpcws: prefix", what, err)
		}
	}
	_, err := c.Query(ctx, "echo", "x")
	var g *trpcws.GaveUpError
	if !errors.As(err, &g) || !errors.Is(err, trpcws.ErrConnectionClosed) {
		t.Fatalf("Query: %v, want a *GaveUpError", err)
	}
	check("Query", err)
	if n := calls.Load(); n != 1 {
		t.Errorf("URLFunc called %d times before the client gave up, want 1", n)
	}
	for what, ch := range map[string]chan error{"OnError": reported, "idle state": idle} {
		select {
		case err := <-ch:
			check(what, err)
		case <-ctx.Done():
			t.Fatalf("no %s", what)
		}
	}
	res, err := c.Query(ctx, "echo", "again")
	if err != nil || string(res) != `"again"` {
		t.Fatalf("the next Query: %s, %v", res, err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("URLFunc called %d times, want 2", n)
	}
}

// An error carries "trpcws: " once, however many errors it wraps.
func TestErrorPrefixOnce(t *testing.T) {
	t.Parallel()
	c := newClient(t, trpcws.Options{URL: "ws://127.0.0.1:1", Retry: trpcws.RetryOptions{MaxAttempts: 1}})
	_, err := c.Query(ctxT(t), "echo", "x")
	var g *trpcws.GaveUpError
	if !errors.As(err, &g) || strings.Count(err.Error(), "trpcws:") != 1 || !strings.Contains(err.Error(), "Initialization error") {
		t.Errorf("Query on a closed port: %v, want one trpcws: prefix", err)
	}
}

// The URL rule is the one web/lib/url.js applies: every row of
// testdata/websocket-urls.json gets the same reason from both drivers.
func TestURLRuleSharedWithJavaScript(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/websocket-urls.json")
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		Cases []struct{ URL, Reason string }
	}
	if err := json.Unmarshal(raw, &table); err != nil || len(table.Cases) == 0 {
		t.Fatalf("testdata/websocket-urls.json: %v (%d cases)", err, len(table.Cases))
	}
	for _, tc := range table.Cases {
		c, err := trpcws.NewClient(trpcws.Options{URL: tc.URL, Lazy: trpcws.LazyOptions{Enabled: true}})
		var ue *trpcws.URLError
		switch {
		case tc.Reason == "" && err != nil:
			t.Errorf("NewClient(URL %q): %v, want it accepted", tc.URL, err)
		case tc.Reason == "":
			c.Close(context.Background())
		case !errors.As(err, &ue) || ue.Reason != tc.Reason:
			t.Errorf("NewClient(URL %q): %v, want a *URLError with reason %q", tc.URL, err, tc.Reason)
		}
	}
}
