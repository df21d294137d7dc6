//go:build !js

package trpcws_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/trpcws/trpcws"
	"github.com/trpcws/trpcws/internal/testserver"
	"github.com/trpcws/trpcws/superjson"
)

// tokenSource is an app's credentials: ConnectionParamsFunc sends the
// current token, RefreshAuth fetches the next one (here: the one the test
// server wants now, or fail).
type tokenSource struct {
	mu      sync.Mutex
	token   string
	next    string // what a refresh yields
	fail    error  // a refresh returns it when set
	reasons []trpcws.AuthReason
}

func (s *tokenSource) params(context.Context) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[string]string{"token": s.token}, nil
}

func (s *tokenSource) refresh(_ context.Context, r trpcws.AuthReason) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reasons = append(s.reasons, r)
	if s.fail != nil {
		return s.fail
	}
	s.token = s.next
	return nil
}

func (s *tokenSource) refreshes() []trpcws.AuthReason {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reasons)
}

func (s *tokenSource) opts(srv *testserver.Server) trpcws.Options {
	return trpcws.Options{URL: srv.URL, ConnectionParamsFunc: s.params, RefreshAuth: s.refresh, RetryDelay: fastRetry}
}

func secret(t *testing.T, ctx context.Context, c *trpcws.Client) (string, error) {
	t.Helper()
	res, err := c.Query(ctx, "secret", nil)
	if err != nil {
		return "", err
	}
	var v struct{ Token string }
	if err := json.Unmarshal(res, &v); err != nil {
		t.Fatal(err)
	}
	return v.Token, nil
}

func isUnauthorized(err error) bool {
	var te *trpcws.TRPCError
	return errors.As(err, &te) && te.Code == "UNAUTHORIZED"
}

// consecutive checks tracked ids 1..n with no gap or duplicate.
func consecutive(t *testing.T, ids []int) {
	t.Helper()
	for i, id := range ids {
		if id != i+1 {
			t.Fatalf("tracked ids not consecutive from 1: %v", ids)
		}
	}
}

func TestRefreshAuthQueryRetriedAndSubscriptionMoved(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	ts := &tokenSource{token: "good", next: "t2"}
	c := newClient(t, ts.opts(srv))
	ctx := ctxT(t)
	ev := liveEvents(t, ctx, c, 3)
	if tok, err := secret(t, ctx, c); err != nil || tok != "good" {
		t.Fatalf("secret = %q, %v", tok, err)
	}

	srv.SetToken(t, "t2") // the token expires
	var wg sync.WaitGroup
	toks := make([]string, 5)
	errs := make([]error, 5)
	for i := range toks {
		wg.Add(1)
		go func() { defer wg.Done(); toks[i], errs[i] = secret(t, ctx, c) }()
	}
	wg.Wait()
	for i := range toks {
		if errs[i] != nil || toks[i] != "t2" {
			t.Fatalf("secret %d after the expiry = %q, %v", i, toks[i], errs[i])
		}
	}
	r := ts.refreshes()
	if len(r) != 1 || !isUnauthorized(r[0].Err) || r[0].CloseCode != 0 {
		t.Fatalf("refreshes: %+v, want one for UNAUTHORIZED", r)
	}
	ev.mu.Lock()
	n := len(ev.data)
	ev.mu.Unlock()
	ev.waitFor(t, "events after the move", func(r *recorder) bool { return len(r.data) >= n+5 })
	ev.mu.Lock()
	consecutive(t, ev.trackedIDs())
	started := ev.started
	ev.mu.Unlock()
	if started != 1 {
		t.Errorf("%d OnStarted, want 1", started)
	}
	st := srv.Stats(t)
	if starts(st, "events") != 2 || st.SubscriptionStarts[1].LastEventID == "" {
		t.Errorf("events starts %+v, want a second one resuming", st.SubscriptionStarts)
	}
	if st.TotalConnections != 2 {
		t.Errorf("%d connections, want 2", st.TotalConnections)
	}
}

// TestRefreshAuthSuperjson: through a superjson server the UNAUTHORIZED
// error arrives as superjson's {"json", "meta"}; the refresh starts all the
// same, and the query sent again answers, decoded.
func TestRefreshAuthSuperjson(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{Transformer: "superjson"})
	ts := &tokenSource{token: "good", next: "t2"}
	opts := ts.opts(srv)
	opts.Transformer = superjson.Transformer{}
	c := newClient(t, opts)
	ctx := ctxT(t)
	if tok, err := secret(t, ctx, c); err != nil || tok != "good" {
		t.Fatalf("secret = %q, %v", tok, err)
	}
	srv.SetToken(t, "t2")
	if tok, err := secret(t, ctx, c); err != nil || tok != "t2" {
		t.Fatalf("secret after the expiry = %q, %v", tok, err)
	}
	r := ts.refreshes()
	if len(r) != 1 || !isUnauthorized(r[0].Err) {
		t.Fatalf("refreshes: %+v, want one for UNAUTHORIZED", r)
	}
	var te *trpcws.TRPCError
	if errors.As(r[0].Err, &te) && te.Message == "UNAUTHORIZED" {
		t.Errorf("the refusal's message was not read: %+v", te)
	}
}

