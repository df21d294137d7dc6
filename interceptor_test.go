//go:build !js

package trpcws_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/trpcws/trpcws"
	"github.com/trpcws/trpcws/internal/testserver"
)

type ctxKey struct{}

// authInterceptor puts a fresh token on every call: in its HTTP header,
// and in ctx for the interceptors inside it.
type authInterceptor struct{ n atomic.Int64 }

func (a *authInterceptor) token() string { return fmt.Sprintf("Bearer t%d", a.n.Add(1)) }

func (a *authInterceptor) WrapUnary(next trpcws.UnaryFunc) trpcws.UnaryFunc {
	return func(ctx context.Context, req *trpcws.Request) (json.RawMessage, error) {
		tok := a.token()
		req.Header.Set("Authorization", tok)
		return next(context.WithValue(ctx, ctxKey{}, tok), req)
	}
}

func (a *authInterceptor) WrapSubscription(next trpcws.SubscriptionFunc) trpcws.SubscriptionFunc {
	return func(ctx context.Context, req *trpcws.Request) error {
		tok := a.token()
		req.Header.Set("Authorization", tok)
		return next(context.WithValue(ctx, ctxKey{}, tok), req)
	}
}

// logInterceptor writes a line per call and per subscription event.
type logInterceptor struct {
	mu    sync.Mutex
	lines []string
}

func (l *logInterceptor) log(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logInterceptor) Lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines)
}

func (l *logInterceptor) WrapUnary(next trpcws.UnaryFunc) trpcws.UnaryFunc {
	return func(ctx context.Context, req *trpcws.Request) (json.RawMessage, error) {
		out, err := next(ctx, req)
		var te *trpcws.TRPCError
		switch {
		case errors.As(err, &te):
			l.log("%s %s %s: error %s (auth in ctx: %v)", req.Transport, req.Type, req.Path, te.Code, ctx.Value(ctxKey{}) != nil)
		case err != nil:
			l.log("%s %s %s: error %v", req.Transport, req.Type, req.Path, err)
		default:
			l.log("%s %s %s: %s (auth in ctx: %v)", req.Transport, req.Type, req.Path, out, ctx.Value(ctxKey{}) != nil)
		}
		return out, err
	}
}

func (l *logInterceptor) WrapSubscription(next trpcws.SubscriptionFunc) trpcws.SubscriptionFunc {
	return func(ctx context.Context, req *trpcws.Request) error {
		p := req.Path
		req.Observe(trpcws.SubscriptionObserver{
			OnStarted: func(resumed bool) { l.log("%s started resumed=%v", p, resumed) },
			OnEvent:   func(ev trpcws.Event) { l.log("%s event %s", p, ev.Data) },
			OnRetry:   func(attempt int, err error) { l.log("%s retry %d", p, attempt) },
			OnEnd:     func(err error) { l.log("%s end %v", p, err) },
		})
		return next(ctx, req)
	}
}

