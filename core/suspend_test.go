package core

import (
	"errors"
	"fmt"
	"testing"
)

// suspend and resume as a driver would on pagehide and pageshow.
func (h *harness) suspend() {
	h.t.Helper()
	h.c.Suspend(h.now)
	h.drain()
}

// resume is Wake, which ends a suspension.
func (h *harness) resume() {
	h.t.Helper()
	h.c.Wake(h.now)
	h.drain()
}

// Suspend closes the socket with CloseNormal, fails the query in flight and
// keeps the subscription; calls made meanwhile wait; Resume dials at once
// and sends the subscription again after its last event, with the calls.
func TestSuspendResumeSubscription(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{})
	a := h.subscribe("a")
	h.recv(s1, started(a))
	h.recv(s1, tracked(a, "1", `1`))
	h.recv(s1, tracked(a, "2", `2`))
	inFlight := h.query("q")
	h.take()
	h.suspend()
	eq(t, "suspend", h.takeKinds(), []string{"closeSocket 1 1000", fmt.Sprintf("error %d closed: WebSocket closed", inFlight), "state idle"})
	var ce *ClosedError
	if o := h.outcome(inFlight); !errors.As(o.Err, &ce) || ce.Code != CloseNormal || !errors.Is(o.Err, ErrConnectionClosed) {
		t.Fatalf("query in flight: %v", o.Err)
	}
	h.recv(s1, tracked(a, "3", `3`)) // sent before the server saw the close
	waiting := h.query("w")
	h.advance(3_600_000)
	eq(t, "while suspended", h.takeKinds(), nil)
	if d := h.deadlineIn(); d != -1 {
		t.Errorf("a timer is armed while suspended: in %d ms", d)
	}
	h.lose(s1, CloseNormal) // the socket's close event, late
	eq(t, "old socket's close", h.takeKinds(), nil)
	h.resume()
	eq(t, "resume", h.takeKinds(), []string{"state connecting", "dial 2"})
	h.open(2)
	eq(t, "sent on the new socket", h.takeFrames(2), []string{subAfter(a, "a", "2"), q(waiting, "w")})
	h.recv(2, started(a))
	h.recv(2, tracked(a, "3", `3`))
	h.recv(2, data(waiting, `"w"`))
	eq(t, "events", h.events(a), []string{`{"id":"1","data":1}`, `{"id":"2","data":2}`, `{"id":"3","data":3}`})
	eq(t, "started again, as after a reconnect", renderAll(h.of(a, OutStarted)), []string{"started 1", "started 1"})
	if o := h.outcome(waiting); o.Kind != OutResult {
		t.Fatalf("call made while suspended: %s", render(o))
	}
	eq(t, "states", h.states(), []string{"pending", "idle", "connecting", "pending"})
}

// While suspended nothing dials: not Reconnect, Offline, nor a call, nor
// time; a second Suspend does nothing. Online ends the suspension as Wake
// does; Wake on a client that is not suspended pings (keep-alive).
func TestSuspendHoldsOffEveryDial(t *testing.T) {
	t.Parallel()
	h, _ := connected(t, Config{KeepAlive: true, KeepAliveIntervalMs: 5000, PongTimeoutMs: 1000})
	h.suspend()
	h.suspend()
	eq(t, "suspend twice", h.takeKinds(), []string{"closeSocket 1 1000", "state idle"})
	h.c.Reconnect(h.now)
	h.c.Offline(h.now)
	h.drain()
	h.query("q")
	h.advance(60_000)
	eq(t, "while suspended", h.takeKinds(), nil)
	h.c.Online(h.now)
	h.drain()
	eq(t, "online", h.takeKinds(), []string{"state connecting", "dial 2"})
	h.open(2)
	h.take()
	if d := h.deadlineIn(); d != 5000 {
		t.Errorf("keep-alive on the new socket in %d ms, want 5000", d)
	}
	h.resume()
	if got := h.takeFrames(2); len(got) == 0 || got[len(got)-1] != "PING" {
		t.Errorf("Wake when not suspended: frames %q, want a PING", got)
	}
}

// Suspended in a backoff while offline: Wake ends the suspension but the
// retry loop waits for Online.
func TestSuspendOfflineWaitsForOnline(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{})
	h.subscribe("a")
	h.lose(1, 0)
	h.advance(0)
	h.lose(2, 0) // a 2 s backoff
	h.c.Offline(h.now)
	h.suspend()
	h.take()
	h.resume()
	h.advance(60_000)
	eq(t, "woken while offline", h.takeKinds(), []string{"state connecting"})
	h.c.Online(h.now)
	h.drain()
	eq(t, "online", h.takeKinds(), []string{"dial 3"})
}