func TestRefreshAuthOnCloseCode(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	ts := &tokenSource{token: "good", next: "t2"}
	c := newClient(t, ts.opts(srv))
	ctx := ctxT(t)
	ev := liveEvents(t, ctx, c, 3)
	srv.SetToken(t, "t2")
	srv.CloseAll(t, 4401)
	ev.mu.Lock()
	n := len(ev.data)
	ev.mu.Unlock()
	ev.waitFor(t, "events after the refresh", func(r *recorder) bool { return len(r.data) >= n+3 })
	if tok, err := secret(t, ctx, c); err != nil || tok != "t2" {
		t.Fatalf("secret = %q, %v", tok, err)
	}
	r := ts.refreshes()
	var ce *trpcws.ClosedError
	if len(r) != 1 || r[0].CloseCode != 4401 || !errors.As(r[0].Err, &ce) {
		t.Fatalf("refreshes: %+v", r)
	}
	ev.mu.Lock()
	consecutive(t, ev.trackedIDs())
	ev.mu.Unlock()
}

func TestRefreshAuthRejectedParams(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	srv.Set(t, true, false)
	ts := &tokenSource{token: "stale", next: "good"}
	c := newClient(t, ts.opts(srv))
	ctx := ctxT(t)
	// createContext refuses the first socket; the refresh fixes it.
	if tok, err := secret(t, ctx, c); err != nil || tok != "good" {
		t.Fatalf("secret = %q, %v", tok, err)
	}
	if r := ts.refreshes(); len(r) != 1 || !isUnauthorized(r[0].Err) {
		t.Fatalf("refreshes: %+v", r)
	}
}

func TestRefreshAuthRetriedCallRefusedAgain(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	ts := &tokenSource{token: "good", next: "still-wrong"}
	c := newClient(t, ts.opts(srv))
	ctx := ctxT(t)
	srv.SetToken(t, "t2")
	if _, err := secret(t, ctx, c); !isUnauthorized(err) {
		t.Fatalf("err = %v, want UNAUTHORIZED", err)
	}
	if r := ts.refreshes(); len(r) != 1 {
		t.Fatalf("%d refreshes, want 1", len(r))
	}
}

func TestRefreshAuthFails(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	errDown := errors.New("auth server down")
	ts := &tokenSource{token: "good", fail: errDown}
	var mu sync.Mutex
	var reported []error
	o := ts.opts(srv)
	o.OnError = func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() }
	c := newClient(t, o)
	ctx := ctxT(t)
	srv.SetToken(t, "t2")
	_, err := secret(t, ctx, c)
	var are *trpcws.AuthRefreshError
	if !errors.As(err, &are) || !errors.Is(err, errDown) || !isUnauthorized(are.Reason) {
		t.Fatalf("err = %v, want an AuthRefreshError with the refresh error and UNAUTHORIZED", err)
	}
	// OnError runs on the callbacks' goroutine: it may come after the call's error.
	waitUntil(t, "OnError", func() bool { mu.Lock(); defer mu.Unlock(); return len(reported) > 0 })
	mu.Lock()
	defer mu.Unlock()
	if len(reported) != 1 || !errors.Is(reported[0], errDown) {
		t.Errorf("OnError got %v", reported)
	}
}

func TestRefreshAuthFailingOnCloseGivesUp(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	errDown := errors.New("auth server down")
	ts := &tokenSource{token: "good", fail: errDown}
	o := ts.opts(srv)
	o.Retry.MaxAttempts = 3
	c := newClient(t, o)
	ctx := ctxT(t)
	rec := liveEvents(t, ctx, c, 2)
	srv.CloseAll(t, 4401)
	rec.waitFor(t, "the subscription to end", func(r *recorder) bool { return r.err != nil })
	var gu *trpcws.GaveUpError
	rec.mu.Lock()
	err := rec.err
	rec.mu.Unlock()
	if !errors.As(err, &gu) || !errors.Is(err, errDown) {
		t.Fatalf("err = %v, want GaveUpError wrapping the refresh error", err)
	}
	if n := len(ts.refreshes()); n != 3 {
		t.Errorf("%d refreshes, want 3 (MaxAttempts)", n)
	}
	if st := srv.Stats(t); st.TotalConnections != 1 {
		t.Errorf("%d connections: dialled without fresh credentials", st.TotalConnections)
	}
}

func TestRefreshAuthMutationOptIn(t *testing.T) {
	t.Parallel()
	for _, retry := range []bool{false, true} {
		t.Run(map[bool]string{false: "default", true: "retry"}[retry], func(t *testing.T) {
			t.Parallel()
			srv := testserver.Start(t, testserver.Options{})
			ts := &tokenSource{token: "good", next: "t2"}
			o := ts.opts(srv)
			o.RefreshAuthRetryMutations = retry
			c := newClient(t, o)
			ctx := ctxT(t)
			srv.SetToken(t, "t2")
			_, err := c.Mutation(ctx, "secretAdd", nil)
			if retry && err != nil || !retry && !isUnauthorized(err) {
				t.Fatalf("secretAdd: %v", err)
			}
			// Without the retry the error comes back while the refresh runs.
			waitUntil(t, "the refresh", func() bool { return len(ts.refreshes()) > 0 })
			if n := len(ts.refreshes()); n != 1 {
				t.Fatalf("%d refreshes", n)
			}
			want := 0
			if retry {
				want = 1
			}
			if got := srv.Stats(t).SecretMutations; got != want {
				t.Errorf("secretAdd ran %d times, want %d", got, want)
			}
		})
	}
}

func TestRefreshAuthOptionsChecked(t *testing.T) {
	t.Parallel()
	_, err := trpcws.NewClient(trpcws.Options{URL: "ws://127.0.0.1:1", RefreshAuthCloseCodes: []int{4401, 99}})
	if err == nil {
		t.Fatal("a close code of 99 was accepted")
	}
}
