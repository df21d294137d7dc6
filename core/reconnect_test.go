package core

import (
	"errors"
	"testing"
)

const reconnectFrame = `{"id":null,"method":"reconnect"}`

// moving sets up a subscription a (last event "42") and a query q1 in flight
// on socket 1, then the server asks to reconnect.
func moving(t *testing.T) (h *harness, a, q1 int64) {
	t.Helper()
	h, s1 := connected(t, Config{})
	a = h.subscribe("a")
	h.recv(s1, started(a))
	h.recv(s1, tracked(a, "42", `42`))
	q1 = h.query("q1")
	h.take()
	h.recv(s1, reconnectFrame)
	eq(t, "on reconnect request", h.takeKinds(), []string{"dial 2"})
	return h, a, q1
}

func TestServerReconnectMakeBeforeBreak(t *testing.T) {
	t.Parallel()
	h, a, q1 := moving(t)

	// Until the new socket is open the old one serves everything.
	q2 := h.query("q2")
	eq(t, "old socket frames", h.takeFrames(1), []string{sub(a, "a"), q(q1, "q1"), q(q2, "q2")})
	h.recv(1, data(q2, `"two"`))
	if o := h.outcome(q2); o.Kind != OutResult || string(o.Data) != `"two"` {
		t.Errorf("q2 on the old socket: %s", render(o))
	}
	h.recv(1, tracked(a, "43", `43`))

	// The new socket opens: the subscription is re-sent with its last event.
	h.open(2)
	eq(t, "new socket frames", h.takeFrames(2), []string{subAfter(a, "a", "43")})
	eq(t, "states", h.states(), []string{"pending"})
	q3 := h.query("q3")
	eq(t, "new requests use the new socket", h.takeFrames(2), []string{q(q3, "q3")})
	eq(t, "old socket frames", h.takeFrames(1), nil)

	// Overlap: the old socket still delivers until the new one confirms.
	h.recv(1, tracked(a, "44", `44`))
	h.recv(1, data(a, `"untracked"`))

	// The new socket's first frame for a confirms the move: stop + PING on the old.
	h.take()
	h.recv(2, started(a))
	eq(t, "no second started", renderAll(h.of(a, OutStarted)), []string{"started 1"})
	eq(t, "old socket frames", h.takeFrames(1), []string{stop(a), "PING"})
	if _, closed := h.closed[1]; closed {
		t.Fatal("old socket closed before it drained")
	}

	// Replayed events the old socket delivered are dropped; new ones flow.
	h.recv(2, tracked(a, "44", `44`))
	h.recv(2, tracked(a, "45", `45`))
	// The old socket's late tracked events are dropped (the new socket
	// replays them); id-less ones are still delivered.
	h.recv(1, tracked(a, "46", `46`))
	h.recv(1, data(a, `"late untracked"`))
	h.recv(1, stopped(a))
	h.recv(2, tracked(a, "46", `46`))
	eq(t, "events", h.events(a), []string{
		`{"id":"42","data":42}`, `{"id":"43","data":43}`, `{"id":"44","data":44}`, `"untracked"`,
		`{"id":"45","data":45}`, `"late untracked"`, `{"id":"46","data":46}`,
	})
	if !h.pending(a) {
		t.Fatal("the old socket's stopped ended the subscription")
	}

	// Drained only when its PONG has arrived and q1 is answered.
	h.recv(1, "PONG")
	if _, closed := h.closed[1]; closed {
		t.Fatal("old socket closed with q1 in flight")
	}
	h.recv(1, data(q1, `"one"`))
	if o, closed := h.closed[1]; !closed || o.Code != 1000 || o.Abort {
		t.Fatalf("old socket not closed with 1000 once drained: %+v", o)
	}
	if o := h.outcome(q1); o.Kind != OutResult {
		t.Errorf("q1: %s", render(o))
	}
	// Its close event is uneventful.
	h.take()
	h.lose(1, 1000)
	eq(t, "old close event", h.takeKinds(), nil)
	eq(t, "states", h.states(), []string{"pending"})
	if got := h.dials(); len(got) != 2 {
		t.Errorf("dials %v", got)
	}
	// The subscription lives on the new socket.
	h.recv(2, stopped(a))
	if o := h.outcome(a); o.Kind != OutComplete {
		t.Errorf("a: %s", render(o))
	}
}

