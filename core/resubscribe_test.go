package core

import (
	"errors"
	"testing"
)

// startOnce starts a subscription with Call.NoResubscribe and drains.
func (h *harness) startOnce(path string) int64 {
	h.t.Helper()
	id := h.c.StartCall(h.now, Call{Method: Subscription, Path: path, NoResubscribe: true})
	h.methods[id] = Subscription
	h.drain()
	return id
}

func TestNoResubscribeEndsOnLostSocket(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{})
	once := h.startOnce("once")
	again := h.subscribe("again")
	h.recv(s1, started(once))
	h.recv(s1, started(again))
	h.recv(s1, tracked(once, "1", `1`))
	h.take()

	h.lose(s1, 1006)
	if o := h.outcome(once); o.Kind != OutError || !errors.Is(o.Err, ErrNotResubscribed) {
		t.Fatalf("once after the loss: %s", render(o))
	}
	if !h.pending(again) {
		t.Fatal("the resubscribing one ended too")
	}
	s2 := h.connect()
	eq(t, "only the resubscribing one is sent again", h.frames(s2), []string{sub(again, "again")})
}

func TestNoResubscribeAloneLazyDoesNotReconnect(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{Lazy: true, LazyCloseMs: 1000})
	once := h.startOnce("once")
	s1 := h.connect()
	h.recv(s1, started(once))
	h.lose(s1, 1006)
	if o := h.outcome(once); !errors.Is(o.Err, ErrNotResubscribed) {
		t.Fatalf("once: %s", render(o))
	}
	h.advance(60_000)
	if got := h.dials(); len(got) != 1 {
		t.Errorf("a lazy client with nothing left dialled again: %v", got)
	}
}

func TestNoResubscribeQueuedIsSentOnTheNextSocket(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{})
	once := h.startOnce("once") // never sent yet: the first send is no resubscribe
	h.lose(h.lastDial(), 1006)
	s := h.connect()
	eq(t, "sent once", h.frames(s), []string{sub(once, "once")})
	if !h.pending(once) {
		t.Fatal("ended before it was ever sent")
	}
}

func TestNoResubscribeEndsOnServerMove(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{})
	once := h.startOnce("once")
	again := h.subscribe("again")
	h.recv(s1, started(once))
	h.recv(s1, started(again))
	h.take()
	h.takeFrames(s1)

	h.recv(s1, reconnectFrame)
	s2 := h.lastDial()
	if s2 == s1 {
		t.Fatal("no new socket dialled")
	}
	if !h.pending(once) {
		t.Fatal("ended before the new socket opened")
	}
	h.open(s2)
	eq(t, "new socket frames", h.takeFrames(s2), []string{sub(again, "again")})
	eq(t, "stopped on the old socket", h.takeFrames(s1), []string{stop(once)})
	if o := h.outcome(once); o.Kind != OutError || !errors.Is(o.Err, ErrNotResubscribed) {
		t.Fatalf("once after the move: %s", render(o))
	}
	// The move completes as usual; the old socket drains and closes.
	h.recv(s2, started(again))
	h.recv(s1, "PONG")
	if o, closed := h.closed[s1]; !closed || o.Code != 1000 {
		t.Fatalf("old socket not closed once drained: %+v", o)
	}
	if !h.pending(again) {
		t.Fatal("again ended")
	}
}

func TestNoResubscribeAdoptedOnGoneSocketEnds(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{})
	id := h.c.StartCall(h.now, Call{Method: Subscription, Path: "once", SentAs: 7, Started: true, NoResubscribe: true})
	h.methods[id] = Subscription
	h.drain()
	if o := h.outcome(id); !errors.Is(o.Err, ErrNotResubscribed) {
		t.Fatalf("adopted on no socket: %s", render(o))
	}
}

func TestStoppedSubscriptionCompletes(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{})
	a := h.subscribe("a")
	h.recv(s1, started(a))
	h.recv(s1, stopped(a))
	if o := h.outcome(a); o.Kind != OutComplete {
		t.Fatalf("stopped: %s", render(o))
	}
	h.lose(s1, 1006)
	s2 := h.connect()
	eq(t, "a completed subscription is not sent again", h.frames(s2), nil)
}
