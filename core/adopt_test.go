package core

import (
	"errors"
	"testing"
)

// Adoption: the driver opened socket 1 and sent calls on it before it
// created the client (Config.Adopt, Call.SentAs).

// sent registers a call the driver already sent under wire id w.
func (h *harness) alreadySent(m Method, path string, w int64) int64 {
	h.t.Helper()
	id := h.c.StartCall(h.now, Call{Method: m, Path: path, SentAs: w})
	h.methods[id] = m
	h.sentIDs[w] = 1
	h.drain()
	return id
}

func TestAdoptTakesTheOpenSocket(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{Adopt: true, AdoptedWireIDs: 4, Events: true})
	eq(t, "New", h.takeKinds(), []string{"note open 1", "state pending"})
	a := h.alreadySent(Query, "a", 2) // wire ids 1 and 3 were answered before the client existed
	b := h.alreadySent(Mutation, "b", 4)
	eq(t, "adopting sends nothing", h.frames(1), nil)
	h.recv(1, data(4, `"B"`))
	h.recv(1, data(2, `"A"`))
	eq(t, "answers", h.takeKinds(), []string{render(Output{Kind: OutResult, ID: b, Data: []byte(`"B"`)}),
		render(Output{Kind: OutResult, ID: a, Data: []byte(`"A"`)})})
	c := h.query("c")
	eq(t, "the next call takes the next wire id", h.frames(1), []string{q(5, "c")})
	if c != 5 {
		t.Errorf("core-chosen id %d, want 5", c)
	}
	if s := h.c.Stats(); s.SocketsOpened != 1 || s.Reconnects != 0 || s.InFlight != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestAdoptedCallsFailWithTheirSocket(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{Adopt: true})
	h.take()
	a := h.alreadySent(Query, "a", 1)
	h.lose(1, 1006)
	outs := h.take()
	var failed bool
	for _, o := range outs {
		var ce *ClosedError
		if o.Kind == OutError && o.ID == a && errors.As(o.Err, &ce) && ce.Code == 1006 {
			failed = true
		}
	}
	if !failed {
		t.Fatalf("adopted call did not fail with the socket: %v", renderAll(outs))
	}
	eq(t, "reconnects like any lost socket", h.states(), []string{"pending", "connecting: WebSocket closed"})
	// A call claimed sent after its socket is gone is failed, never sent again.
	b := h.alreadySent(Query, "b", 2)
	var ce *ClosedError
	if o := h.final[b]; o.Kind != OutError || !errors.As(o.Err, &ce) {
		t.Errorf("SentAs without a socket: %+v", o)
	}
	h.advance(0)
	h.open(2)
	eq(t, "nothing re-sent", h.frames(2), nil)
}

func TestAdoptLazyClosesWhenIdle(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{Adopt: true, Lazy: true, LazyCloseMs: 100})
	a := h.alreadySent(Query, "a", 1)
	h.advance(150)
	if _, closed := h.closed[1]; closed {
		t.Fatal("lazy close while an adopted call awaits its answer")
	}
	h.recv(1, data(1, `1`))
	if o := h.final[a]; o.Kind != OutResult {
		t.Fatalf("adopted call: %+v", o)
	}
	h.advance(100)
	if o, closed := h.closed[1]; !closed || o.Code != CloseNormal {
		t.Fatalf("adopted lazy socket not closed once idle: %v", renderAll(h.outs))
	}
}

func TestAdoptedCallTimesOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{Adopt: true, RequestTimeoutMs: 50})
	a := h.alreadySent(Query, "a", 1)
	h.advance(50)
	var te *TimeoutError
	if o := h.final[a]; o.Kind != OutError || !errors.As(o.Err, &te) {
		t.Fatalf("adopted call past its timeout: %+v", o)
	}
}

func TestSentAsSubscriptionIsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{Adopt: true})
	s := h.alreadySent(Subscription, "s", 1)
	if o := h.final[s]; o.Kind != OutError {
		t.Fatalf("subscription claimed sent: %+v", o)
	}
}

func TestAdoptStartsAboveTheDriversWireIDs(t *testing.T) {
	t.Parallel()
	// Wire ids 1..7 were used; none is still awaited (7's caller gave up).
	h := newHarness(t, Config{Adopt: true, AdoptedWireIDs: 7})
	a := h.query("a")
	eq(t, "frames", h.frames(1), []string{q(8, "a")})
	h.recv(1, data(7, `"late"`)) // the abandoned call's late answer
	if _, done := h.final[a]; done {
		t.Fatal("a late answer to an abandoned wire id was taken for a new call")
	}
}