func TestServerReconnectDrainOrderPongLast(t *testing.T) {
	t.Parallel()
	h, a, q1 := moving(t)
	h.recv(1, data(q1, `1`))
	h.open(2)
	h.recv(2, started(a))
	if _, closed := h.closed[1]; closed {
		t.Fatal("closed before PONG")
	}
	h.recv(1, stopped(a))
	if _, closed := h.closed[1]; !closed {
		t.Fatal("not closed once stopped arrived and nothing is left")
	}
	// PONG after the close request: harmless.
	h.recv(1, "PONG")
}

func TestServerReconnectNoSubscriptions(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{})
	q1 := h.query("q1")
	h.recv(s1, reconnectFrame)
	h.open(2)
	// Nothing to move; the old socket closes once q1 is answered.
	eq(t, "new socket frames", h.frames(2), nil)
	if _, closed := h.closed[s1]; closed {
		t.Fatal("closed with q1 in flight")
	}
	h.recv(s1, data(q1, `1`))
	if _, closed := h.closed[s1]; !closed {
		t.Fatal("old socket left open")
	}
	eq(t, "states", h.states(), []string{"pending"})
}

func TestServerReconnectIdleClosesAtOnce(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{})
	h.recv(s1, reconnectFrame)
	h.take()
	h.open(2)
	eq(t, "outputs", h.takeKinds(), []string{"closeSocket 1 1000"})
}

func TestServerReconnectIgnoredFromNonActive(t *testing.T) {
	t.Parallel()
	h, a, _ := moving(t)
	h.recv(1, reconnectFrame) // again, while dialling: one dial only
	h.recv(2, reconnectFrame) // from the socket being dialled: ignored
	h.open(2)
	h.recv(1, reconnectFrame) // from the retired socket: ignored
	if got := h.dials(); len(got) != 2 {
		t.Errorf("dials %v", got)
	}
	_ = a
}

func TestServerReconnectOldLostBeforeConfirm(t *testing.T) {
	t.Parallel()
	h, a, q1 := moving(t)
	h.open(2)
	h.recv(1, tracked(a, "43", `43`))
	h.take()
	h.lose(1, 1006)
	// q1 fails; the subscription now lives on socket 2; no state change.
	eq(t, "outputs", h.takeKinds(), []string{"error 2 closed: WebSocket closed"})
	_ = q1
	h.recv(2, started(a))
	h.recv(2, tracked(a, "43", `43`)) // replay of an event the old socket delivered
	h.recv(2, tracked(a, "44", `44`))
	eq(t, "outputs", h.takeKinds(), []string{`event 1 #44 {"id":"44","data":44}`})
	eq(t, "frames on 2", h.frames(2), []string{subAfter(a, "a", "42")})
	eq(t, "states", h.states(), []string{"pending"})
	if len(h.dials()) != 2 {
		t.Errorf("dials %v", h.dials())
	}
}

func TestServerReconnectOldLostBeforeNewOpens(t *testing.T) {
	t.Parallel()
	h, a, q1 := moving(t)
	h.lose(1, 1006)
	eq(t, "outputs", h.takeKinds(), []string{"error 2 closed: WebSocket closed", "state connecting: WebSocket closed"})
	_ = q1
	q2 := h.query("q2")
	h.open(2)
	eq(t, "frames on 2", h.frames(2), []string{subAfter(a, "a", "42"), q(q2, "q2")})
	// The subscription lost its socket, so it starts again.
	h.recv(2, started(a))
	eq(t, "started", renderAll(h.of(a, OutStarted)), []string{"started 1", "started 1"})
	eq(t, "states", h.states(), []string{"pending", "connecting: WebSocket closed", "pending"})
	if len(h.dials()) != 2 {
		t.Errorf("dials %v", h.dials())
	}
}

