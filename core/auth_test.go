package core

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// The auth refresh (Config.RefreshAuth), with the fake clock.

func unauthorized(id int64) string {
	return fmt.Sprintf(`{"id":%d,"error":{"message":"token expired","code":-32001,"data":{"code":"UNAUTHORIZED","httpStatus":401}}}`, id)
}

func result(id int64, payload string) string {
	return fmt.Sprintf(`{"id":%d,"result":{"type":"data","data":%s}}`, id, payload)
}

// refreshes returns every OutRefreshAuth so far.
func (h *harness) refreshes() []Output {
	var s []Output
	for _, o := range h.outs {
		if o.Kind == OutRefreshAuth {
			s = append(s, o)
		}
	}
	return s
}

// lastRefresh is the only or latest OutRefreshAuth, failing without one.
func (h *harness) lastRefresh() Output {
	h.t.Helper()
	r := h.refreshes()
	if len(r) == 0 {
		h.t.Fatal("no OutRefreshAuth")
	}
	return r[len(r)-1]
}

// refreshed answers the latest OutRefreshAuth.
func (h *harness) refreshed(err error) {
	h.t.Helper()
	h.c.AuthRefreshed(h.now, h.lastRefresh().Attempt, err)
	h.drain()
}

func authCfg() Config { return Config{RefreshAuth: true} }

var errRefresh = errors.New("refresh endpoint down")

func isUnauthorized(o Output) bool {
	var te *TRPCError
	return o.Kind == OutError && errors.As(o.Err, &te) && te.Code == "UNAUTHORIZED"
}

func TestAuthOffUnauthorizedReachesCaller(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{})
	a := h.query("secret")
	h.recv(s1, unauthorized(a))
	if !isUnauthorized(h.outcome(a)) {
		t.Fatalf("a: %s", render(h.outcome(a)))
	}
	h.lose(s1, 4401)
	h.advance(10)
	if len(h.refreshes()) != 0 || len(h.dials()) != 2 {
		t.Fatalf("refreshes %d, dials %v", len(h.refreshes()), h.dials())
	}
}

func TestAuthQueryRetriedOnNewSocket(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, authCfg())
	slow := h.query("slow")
	a := h.query("secret")
	h.takeFrames(s1)
	h.recv(s1, unauthorized(a))
	if !h.pending(a) {
		t.Fatalf("a ended: %s", render(h.outcome(a)))
	}
	r := h.lastRefresh()
	if r.Code != 0 || !isUnauthorized(Output{Kind: OutError, Err: r.Err}) {
		t.Fatalf("refresh reason %v code %d", r.Err, r.Code)
	}
	b := h.query("later") // made while refreshing: waits for the new socket
	eq(t, "nothing more on the old socket", h.takeFrames(s1), nil)
	if len(h.dials()) != 1 {
		t.Fatalf("dialled before the refresh resolved: %v", h.dials())
	}

	h.refreshed(nil)
	s2 := h.lastDial()
	if s2 == s1 {
		t.Fatal("no new socket")
	}
	if _, closed := h.closed[s1]; closed {
		t.Fatal("old socket closed before the new one opened")
	}
	h.openParams(s2, `{"token":"fresh"}`)
	eq(t, "on the new socket", h.takeFrames(s2), []string{
		`{"method":"connectionParams","data":{"token":"fresh"}}`,
		batch(q(a, "secret"), q(b, "later")),
	})
	if _, closed := h.closed[s1]; closed {
		t.Fatal("old socket closed with a call in flight")
	}
	h.recv(s1, result(slow, `"slow"`)) // in flight on the old socket: finishes there
	if o := h.outcome(slow); o.Kind != OutResult {
		t.Fatalf("slow: %s", render(o))
	}
	if o, closed := h.closed[s1]; !closed || o.Code != CloseNormal {
		t.Fatalf("old socket not closed once drained: %v", h.closed)
	}
	h.recv(s2, result(a, `1`))
	h.recv(s2, result(b, `2`))
	if h.outcome(a).Kind != OutResult || h.outcome(b).Kind != OutResult {
		t.Fatalf("a %s, b %s", render(h.outcome(a)), render(h.outcome(b)))
	}
	if n := len(h.refreshes()); n != 1 {
		t.Fatalf("%d refreshes", n)
	}
}