// A retry loop suspended in its backoff resumes at the attempt it reached:
// no attempt is spent or refunded, so MaxAttempts still holds.
func TestSuspendKeepsRetryAttempts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{MaxAttempts: 3})
	a := h.subscribe("a")
	h.lose(1, 0) // attempt 0 fails
	h.advance(0)
	h.lose(2, 0) // attempt 1 fails: 2 s backoff
	h.take()
	h.suspend()
	eq(t, "suspend in backoff", h.takeKinds(), []string{"state idle"})
	h.advance(3_600_000)
	eq(t, "while suspended", h.takeKinds(), nil)
	h.resume()
	eq(t, "resume", h.takeKinds(), []string{"state connecting", "dial 3"})
	h.lose(3, 0) // the third failure: MaxAttempts
	var gu *GaveUpError
	if o := h.outcome(a); !errors.As(o.Err, &gu) || gu.Attempts != 3 {
		t.Fatalf("subscription: %s", render(o))
	}
}

// Suspended while the first attempt dials: the dialling socket is closed,
// its late Opened ignored, and Resume dials anew.
func TestSuspendWhileDialling(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{ConnectTimeoutMs: 1000})
	h.take()
	h.suspend()
	eq(t, "suspend", h.takeKinds(), []string{"closeSocket 1 1000", "state idle"})
	h.open(1)
	h.advance(5000)
	eq(t, "late open, connect timeout", h.takeKinds(), nil)
	h.resume()
	eq(t, "resume", h.takeKinds(), []string{"state connecting", "dial 2"})
	h.open(2)
	eq(t, "open", h.takeKinds(), []string{"state pending"})
}

// A lazy client with nothing to do stays idle on Resume; a call made while
// suspended dials on Resume, not before.
func TestSuspendLazy(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{Lazy: true, LazyCloseMs: 10_000})
	id := h.query("q")
	s1 := h.connect()
	h.recv(s1, data(id, `1`))
	h.take()
	h.suspend()
	eq(t, "suspend", h.takeKinds(), []string{"closeSocket 1 1000", "state idle"})
	h.resume()
	h.advance(60_000)
	eq(t, "nothing to do", h.takeKinds(), nil)
	h.suspend()
	w := h.query("w")
	eq(t, "call while suspended", h.takeKinds(), nil)
	h.resume()
	eq(t, "resume", h.takeKinds(), []string{"state connecting", "dial 2"})
	h.open(2)
	h.recv(2, data(w, `2`))
	h.take()
	h.advance(10_000)
	eq(t, "lazy close after resume", h.takeKinds(), []string{"closeSocket 2 1000", "state idle", "closed"})
}

// Calls made while suspended are still bound by RequestTimeoutMs and
// MaxQueued.
func TestSuspendBoundsWaitingCalls(t *testing.T) {
	t.Parallel()
	h, _ := connected(t, Config{RequestTimeoutMs: 2000, MaxQueued: 1})
	h.suspend()
	a := h.query("a")
	b := h.query("b")
	if o := h.outcome(b); !errors.Is(o.Err, ErrQueueFull) {
		t.Fatalf("second call: %s", render(o))
	}
	h.advance(2000)
	if o := h.outcome(a); !errors.Is(o.Err, ErrTimeout) {
		t.Fatalf("first call: %s", render(o))
	}
}

// Close while suspended completes the subscriptions and finishes; Resume
// afterwards dials nothing. A Close that waited for a query when Suspend
// came finishes then.
func TestSuspendAndClose(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{})
	a := h.subscribe("a")
	h.recv(s1, started(a))
	h.suspend()
	h.take()
	h.close()
	eq(t, "close", h.takeKinds(), []string{fmt.Sprintf("complete %d", a), "state idle", "closed"})
	h.resume()
	eq(t, "resume after close", h.takeKinds(), nil)

	h2, _ := connected(t, Config{})
	q1 := h2.query("q")
	h2.close()
	eq(t, "close waits", h2.takeKinds(), nil)
	h2.suspend()
	eq(t, "suspend", h2.takeKinds(), []string{"closeSocket 1 1000", "error 1 closed: WebSocket closed", "state idle", "closed"})
	_ = q1
}