func TestServerReconnectNewLostDuringMove(t *testing.T) {
	t.Parallel()
	h, a, q1 := moving(t)
	h.open(2)
	q2 := h.query("q2") // goes on the new socket
	eq(t, "frames on 2", h.frames(2), []string{subAfter(a, "a", "42"), q(q2, "q2")})
	h.take()
	h.lose(2, 1006)
	// q2 fails; the old socket serves again; a new replacement is dialled.
	eq(t, "outputs", h.takeKinds(), []string{"error 3 closed: WebSocket closed", "dial 3"})
	q3 := h.query("q3")
	eq(t, "old socket serves again", h.takeFrames(1), []string{sub(a, "a"), q(q1, "q1"), q(q3, "q3")})
	h.recv(1, tracked(a, "43", `43`))
	h.recv(1, data(q3, `3`))
	h.recv(1, data(q1, `1`))
	eq(t, "outputs", h.takeKinds(), []string{`event 1 #43 {"id":"43","data":43}`, "result 4 3", "result 2 1"})
	if _, closed := h.closed[1]; closed {
		t.Fatal("old socket closed while serving")
	}
	// The next replacement completes the move.
	h.open(3)
	eq(t, "frames on 3", h.frames(3), []string{subAfter(a, "a", "43")})
	h.recv(3, started(a))
	eq(t, "old frames", h.takeFrames(1), []string{stop(a), "PING"})
	h.recv(1, "PONG")
	if _, closed := h.closed[1]; !closed {
		t.Fatal("old socket not closed once drained")
	}
	eq(t, "started once", renderAll(h.of(a, OutStarted)), []string{"started 1"})
	eq(t, "states", h.states(), []string{"pending"})
}

func TestServerReconnectNewLostThenOldLostShowsError(t *testing.T) {
	t.Parallel()
	h, _, _ := moving(t)
	h.lose(2, 0) // the replacement dial fails: retried later, silently
	eq(t, "states", h.states(), []string{"pending"})
	if got := h.deadlineIn(); got != 2000 {
		t.Fatalf("retry in %d, want 2000", got)
	}
	// Once the old socket closes too, the replacement's error is shown.
	h.lose(1, 1006)
	eq(t, "states", h.states(), []string{"pending", "connecting: Initialization error"})
	h.advance(2000)
	h.open(3)
	eq(t, "states", h.states(), []string{"pending", "connecting: Initialization error", "pending"})
}

func TestServerReconnectNewLostAfterConfirm(t *testing.T) {
	t.Parallel()
	// The move completed on socket 2, which is lost while socket 1 still
	// drains: the subscription goes back to socket 1.
	h, a, q1 := moving(t)
	h.recv(1, data(q1, `1`))
	h.open(2)
	h.recv(2, started(a))
	h.recv(2, tracked(a, "43", `43`))
	eq(t, "old frames", h.takeFrames(1), []string{sub(a, "a"), q(q1, "q1"), stop(a), "PING"})
	h.take()
	h.lose(2, 1006)
	frames := h.takeFrames(1)
	if len(frames) != 1 {
		t.Fatalf("old socket frames %v", frames)
	}
	// It is re-sent on socket 1 (under a fresh wire id, since the old id may
	// still be in use there) with the last event it delivered.
	const w = 3 // the next wire id
	eq(t, "re-sent", frames, []string{subAfter(w, "a", "43")})

	// Until socket 1 has drained the old id, its id-less events still count.
	h.recv(1, tracked(a, "43", `43`)) // tracked: replayed under the new id, dropped
	h.recv(1, data(a, `"idless"`))
	h.recv(1, stopped(a)) // the old id's stop completes on socket 1
	h.recv(1, data(a, `"after stopped"`))
	// Events on the new wire id reach the subscriber under its own id.
	h.recv(1, started(w))
	h.recv(1, tracked(w, "44", `44`))
	eq(t, "events", h.events(a), []string{`{"id":"42","data":42}`, `{"id":"43","data":43}`, `"idless"`, `{"id":"44","data":44}`})
	// Cancel with the id Start returned stops the new wire id.
	h.cancel(a)
	eq(t, "stop", h.takeFrames(1), []string{stop(w)})
	h.recv(1, tracked(w, "45", `45`))
	h.recv(1, stopped(w))
	eq(t, "nothing after cancel", renderAll(h.of(a)[len(h.of(a))-1:]), []string{`event 1 #44 {"id":"44","data":44}`})
}