func TestAuthConcurrentFailuresOneRefresh(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, authCfg())
	a := h.query("a")
	b := h.query("b")
	c := h.query("c")
	h.recv(s1, unauthorized(a))
	h.recv(s1, unauthorized(b))
	h.refreshed(nil)
	// c fails on the old socket after the refresh: that refresh answers it.
	h.recv(s1, unauthorized(c))
	s2 := h.connect()
	if n := len(h.refreshes()); n != 1 {
		t.Fatalf("%d refreshes for three failures", n)
	}
	eq(t, "all three retried", h.frames(s2), []string{batch(q(a, "a"), q(b, "b"), q(c, "c"))})
}

func TestAuthRetriedOnceThenCaller(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, authCfg())
	a := h.query("a")
	h.recv(s1, unauthorized(a))
	h.refreshed(nil)
	s2 := h.connect()
	h.recv(s2, unauthorized(a))
	if !isUnauthorized(h.outcome(a)) {
		t.Fatalf("a: %s", render(h.outcome(a)))
	}
	if n := len(h.refreshes()); n != 1 {
		t.Fatalf("a second refresh for the retried call: %d", n)
	}
}

func TestAuthMutationOptIn(t *testing.T) {
	t.Parallel()
	for _, retry := range []bool{false, true} {
		t.Run(fmt.Sprint(retry), func(t *testing.T) {
			t.Parallel()
			h, s1 := connected(t, Config{RefreshAuth: true, RefreshRetryMutations: retry})
			m := h.start(Mutation, "add", "")
			h.drain()
			h.recv(s1, unauthorized(m))
			if len(h.refreshes()) != 1 {
				t.Fatal("a mutation's UNAUTHORIZED started no refresh")
			}
			if !retry {
				if !isUnauthorized(h.outcome(m)) {
					t.Fatalf("m: %s", render(h.outcome(m)))
				}
				return
			}
			h.refreshed(nil)
			s2 := h.connect()
			eq(t, "retried", h.frames(s2), []string{fmt.Sprintf(`{"id":%d,"method":"mutation","params":{"path":"add"}}`, m)})
		})
	}
}

func TestAuthSubscriptionResumesAcrossTheMove(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, authCfg())
	ev := h.subscribe("events")
	h.recv(s1, started(ev))
	h.recv(s1, tracked(ev, "1", `1`))
	a := h.query("secret")
	h.recv(s1, unauthorized(a))
	h.refreshed(nil)
	s2 := h.connect()
	eq(t, "new socket", h.takeFrames(s2), []string{subAfter(ev, "events", "1"), q(a, "secret")})
	h.recv(s1, tracked(ev, "2", `2`)) // still on the old socket until confirmed
	h.recv(s2, started(ev))
	h.recv(s2, tracked(ev, "2", `2`)) // the overlap: not delivered twice
	h.recv(s2, tracked(ev, "3", `3`))
	eq(t, "events", h.events(ev), []string{`{"id":"1","data":1}`, `{"id":"2","data":2}`, `{"id":"3","data":3}`})
	if n := len(h.of(ev, OutStarted)); n != 1 {
		t.Fatalf("%d started", n)
	}
	contains(t, "stopped on the old socket", h.takeFrames(s1), stop(ev))
}

func TestAuthUnauthorizedSubscriptionRetriedOnce(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, authCfg())
	ev := h.subscribe("secretEvents")
	h.recv(s1, started(ev))
	h.recv(s1, tracked(ev, "4", `4`))
	h.recv(s1, unauthorized(ev))
	if !h.pending(ev) {
		t.Fatalf("ended: %s", render(h.outcome(ev)))
	}
	h.refreshed(nil)
	s2 := h.connect()
	frames := h.takeFrames(s2)
	if len(frames) != 1 {
		t.Fatalf("frames %v", frames)
	}
	var w int64
	if _, err := fmt.Sscanf(frames[0], `{"id":%d,`, &w); err != nil || !strings.Contains(frames[0], `"path":"secretEvents","lastEventId":"4"`) {
		t.Fatalf("resent as %s (%v)", frames[0], err)
	}
	h.recv(s2, started(w))
	if n := len(h.of(ev, OutStarted)); n != 1 {
		t.Fatalf("%d started", n)
	}
	h.recv(s2, unauthorized(w))
	if !isUnauthorized(h.outcome(ev)) {
		t.Fatalf("second failure: %s", render(h.outcome(ev)))
	}
}