// noResubscribe subscriptions end on Suspend, as on a lost socket.
func TestSuspendNoResubscribe(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{})
	a := h.c.StartCall(h.now, Call{Method: Subscription, Path: "a", NoResubscribe: true})
	h.methods[a] = Subscription
	h.drain()
	h.recv(s1, started(a))
	h.suspend()
	if o := h.outcome(a); !errors.Is(o.Err, ErrNotResubscribed) {
		t.Fatalf("subscription: %s", render(o))
	}
}

// Suspended while a server-requested move dials: both sockets close, and
// Resume dials one socket that carries the subscription after its last
// event.
func TestSuspendDuringMoveDial(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{})
	a := h.subscribe("a")
	h.recv(s1, started(a))
	h.recv(s1, tracked(a, "1", `1`))
	h.recv(s1, reconnectFrame)
	eq(t, "move", h.takeKinds(), []string{"started 1", "event 1 #1 {\"id\":\"1\",\"data\":1}", "dial 2"})
	h.suspend()
	eq(t, "suspend", h.takeKinds(), []string{"closeSocket 1 1000", "closeSocket 2 1000", "state idle"})
	h.open(2)
	h.resume()
	eq(t, "resume", h.takeKinds(), []string{"state connecting", "dial 3"})
	h.open(3)
	eq(t, "resent", h.takeFrames(3), []string{subAfter(a, "a", "1")})
}

// Suspended in the middle of a move, the subscription sent on the new
// socket and still delivering from the old one: it resumes after the last
// event delivered, from either socket, with no gap and no repeat.
func TestSuspendDuringMoveHandOff(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{MaxConnectionAgeMs: 1000})
	a := h.subscribe("a")
	h.recv(s1, started(a))
	h.recv(s1, tracked(a, "1", `1`))
	h.advance(1000)
	h.open(2)
	eq(t, "moving", h.takeFrames(2), []string{subAfter(a, "a", "1")})
	h.recv(s1, tracked(a, "2", `2`)) // still from the old socket
	h.recv(2, started(a))            // confirms the move
	h.recv(2, tracked(a, "2", `2`))  // the repeat, dropped
	h.recv(2, tracked(a, "3", `3`))
	h.take()
	h.suspend()
	eq(t, "suspend", h.takeKinds(), []string{"closeSocket 1 1000", "closeSocket 2 1000", "state idle"})
	h.resume()
	h.open(3)
	eq(t, "resent", h.takeFrames(3), []string{subAfter(a, "a", "3")})
	h.recv(3, started(a))
	h.recv(3, tracked(a, "4", `4`))
	var ids []string
	for _, o := range h.of(a, OutEvent) {
		ids = append(ids, o.EventID)
	}
	eq(t, "event ids", ids, []string{"1", "2", "3", "4"})
	if d := h.deadlineIn(); d != 1000 {
		t.Errorf("max age of the new socket in %d ms, want 1000", d)
	}
}

// Suspended while an auth refresh runs (the server closed with 4401): its
// answer dials nothing; Resume dials once, with the fresh credentials, and
// the subscription resumes after its last event. Suspended before the
// answer and resumed first, the client waits for the answer to dial.
func TestSuspendDuringAuthRefresh(t *testing.T) {
	t.Parallel()
	for _, answerFirst := range []bool{true, false} {
		t.Run(fmt.Sprint("answerFirst=", answerFirst), func(t *testing.T) {
			t.Parallel()
			h, s1 := connected(t, authCfg())
			ev := h.subscribe("events")
			h.recv(s1, started(ev))
			h.recv(s1, tracked(ev, "7", `7`))
			h.lose(s1, 4401)
			h.lastRefresh()
			h.suspend()
			if answerFirst {
				h.refreshed(nil)
				if got := h.dials(); len(got) != 1 {
					t.Fatalf("dialled while suspended: %v", got)
				}
				h.resume()
			} else {
				h.resume()
				if got := h.dials(); len(got) != 1 {
					t.Fatalf("dialled before the refresh answered: %v", got)
				}
				h.refreshed(nil)
			}
			if got := h.dials(); len(got) != 2 {
				t.Fatalf("dials %v, want one after the refresh", got)
			}
			if n := len(h.refreshes()); n != 1 {
				t.Errorf("%d refreshes, want 1", n)
			}
			s2 := h.connect()
			eq(t, "resumed", h.frames(s2), []string{subAfter(ev, "events", "7")})
		})
	}
}