func TestServerReconnectTwiceThenLostKeepsDraining(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{})
	a := h.subscribe("a")
	h.recv(s1, started(a))
	h.recv(s1, tracked(a, "42", `42`))
	// 1 → 2
	h.recv(1, reconnectFrame)
	h.open(2)
	h.recv(2, started(a))
	// 2 → 3, while 1 still drains
	h.recv(2, reconnectFrame)
	h.open(3)
	h.recv(3, started(a))
	eq(t, "frames on 1", h.frames(1), []string{sub(a, "a"), stop(a), "PING"})
	eq(t, "frames on 2", h.frames(2), []string{subAfter(a, "a", "42"), stop(a), "PING"})
	eq(t, "frames on 3", h.frames(3), []string{subAfter(a, "a", "42")})
	h.take()
	// 3 is lost: 2 serves again and a is re-sent there under a new wire id.
	h.lose(3, 1006)
	const w = 2 // the next wire id
	eq(t, "frames on 2", h.takeFrames(2)[3:], []string{subAfter(w, "a", "42")})
	if _, closed := h.closed[1]; closed {
		t.Fatal("socket 1 closed before it drained")
	}
	// Socket 1 still drains the old id: id-less events count, and its PONG
	// lets it close.
	h.recv(1, data(a, `"from 1"`))
	h.recv(1, "PONG")
	if o, closed := h.closed[1]; !closed || o.Code != 1000 {
		t.Fatal("socket 1 left open after its PONG")
	}
	h.recv(2, "PONG")
	h.recv(2, data(a, `"from 2, old id, drained"`)) // nothing left to drain under the old id
	h.recv(2, started(w))
	h.recv(2, tracked(w, "43", `43`))
	eq(t, "events", h.events(a), []string{`{"id":"42","data":42}`, `"from 1"`, `{"id":"43","data":43}`})
	eq(t, "started", renderAll(h.of(a, OutStarted)), []string{"started 1", "started 1"})
	h.cancel(a)
	eq(t, "stop", h.takeFrames(2), []string{stop(w)})
	if _, closed := h.closed[2]; closed {
		t.Error("the active socket was closed")
	}
}

func TestCancelRequeuedSubscriptionForgetsDraining(t *testing.T) {
	t.Parallel()
	h, a, q1 := moving(t)
	h.recv(1, data(q1, `1`))
	h.open(2)
	h.recv(2, started(a))
	h.take()
	// Lose 2 and cancel before the driver flushes the re-sent subscription.
	h.c.Closed(h.now, 2, 1006, nil)
	h.c.Cancel(h.now, a)
	h.final[a] = Output{ID: a} // cancelled
	h.drain()
	eq(t, "frames on 1", h.takeFrames(1), []string{sub(a, "a"), q(q1, "q1"), stop(a), "PING"})
	h.recv(1, data(a, `"late"`))
	eq(t, "outputs", h.takeKinds(), []string{"dial 3"})
	if _, closed := h.closed[1]; closed {
		t.Error("closed the active socket")
	}
}

func TestCancelDuringDrainClosesOldSocket(t *testing.T) {
	t.Parallel()
	h, a, q1 := moving(t)
	h.recv(1, data(q1, `1`))
	h.open(2)
	h.recv(2, started(a))
	if _, closed := h.closed[1]; closed {
		t.Fatal("closed before draining")
	}
	h.cancel(a)
	eq(t, "stop on the new socket", h.takeFrames(2), []string{subAfter(a, "a", "42"), stop(a)})
	if _, closed := h.closed[1]; !closed {
		t.Fatal("old socket kept open for a cancelled subscription")
	}
	h.recv(1, data(a, `"late"`))
	h.recv(1, "PONG")
}

func TestCancelDuringMoveStopsBothSockets(t *testing.T) {
	t.Parallel()
	h, a, q1 := moving(t)
	h.open(2)
	h.cancel(a) // before the new socket confirmed
	eq(t, "old", h.takeFrames(1), []string{sub(a, "a"), q(q1, "q1"), stop(a)})
	eq(t, "new", h.takeFrames(2), []string{subAfter(a, "a", "42"), stop(a)})
	h.recv(2, started(a))
	h.recv(1, data(q1, `1`))
	if _, closed := h.closed[1]; !closed {
		t.Fatal("old socket not closed once q1 answered")
	}
	eq(t, "outputs for a", renderAll(h.of(a, OutStarted)), []string{"started 1"})
}