func TestAuthNoResubscribeEndsWithTheError(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, authCfg())
	once := h.startOnce("once")
	h.recv(s1, unauthorized(once))
	if !isUnauthorized(h.outcome(once)) {
		t.Fatalf("once: %s", render(h.outcome(once)))
	}
}

func TestAuthCloseCodeRefreshesBeforeReconnecting(t *testing.T) {
	t.Parallel()
	for _, code := range []int{4401, 4403, 1008} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			t.Parallel()
			h, s1 := connected(t, authCfg())
			ev := h.subscribe("events")
			h.recv(s1, started(ev))
			h.recv(s1, tracked(ev, "7", `7`))
			h.lose(s1, code)
			if got := h.dials(); len(got) != 1 {
				t.Fatalf("dialled before refreshing: %v", got)
			}
			r := h.lastRefresh()
			var ce *ClosedError
			if r.Code != code || !errors.As(r.Err, &ce) || ce.Code != code {
				t.Fatalf("reason %v code %d", r.Err, r.Code)
			}
			h.advance(60_000)
			if got := h.dials(); len(got) != 1 {
				t.Fatalf("dialled while refreshing: %v", got)
			}
			h.refreshed(nil)
			s2 := h.connect()
			eq(t, "resumed", h.frames(s2), []string{subAfter(ev, "events", "7")})
		})
	}
}

func TestAuthCloseCodesConfigurable(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{RefreshAuth: true, AuthCloseCodes: []int{4000}})
	h.subscribe("events")
	h.lose(s1, 4401)
	if len(h.refreshes()) != 0 {
		t.Fatal("4401 refreshed though not listed")
	}
	s2 := h.connect()
	h.lose(s2, 4000)
	if len(h.refreshes()) != 1 {
		t.Fatal("4000 did not refresh")
	}
	h2, t1 := connected(t, Config{RefreshAuth: true, AuthCloseCodes: []int{}})
	h2.subscribe("events")
	h2.lose(t1, 4401)
	if len(h2.refreshes()) != 0 {
		t.Fatal("an empty list still refreshed")
	}
}

func TestAuthRejectedParamsRefresh(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, authCfg())
	ev := h.subscribe("events")
	// createContext threw: an error without id, then a close without a code.
	h.recv(s1, `{"id":null,"error":{"message":"bad token","code":-32001,"data":{"code":"UNAUTHORIZED","httpStatus":401}}}`)
	h.lose(s1, 1005)
	if len(h.refreshes()) != 1 || len(h.dials()) != 1 {
		t.Fatalf("refreshes %d, dials %v", len(h.refreshes()), h.dials())
	}
	h.refreshed(nil)
	s2 := h.connect()
	eq(t, "sent again", h.frames(s2), []string{sub(ev, "events")})
}

func TestAuthRefreshFailureCountsAsAttempt(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{RefreshAuth: true, MaxAttempts: 3})
	ev := h.subscribe("events")
	h.lose(s1, 4401)
	h.refreshed(errRefresh)
	var are *AuthRefreshError
	if o := lastState(h); !errors.As(o.Err, &are) || !errors.Is(o.Err, errRefresh) {
		t.Fatalf("state error %v", o.Err)
	}
	if d := h.deadlineIn(); d != ExponentialBackoff(1) {
		t.Fatalf("next attempt in %d ms, want the backoff of attempt 1", d)
	}
	h.advance(ExponentialBackoff(1))
	if n := len(h.refreshes()); n != 2 {
		t.Fatalf("%d refreshes after the backoff", n)
	}
	if got := h.dials(); len(got) != 1 {
		t.Fatalf("dialled without credentials: %v", got)
	}
	h.refreshed(errRefresh)
	h.advance(ExponentialBackoff(2))
	h.refreshed(errRefresh)
	var gu *GaveUpError
	if o := h.outcome(ev); !errors.As(o.Err, &gu) || !errors.Is(o.Err, errRefresh) {
		t.Fatalf("ev: %s", render(o))
	}
	h.advance(120_000)
	if n := len(h.refreshes()); n != 3 {
		t.Fatalf("%d refreshes; want 3 (MaxAttempts), then none", n)
	}
}