// Interceptors on both transports against the real server: applied in
// order (auth outside log: log sees auth's ctx), a changed input is what
// is sent, headers reach the HTTP server (a fresh token per request),
// results, errors and a subscription's life (with a retry and a resume)
// are seen.
func TestInterceptors(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	for _, tc := range []struct {
		name, url string
		tr        trpcws.Transport
	}{
		{"websocket", srv.URL, trpcws.TransportWebSocket},
		{"http", srv.HTTP + "/trpc", trpcws.TransportHTTP},
	} {
		t.Run(tc.name, func(t *testing.T) {
			auth, log := &authInterceptor{}, &logInterceptor{}
			// Doubles echo's n on the way out: the server sees the new input.
			double := trpcws.UnaryInterceptorFunc(func(next trpcws.UnaryFunc) trpcws.UnaryFunc {
				return func(ctx context.Context, req *trpcws.Request) (json.RawMessage, error) {
					if req.Path == "echo" {
						var in struct{ N int }
						if err := json.Unmarshal(req.Input, &in); err != nil {
							return nil, err
						}
						req.Input, _ = json.Marshal(map[string]int{"n": in.N * 2})
					}
					return next(ctx, req)
				}
			})
			c, err := trpcws.NewClient(trpcws.Options{URL: tc.url, Interceptors: []trpcws.Interceptor{auth, log, double}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(context.Background())
			ctx := context.Background()

			got, err := trpcws.Query[map[string]int](ctx, c, "echo", map[string]int{"n": 21})
			if err != nil || got["n"] != 42 {
				t.Fatalf("echo through the interceptors: %v %v", got, err)
			}
			if _, err := c.Query(ctx, "fail", map[string]string{"code": "FORBIDDEN"}); err == nil {
				t.Fatal("fail: no error")
			}
			h1, err := trpcws.Query[*string](ctx, c, "header", map[string]string{"name": "authorization"})
			if err != nil {
				t.Fatal(err)
			}
			h2, err := trpcws.Query[*string](ctx, c, "header", map[string]string{"name": "authorization"})
			if err != nil {
				t.Fatal(err)
			}
			if tc.tr == trpcws.TransportHTTP {
				if h1 == nil || h2 == nil || *h1 == *h2 || !strings.HasPrefix(*h1, "Bearer t") {
					t.Fatalf("HTTP: a fresh Authorization per request expected, got %v %v", deref(h1), deref(h2))
				}
			} else if h1 != nil {
				t.Fatalf("WebSocket: a call's Header is not sent (the socket's handshake is shared), got %q", *h1)
			}

			// A subscription: started, events, a lost connection retried and
			// resumed, then its end, as the observer sees them.
			// Until the observer saw the resume after the drop (whenever the
			// server's drop lands), at most 2000 events.
			n := 0
			for _, err := range c.Events(ctx, "events", map[string]int{"intervalMs": 5}, "") {
				if err != nil {
					t.Fatal(err)
				}
				if n++; n == 1 {
					srv.Drop(t)
				}
				if slices.Contains(log.Lines(), "events started resumed=true") || n == 2000 {
					break
				}
			}
			var events []string
			for ev, err := range c.Events(ctx, "headerSub", map[string]string{"name": "authorization"}, "") {
				if err != nil {
					t.Fatal(err)
				}
				events = append(events, string(ev.Data))
			}
			if tc.tr == trpcws.TransportHTTP && (len(events) != 1 || !strings.HasPrefix(events[0], `"Bearer t`)) {
				t.Fatalf("HTTP: the subscription's request carries the interceptor's header: %v", events)
			}

			lines := log.Lines()
			tr := string(tc.tr)
			want := []string{
				tr + ` query echo: {"n":42} (auth in ctx: true)`,
				tr + ` query fail: error FORBIDDEN (auth in ctx: true)`,
			}
			if !slices.Equal(lines[:2], want) {
				t.Fatalf("log:\n%s\nwant first:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
			}
			sub := slices.DeleteFunc(slices.Clone(lines), func(l string) bool { return !strings.HasPrefix(l, "events ") })
			joined := strings.Join(sub, "\n")
			for _, w := range []string{"events started resumed=false", "events retry 1", "events started resumed=true", `"id":"1"`, "events end <nil>"} {
				if !strings.Contains(joined, w) {
					t.Fatalf("subscription log lacks %q:\n%s", w, joined)
				}
			}
			if sub[0] != "events started resumed=false" || sub[len(sub)-1] != "events end <nil>" {
				t.Fatalf("subscription log out of order:\n%s", joined)
			}
			if !slices.Contains(lines, "headerSub end <nil>") {
				t.Fatalf("headerSub not ended in the log:\n%s", strings.Join(lines, "\n"))
			}
		})
	}
}

// A Subscribe with callbacks goes through the interceptors too; an error
// ending it reaches OnEnd; an interceptor can refuse a call.
func TestInterceptorsSubscribeAndRefuse(t *testing.T) {
	t.Parallel()
	srv := shared // not disturbed: no drop, no restart
	errNo := errors.New("refused by the interceptor")
	refuse := trpcws.UnaryInterceptorFunc(func(next trpcws.UnaryFunc) trpcws.UnaryFunc {
		return func(ctx context.Context, req *trpcws.Request) (json.RawMessage, error) {
			if req.Path == "add" {
				return nil, errNo
			}
			return next(ctx, req)
		}
	})
	for _, url := range []string{srv.URL, srv.HTTP + "/trpc"} {
		log := &logInterceptor{}
		c, err := trpcws.NewClient(trpcws.Options{URL: url, Interceptors: []trpcws.Interceptor{refuse, log}})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if _, err := c.Mutation(ctx, "add", map[string]int{"a": 1, "b": 2}); !errors.Is(err, errNo) {
			t.Fatalf("%s: refused mutation: %v", url, err)
		}
		s, err := c.Subscribe(ctx, "failingSub", map[string]int{"after": 1}, trpcws.SubscribeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		<-s.Done()
		var te *trpcws.TRPCError
		if !errors.As(s.Err(), &te) {
			t.Fatalf("%s: failingSub ended with %v", url, s.Err())
		}
		lines := log.Lines()
		if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], "failingSub end ") || strings.HasSuffix(lines[len(lines)-1], "<nil>") {
			t.Fatalf("%s: log %q", url, lines)
		}
		if slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, " add") }) {
			t.Fatalf("%s: the refused call reached the inner interceptor: %q", url, lines)
		}
		c.Close(ctx)
	}
}

func deref(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}