func TestServerReconnectSecondMoveBeforeFirstConfirms(t *testing.T) {
	t.Parallel()
	// 1 → 2 not yet confirmed when 2 asks to move to 3: a is re-sent on 3,
	// stopped on 2, and still served by 1 until 3 confirms.
	h, a, q1 := moving(t)
	h.recv(1, data(q1, `1`))
	h.open(2)
	h.recv(2, reconnectFrame)
	h.open(3)
	eq(t, "2", h.frames(2), []string{subAfter(a, "a", "42"), stop(a)})
	eq(t, "3", h.frames(3), []string{subAfter(a, "a", "42")})
	if _, closed := h.closed[2]; !closed {
		t.Error("socket 2 not closed: nothing is left on it")
	}
	h.recv(1, tracked(a, "43", `43`))
	h.recv(2, tracked(a, "43", `43`)) // from the abandoned successor: ignored
	h.recv(3, started(a))
	h.recv(3, tracked(a, "43", `43`))
	h.recv(3, tracked(a, "44", `44`))
	eq(t, "events", h.events(a), []string{`{"id":"42","data":42}`, `{"id":"43","data":43}`, `{"id":"44","data":44}`})
	eq(t, "1", h.takeFrames(1)[2:], []string{stop(a), "PING"})
	h.recv(1, "PONG")
	if _, closed := h.closed[1]; !closed {
		t.Error("socket 1 not closed once drained")
	}
	eq(t, "started once", renderAll(h.of(a, OutStarted)), []string{"started 1"})
}

func TestCloseDuringServerReconnect(t *testing.T) {
	t.Parallel()
	t.Run("replacement opens while the close waits", func(t *testing.T) {
		t.Parallel()
		h, a, q1 := moving(t)
		h.close()
		eq(t, "close", h.takeKinds(), []string{"complete 1"})
		h.open(2)
		eq(t, "replacement closed unused", h.takeKinds(), []string{"closeSocket 2 1000"})
		eq(t, "nothing on 2", h.frames(2), nil)
		h.recv(1, data(q1, `1`))
		eq(t, "finish", h.takeKinds(), []string{"result 2 1", "closeSocket 1 1000", "state idle", "closed"})
		_ = a
	})
	t.Run("replacement fails while the close waits", func(t *testing.T) {
		t.Parallel()
		h, _, q1 := moving(t)
		h.close()
		h.take()
		h.lose(2, 0)
		eq(t, "no retry", h.takeKinds(), nil)
		if h.deadlineIn() != -1 {
			t.Error("retry scheduled")
		}
		h.recv(1, data(q1, `1`))
		eq(t, "finish", h.takeKinds(), []string{"result 2 1", "closeSocket 1 1000", "state idle", "closed"})
	})
}

func TestDrainingSocketLostAndQueryKeepsItOpen(t *testing.T) {
	t.Parallel()
	// As in TestServerReconnectTwiceThenLostKeepsDraining, with a query on
	// socket 1 and then socket 1 lost while it drains.
	h, s1 := connected(t, Config{})
	a := h.subscribe("a")
	h.recv(s1, started(a))
	q1 := h.query("q1")
	h.recv(1, reconnectFrame)
	h.open(2)
	h.recv(2, started(a))
	h.recv(2, reconnectFrame)
	h.open(3)
	h.recv(3, started(a))
	h.lose(3, 1006) // a re-sent on 2 as wire id 3; the old id drains 1 and 2
	eq(t, "2", h.takeFrames(2)[3:], []string{sub(3, "a")})
	h.recv(1, data(q1, `1`)) // q1 done, but 1 still drains a's old id
	if _, closed := h.closed[1]; closed {
		t.Fatal("socket 1 closed while draining")
	}
	h.recv(1, data(a, `"from 1"`))
	h.lose(1, 1006) // lost while draining: nothing else happens
	h.recv(2, "PONG")
	h.recv(2, data(a, `"old id on 2 after drain"`))
	h.recv(2, started(3))
	h.recv(2, data(3, `"new"`))
	eq(t, "events", h.events(a), []string{`"from 1"`, `"new"`})
	eq(t, "states", h.states(), []string{"pending"})
}

func TestRequestDuringWaitingCloseWithoutSocket(t *testing.T) {
	t.Parallel()
	// The close waits for q1 on the retired socket; the active socket is
	// lost; a new request then reconnects once the close has finished.
	h, a, q1 := moving(t)
	h.open(2)
	h.close()
	h.lose(2, 1006)
	h.take()
	q2 := h.query("q2")
	h.recv(1, data(q1, `1`))
	out := h.takeKinds()
	contains(t, "outputs", out, "result 2 1", "state idle", "closed")
	s := h.lastDial()
	h.open(s)
	eq(t, "frames", h.frames(s), []string{q(q2, "q2")})
	h.recv(s, data(q2, `2`))
	if o := h.outcome(q2); o.Kind != OutResult {
		t.Errorf("q2: %s", render(o))
	}
	_ = a
}