func TestAuthRefusedAgainBacksOff(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{RefreshAuth: true, MaxAttempts: 2})
	ev := h.subscribe("events")
	h.lose(s1, 4401)
	h.refreshed(nil) // the first refusal: at once
	s2 := h.connect()
	h.lose(s2, 4401) // refused again before anything was answered
	if n := len(h.refreshes()); n != 1 {
		t.Fatalf("refreshed again at once: %d", n)
	}
	if d := h.deadlineIn(); d != ExponentialBackoff(s2AttemptAfter(h)) || d <= 0 {
		t.Fatalf("next in %d ms", d)
	}
	h.advance(h.deadlineIn())
	h.refreshed(nil)
	s3 := h.connect()
	h.lose(s3, 4401)
	var gu *GaveUpError
	if o := h.outcome(ev); !errors.As(o.Err, &gu) {
		t.Fatalf("ev: %s", render(o))
	}
}

// s2AttemptAfter is the attempt index the retry loop scheduled last.
func s2AttemptAfter(h *harness) int {
	a := 0
	for _, o := range h.outs {
		if o.Kind == OutNote && o.Note == NoteAttempt {
			a = o.Attempt
		}
	}
	return max(a, 1)
}

func TestAuthProvenSocketRefusedLaterRefreshesAtOnce(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, authCfg())
	ev := h.subscribe("events")
	h.lose(s1, 4401)
	h.refreshed(nil)
	s2 := h.connect()
	h.recv(s2, started(ev)) // the fresh credentials work
	h.advance(3_600_000)
	h.lose(s2, 4401)
	if n := len(h.refreshes()); n != 2 {
		t.Fatalf("%d refreshes; a later expiry refreshes at once", n)
	}
}

func TestAuthCallRefreshFailureFailsHeldCalls(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, authCfg())
	a := h.query("a")
	h.recv(s1, unauthorized(a))
	b := h.query("b")
	h.takeFrames(s1)
	h.refreshed(errRefresh)
	var are *AuthRefreshError
	if o := h.outcome(a); !errors.As(o.Err, &are) || !errors.Is(o.Err, errRefresh) || !isUnauthorized(Output{Kind: OutError, Err: are.Reason}) {
		t.Fatalf("a: %v", o.Err)
	}
	eq(t, "b leaves on the old socket", h.takeFrames(s1), []string{q(b, "b")})
	if len(h.dials()) != 1 {
		t.Fatalf("dials %v", h.dials())
	}
}

func TestAuthServerMoveDuringRefreshOneDial(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, authCfg())
	ev := h.subscribe("events")
	a := h.query("a")
	h.recv(s1, unauthorized(a))
	h.recv(s1, `{"id":null,"method":"reconnect"}`)
	if len(h.dials()) != 1 {
		t.Fatalf("the server's move dialled before the refresh: %v", h.dials())
	}
	h.refreshed(nil)
	if len(h.dials()) != 2 {
		t.Fatalf("dials %v", h.dials())
	}
	s2 := h.connect()
	eq(t, "new socket", h.frames(s2), []string{sub(ev, "events"), q(a, "a")})
}

func TestAuthRefreshDuringServerMove(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, authCfg())
	a := h.query("a")
	h.recv(s1, `{"id":null,"method":"reconnect"}`) // dials s2
	s2 := h.lastDial()
	h.recv(s1, unauthorized(a))
	h.refreshed(nil)
	// s2 may resolve its connection params before the refresh: a new
	// socket takes its place.
	if o, ok := h.closed[s2]; !ok || o.Code != CloseNormal {
		t.Fatalf("s2 not given up: %v", h.closed)
	}
	s3 := h.connect()
	if len(h.dials()) != 3 || s3 == s2 {
		t.Fatalf("dials %v", h.dials())
	}
	h.lose(s2, CloseNormal)
	eq(t, "a on the new socket", h.frames(s3), []string{q(a, "a")})
	if h.pending(a) != true || h.c.State() != StatePending {
		t.Fatalf("a %v, state %v", h.pending(a), h.c.State())
	}
}

func TestAuthKeepAliveLossWhileRefreshing(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{RefreshAuth: true, KeepAlive: true})
	ev := h.subscribe("events")
	a := h.query("a")
	h.recv(s1, unauthorized(a))
	h.advance(DefaultKeepAliveIntervalMs + DefaultPongTimeoutMs) // no PONG: s1 dropped
	if o, ok := h.closed[s1]; !ok || o.Code != CloseNoPong {
		t.Fatalf("s1 not dropped: %v", h.closed)
	}
	if len(h.dials()) != 1 {
		t.Fatalf("dialled with the old credentials: %v", h.dials())
	}
	h.refreshed(nil)
	s2 := h.connect()
	eq(t, "both on the new socket", h.frames(s2), []string{sub(ev, "events"), q(a, "a")})
}

func TestAuthLazyRefusedRefreshesOnNextCall(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{RefreshAuth: true, Lazy: true})
	a := h.query("a")
	s1 := h.connect()
	h.recv(s1, result(a, `1`))
	h.lose(s1, 4401)
	h.advance(60_000)
	if len(h.refreshes()) != 0 || len(h.dials()) != 1 {
		t.Fatalf("lazy and idle: refreshes %d dials %v", len(h.refreshes()), h.dials())
	}
	b := h.query("b")
	if len(h.refreshes()) != 1 || len(h.dials()) != 1 {
		t.Fatalf("refreshes %d dials %v", len(h.refreshes()), h.dials())
	}
	h.refreshed(nil)
	s2 := h.connect()
	eq(t, "b", h.frames(s2), []string{q(b, "b")})
}

func TestAuthLazyCloseWaitsForHeldCalls(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{RefreshAuth: true, Lazy: true, LazyCloseMs: 100})
	a := h.query("a")
	s1 := h.connect()
	h.recv(s1, unauthorized(a))
	h.advance(10_000)
	if _, closed := h.closed[s1]; closed {
		t.Fatal("lazy close while a call waited for the refresh")
	}
	h.refreshed(nil)
	s2 := h.connect()
	h.recv(s2, result(a, `1`))
	h.advance(200)
	if _, closed := h.closed[s2]; !closed {
		t.Fatal("lazy close did not come once idle")
	}
	if _, closed := h.closed[s1]; !closed {
		t.Fatal("old socket left open")
	}
}

func TestAuthCloseDuringRefresh(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, authCfg())
	a := h.query("a")
	h.recv(s1, unauthorized(a))
	h.close()
	var ce *ClosedError
	if o := h.outcome(a); !errors.As(o.Err, &ce) {
		t.Fatalf("a: %s", render(o))
	}
	h.refreshed(nil) // late: ignored
	if len(h.dials()) != 1 {
		t.Fatalf("dialled after Close: %v", h.dials())
	}
}

func TestAuthAskRetryBeforeRefresh(t *testing.T) {
	t.Parallel()
	h := newHarnessRetry(t, authCfg(), func(int) int64 { return 0 })
	s1 := h.connect()
	h.subscribe("events")
	h.take()
	h.lose(s1, 4401)
	var kinds []string
	for _, o := range h.take() {
		if o.Kind == OutRetry || o.Kind == OutRefreshAuth || o.Kind == OutDial {
			kinds = append(kinds, kindName(o.Kind))
		}
	}
	eq(t, "asked, then refreshing", kinds, []string{"retry", "refreshAuth"})
}

func TestAuthAnswerForAnotherRefreshIgnored(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, authCfg())
	a := h.query("a")
	h.recv(s1, unauthorized(a))
	r := h.lastRefresh()
	h.c.AuthRefreshed(h.now, r.Attempt+1, nil)
	h.drain()
	if len(h.dials()) != 1 || !h.pending(a) {
		t.Fatal("a wrong answer was taken")
	}
	h.refreshed(nil)
	if len(h.dials()) != 2 {
		t.Fatal("the right answer was not")
	}
}