func TestServerReconnectOldLostWhileDraining(t *testing.T) {
	t.Parallel()
	h, a, q1 := moving(t)
	h.open(2)
	h.recv(2, started(a))
	eq(t, "old frames", h.takeFrames(1)[2:], []string{stop(a), "PING"})
	h.take()
	h.lose(1, 1006) // before its PONG or stopped: only q1 fails
	eq(t, "outputs", h.takeKinds(), []string{"error 2 closed: WebSocket closed"})
	_ = q1
	h.recv(2, tracked(a, "43", `43`))
	eq(t, "outputs", h.takeKinds(), []string{`event 1 #43 {"id":"43","data":43}`})
	eq(t, "states", h.states(), []string{"pending"})
	if len(h.dials()) != 2 {
		t.Errorf("dials %v", h.dials())
	}
}

func TestRetryAskedAndAnswered(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{AskRetry: true})
	h.retry = func(int) int64 { return 0 }
	sid := h.subscribe("s")
	h.recv(s, started(sid))
	h.take()
	// Answers are given by the test itself from here.
	var asked []Output
	h.retry = nil
	h.c.Closed(h.now, s, 1001, nil)
	for o, ok := h.c.Poll(); ok; o, ok = h.c.Poll() {
		if o.Kind == OutRetry {
			asked = append(asked, o)
		}
	}
	var ce *ClosedError
	if len(asked) != 1 || asked[0].Attempt != 0 || !errors.As(asked[0].Err, &ce) || ce.Code != 1001 {
		t.Fatalf("asked %+v", asked)
	}
	if h.deadlineIn() != -1 {
		t.Fatal("timer armed before the answer")
	}
	h.c.Retry(h.now, RetryAnswer{Attempt: 5, DelayMs: 0}) // not the attempt asked: ignored
	h.drain()
	eq(t, "stale answer", h.takeKinds(), []string{})
	h.c.Retry(h.now, RetryAnswer{Attempt: 0, DelayMs: 250})
	h.drain()
	if h.deadlineIn() != 250 {
		t.Fatalf("deadline %d", h.deadlineIn())
	}
	h.c.Retry(h.now, RetryAnswer{Attempt: 0, DelayMs: 0}) // answered already: ignored
	h.drain()
	h.advance(250)
	if h.lastDial() != 2 {
		t.Fatalf("dials %v", h.dials())
	}
	// Closed while asking: the late answer does nothing.
	h.lose(2, 0)
	h.take()
	h.c.Close(h.now)
	h.drain()
	n := len(h.dials())
	h.c.Retry(h.now, RetryAnswer{Attempt: 1, DelayMs: 0})
	h.drain()
	if len(h.dials()) != n {
		t.Error("dialled after close")
	}
}

func TestServerReconnectSecondMoveBeforeRepeatsArrive(t *testing.T) {
	t.Parallel()
	// 1 → 2 confirmed, but 2's repeats of what 1 delivered meanwhile (43,
	// 44) have not come when 2 asks to move to 3: they must still be
	// dropped once each when they do, during the move to 3.
	h, a, q1 := moving(t)
	h.recv(1, data(q1, `1`))
	h.open(2)
	h.recv(1, tracked(a, "43", `43`))
	h.recv(1, tracked(a, "44", `44`))
	h.recv(2, started(a)) // confirms: a lives on 2, resumed after 42
	h.recv(2, reconnectFrame)
	h.open(3)
	eq(t, "3", h.frames(3), []string{subAfter(a, "a", "44")})
	h.recv(2, tracked(a, "43", `43`)) // 2's repeats, late
	h.recv(2, tracked(a, "44", `44`))
	h.recv(2, tracked(a, "45", `45`))
	h.recv(3, started(a))
	h.recv(3, tracked(a, "45", `45`)) // 3's repeat of what 2 delivered
	h.recv(3, tracked(a, "46", `46`))
	eq(t, "events", h.events(a), []string{
		`{"id":"42","data":42}`, `{"id":"43","data":43}`, `{"id":"44","data":44}`,
		`{"id":"45","data":45}`, `{"id":"46","data":46}`,
	})
	eq(t, "started once", renderAll(h.of(a, OutStarted)), []string{"started 1"})
}