// MaxConnectionAgeMs coming due while a refresh runs makes no socket with
// the old credentials: the one dial follows the refresh.
func TestAuthMaxAgeDuringRefreshOneDial(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{RefreshAuth: true, MaxConnectionAgeMs: 1000})
	ev := h.subscribe("events")
	h.recv(s1, started(ev))
	a := h.query("a")
	h.recv(s1, unauthorized(a))
	h.advance(1000)
	if len(h.dials()) != 1 {
		t.Fatalf("max age dialled before the refresh: %v", h.dials())
	}
	h.refreshed(nil)
	if len(h.dials()) != 2 {
		t.Fatalf("dials %v", h.dials())
	}
	s2 := h.connect()
	eq(t, "new socket", h.takeFrames(s2), []string{sub(ev, "events"), q(a, "a")})
}

// A call refused on the old socket after a max-age move refreshes and
// moves again: the socket the move opened has the old credentials too.
func TestAuthRefreshAfterMaxAgeMove(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{RefreshAuth: true, MaxConnectionAgeMs: 1000})
	a := h.query("a")
	h.advance(1000)
	s2 := h.lastDial()
	if s2 == s1 {
		t.Fatal("no max-age move")
	}
	h.open(s2)
	h.recv(s1, unauthorized(a)) // in flight on the old socket: fails there
	if !h.pending(a) || len(h.refreshes()) != 1 {
		t.Fatalf("pending %v, refreshes %d", h.pending(a), len(h.refreshes()))
	}
	h.refreshed(nil)
	s3 := h.lastDial()
	if s3 == s2 {
		t.Fatal("no move after the refresh")
	}
	eq(t, "nothing on the socket the max-age move opened", h.takeFrames(s2), nil)
	h.open(s3)
	eq(t, "a on the socket after the refresh", h.takeFrames(s3), []string{q(a, "a")})
	h.recv(s3, result(a, `1`))
	if h.outcome(a).Kind != OutResult {
		t.Fatalf("a: %s", render(h.outcome(a)))
	}
	if _, closed := h.closed[s2]; !closed {
		t.Fatal("the max-age socket stays open")
	}
}

// A query and a mutation in flight on a socket whose params the server
// refused (it ran neither): the query waits for the socket after the
// refresh, once; the mutation fails, unless RefreshRetryMutations.
func TestAuthRefusedSocketRetriesItsQueries(t *testing.T) {
	t.Parallel()
	for _, mutations := range []bool{false, true} {
		cfg := authCfg()
		cfg.RefreshRetryMutations = mutations
		h, s1 := connected(t, cfg)
		qa := h.query("a")
		mb := h.start(Mutation, "b", "")
		h.drain()
		h.take()
		h.recv(s1, `{"id":null,"error":{"message":"bad token","code":-32001,"data":{"code":"UNAUTHORIZED","httpStatus":401}}}`)
		h.lose(s1, 1005)
		if !h.pending(qa) {
			t.Fatalf("mutations %v: the query failed with %s, want it kept for the refresh", mutations, render(h.outcome(qa)))
		}
		if !h.pending(mb) == mutations {
			t.Fatalf("mutations %v: mutation settled = %v", mutations, !h.pending(mb))
		}
		h.refreshed(nil)
		s2 := h.connect()
		want := []string{q(qa, "a")}
		if mutations { // one batch frame
			want = []string{"[" + q(qa, "a") + "," + fmt.Sprintf(`{"id":%d,"method":"mutation","params":{"path":"b"}}`, mb) + "]"}
		}
		eq(t, "sent again after the refresh", h.frames(s2), want)
		// Refused again: now they go to their callers.
		h.recv(s2, `{"id":null,"error":{"message":"bad token","code":-32001,"data":{"code":"UNAUTHORIZED","httpStatus":401}}}`)
		h.lose(s2, 1005)
		if !!h.pending(qa) {
			t.Fatalf("mutations %v: the query was retried twice", mutations)
		}
	}
}
