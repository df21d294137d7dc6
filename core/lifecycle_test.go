package core

import (
	"errors"
	"strings"
	"testing"
)

func TestExponentialBackoff(t *testing.T) {
	t.Parallel()
	want := []int64{0, 2000, 4000, 8000, 16000, 30000, 30000, 30000}
	for i, w := range want {
		if got := ExponentialBackoff(i); got != w {
			t.Errorf("ExponentialBackoff(%d) = %d, want %d", i, got, w)
		}
	}
	for _, i := range []int{-1, 64, 1 << 30} {
		if got := ExponentialBackoff(i); got != 0 && got != 30000 {
			t.Errorf("ExponentialBackoff(%d) = %d", i, got)
		}
	}
}

// failDials fails the pending dial n times and returns the delay observed
// before each new dial.
func failDials(h *harness, n int) []int64 {
	h.t.Helper()
	var delays []int64
	for range n {
		before := len(h.dials())
		h.lose(h.lastDial(), 1006)
		if len(h.dials()) > before {
			delays = append(delays, 0)
			continue
		}
		wait := h.deadlineIn()
		if wait <= 0 {
			h.t.Fatalf("no retry scheduled after %d dials", before)
		}
		h.advance(wait - 1)
		if len(h.dials()) != before {
			h.t.Fatalf("dialled before the retry delay")
		}
		h.advance(1)
		if len(h.dials()) != before+1 {
			h.t.Fatalf("no dial at the retry deadline")
		}
		delays = append(delays, wait)
	}
	return delays
}

func TestBackoffBetweenFailedAttempts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{})
	delays := failDials(h, 7)
	eq(t, "delays", delays, []int64{0, 2000, 4000, 8000, 16000, 30000, 30000})
	// Every failed attempt reports "Initialization error"; no pending yet.
	for _, s := range h.states() {
		if s != "connecting: Initialization error" {
			t.Errorf("state %q", s)
		}
	}
	if len(h.states()) != 7 {
		t.Errorf("states %v", h.states())
	}
	// A success resets the count: the next loss retries at once.
	h.open(h.lastDial())
	h.lose(h.lastDial(), 1006)
	// The loss retries at once (attempt 0), then 2000, 4000, 8000.
	if len(h.dials()) != 9 {
		t.Fatalf("dials %v", h.dials())
	}
	eq(t, "after a success", failDials(h, 3), []int64{2000, 4000, 8000})
	eq(t, "states", h.states()[7:], []string{
		"pending", "connecting: WebSocket closed",
		"connecting: Initialization error", "connecting: Initialization error", "connecting: Initialization error",
	})
}

func TestBackoffAfterLostSocket(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	h.lose(s, 1006)
	// The first reconnect attempt is immediate (retryDelay(0) = 0).
	if got := h.dials(); len(got) != 2 {
		t.Fatalf("dials %v", got)
	}
	eq(t, "delays", failDials(h, 4), []int64{2000, 4000, 8000, 16000})
}

func TestCustomRetryDelay(t *testing.T) {
	t.Parallel()
	var asked []int
	h := newHarnessRetry(t, Config{}, func(i int) int64 {
		asked = append(asked, i)
		if i == 2 {
			return -5 // negative: no wait
		}
		return 100 * int64(i+1)
	})
	eq(t, "delays", failDials(h, 4), []int64{100, 200, 0, 400})
	eq(t, "attempts asked", asked, []int{0, 1, 2, 3})
}

func TestRejectedConnectionKeepsBackoffGrowing(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	reject := `{"id":null,"error":{"message":"bad token","code":-32001,"data":{"code":"UNAUTHORIZED","httpStatus":401}}}`
	qid := h.query("q")
	h.recv(s, reject)
	h.lose(s, 1008)
	// The query's error carries the server's reason.
	var te *TRPCError
	var ce *ClosedError
	o := h.outcome(qid)
	if !errors.As(o.Err, &ce) || ce.Code != 1008 || !errors.As(o.Err, &te) || te.Code != "UNAUTHORIZED" {
		t.Errorf("query error %v", o.Err)
	}
	// Not attempt 0 again: attempt 1 (2000 ms).
	if got := h.deadlineIn(); got != 2000 {
		t.Fatalf("retry in %d ms, want 2000", got)
	}
	h.advance(2000)
	s2 := h.connect()
	h.recv(s2, reject)
	h.lose(s2, 1008)
	if got := h.deadlineIn(); got != 4000 {
		t.Fatalf("retry in %d ms, want 4000", got)
	}
	h.advance(4000)
	s3 := h.connect()
	// A result proves acceptance: the next loss restarts at 0.
	h.recv(s3, reject)
	q2 := h.query("q2")
	h.recv(s3, data(q2, `1`))
	n := len(h.dials())
	h.lose(s3, 1006)
	if len(h.dials()) != n+1 {
		t.Errorf("no immediate reconnect after an accepted connection")
	}
}

func TestRejectedThenFailedAttemptsContinueBackoff(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	h.recv(s, `{"id":null,"error":{"message":"no","code":-32001}}`)
	h.lose(s, 1008)
	eq(t, "delays", failDials(h, 0), nil)
	if got := h.deadlineIn(); got != 2000 {
		t.Fatalf("retry in %d, want 2000", got)
	}
	h.advance(2000)
	eq(t, "delays", failDials(h, 2), []int64{4000, 8000})
}

func TestStateSequences(t *testing.T) {
	t.Parallel()
	t.Run("non-lazy", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, Config{})
		if h.c.State() != StateConnecting {
			t.Errorf("initial state %v", h.c.State())
		}
		eq(t, "outputs at New", h.takeKinds(), []string{"dial 1"})
		h.open(1)
		if h.c.State() != StatePending {
			t.Errorf("state %v", h.c.State())
		}
		h.lose(1, 1006)
		h.lose(2, 1006) // failed attempt
		h.advance(2000)
		h.open(3)
		h.close()
		eq(t, "states", h.states(), []string{
			"pending", "connecting: WebSocket closed", "connecting: Initialization error", "pending", "idle",
		})
		if h.c.State() != StateIdle {
			t.Errorf("state %v", h.c.State())
		}
	})
	t.Run("lost error carries code and cause", func(t *testing.T) {
		t.Parallel()
		h, s := connected(t, Config{})
		cause := errors.New("read: connection reset")
		h.c.Closed(h.now, s, 1006, cause)
		h.drain()
		var last Output
		for _, o := range h.outs {
			if o.Kind == OutState {
				last = o
			}
		}
		var ce *ClosedError
		if !errors.As(last.Err, &ce) || ce.Code != 1006 || !errors.Is(last.Err, cause) || !errors.Is(last.Err, ErrConnectionClosed) {
			t.Errorf("state error %v", last.Err)
		}
	})
	t.Run("failed first attempt carries dial error", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, Config{})
		cause := errors.New("dial: refused")
		h.c.Closed(h.now, 1, 0, cause)
		h.drain()
		o := h.outs[len(h.outs)-2]
		if o.Kind != OutState || !errors.Is(o.Err, cause) {
			t.Errorf("outputs %v", renderAll(h.outs))
		}
	})
}

func TestLazy(t *testing.T) {
	t.Parallel()
	cfg := Config{Lazy: true, LazyCloseMs: 3000}
	h := newHarness(t, cfg)
	if h.c.State() != StateIdle || len(h.outs) != 0 {
		t.Fatalf("lazy New: state %v, outputs %v", h.c.State(), renderAll(h.outs))
	}
	if h.deadlineIn() != -1 {
		t.Errorf("timer armed before any request")
	}
	a := h.query("a")
	eq(t, "outputs", h.takeKinds(), []string{"state connecting", "dial 1"})
	h.advance(500)
	h.open(1)
	eq(t, "frames", h.frames(1), []string{q(a, "a")})
	h.advance(1000)
	h.recv(1, data(a, `1`)) // inbound activity at +1000 after open
	h.advance(2999)
	if _, closed := h.closed[1]; closed {
		t.Fatal("closed before closeMs of inactivity")
	}
	b := h.query("b") // outgoing activity pushes the timer back
	h.advance(2999)
	h.recv(1, data(b, `2`))
	h.advance(2999)
	if _, closed := h.closed[1]; closed {
		t.Fatal("closed despite activity")
	}
	h.take()
	h.advance(1)
	eq(t, "lazy close", h.takeKinds(), []string{"closeSocket 1 1000", "state idle", "closed"})
	h.lose(1, 1000)
	eq(t, "after the close event", h.takeKinds(), nil)
	eq(t, "states", h.states(), []string{"connecting", "pending", "idle"})
	if h.deadlineIn() != -1 {
		t.Errorf("timer armed while idle")
	}
	// The next request reconnects.
	c := h.query("c")
	eq(t, "reconnect", h.takeKinds(), []string{"state connecting", "dial 2"})
	h.open(2)
	eq(t, "frames", h.frames(2), []string{q(c, "c")})
}

func TestLazyWaitsForPendingRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{Lazy: true, LazyCloseMs: 1000})
	a := h.query("a")
	h.open(1)
	h.advance(10000) // no answer: the pending query keeps the socket open
	if _, closed := h.closed[1]; closed {
		t.Fatal("lazy close with a pending query")
	}
	h.recv(1, data(a, `1`))
	h.advance(999)
	if _, closed := h.closed[1]; closed {
		t.Fatal("closed early")
	}
	h.advance(1)
	if _, closed := h.closed[1]; !closed {
		t.Fatal("not closed after closeMs")
	}
}

func TestLazySubscriptionKeepsSocket(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{Lazy: true, LazyCloseMs: 100})
	id := h.subscribe("s")
	h.open(1)
	h.recv(1, started(id))
	h.advance(5000)
	if _, closed := h.closed[1]; closed {
		t.Fatal("lazy close with a live subscription")
	}
	// No polling while the subscription lives.
	if d := h.deadlineIn(); d != -1 {
		t.Errorf("timer armed in %d ms with a live subscription", d)
	}
	h.cancel(id)
	h.advance(100)
	if _, closed := h.closed[1]; !closed {
		t.Fatal("not closed once the subscription ended")
	}
}

func TestLazyAfterDrop(t *testing.T) {
	t.Parallel()
	t.Run("no subscriptions: no reconnect", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, Config{Lazy: true, LazyCloseMs: 1000})
		a := h.query("a")
		h.open(1)
		h.take()
		h.lose(1, 1006)
		eq(t, "outputs", h.takeKinds(), []string{"error 1 closed: WebSocket closed"})
		_ = a
		// A new request reconnects.
		b := h.query("b")
		if h.lastDial() != 2 {
			t.Fatalf("dials %v", h.dials())
		}
		h.open(2)
		eq(t, "frames", h.frames(2), []string{q(b, "b")})
	})
	t.Run("live subscription: reconnect", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, Config{Lazy: true, LazyCloseMs: 1000})
		id := h.subscribe("s")
		h.open(1)
		h.recv(1, started(id))
		h.take()
		h.lose(1, 1006)
		eq(t, "outputs", h.takeKinds(), []string{"state connecting: WebSocket closed", "dial 2"})
		h.open(2)
		eq(t, "frames", h.frames(2), []string{sub(id, "s")})
	})
}

func TestKeepAlive(t *testing.T) {
	t.Parallel()
	cfg := Config{KeepAlive: true, KeepAliveIntervalMs: 5000, PongTimeoutMs: 1000}
	h, s := connected(t, cfg)
	if got := h.deadlineIn(); got != 5000 {
		t.Fatalf("first deadline in %d", got)
	}
	h.advance(4999)
	eq(t, "frames", h.frames(s), nil)
	h.advance(1)
	eq(t, "frames", h.takeFrames(s), []string{"PING"})
	h.advance(500)
	h.recv(s, "PONG")
	// PONG is inbound activity: the next PING is intervalMs after it.
	if got := h.deadlineIn(); got != 5000 {
		t.Fatalf("deadline after PONG in %d", got)
	}
	h.advance(3000)
	h.recv(s, `{"id":null,"method":"unknown"}`) // any inbound frame pushes the PING back
	h.advance(4999)
	eq(t, "frames", h.takeFrames(s), nil)
	h.advance(1)
	eq(t, "frames", h.takeFrames(s), []string{"PING"})

	// No PONG within pongTimeoutMs: the socket is dropped at once and the
	// normal reconnect runs without waiting for a close event.
	sid := h.subscribe("s")
	h.recv(s, started(sid)) // not a PONG: does not cancel the timeout
	qid := h.query("q")
	h.take()
	h.advance(999)
	if _, closed := h.closed[s]; closed {
		t.Fatal("closed before the pong timeout")
	}
	h.advance(1)
	eq(t, "pong timeout", h.takeKinds(), []string{
		"closeSocket 1 3000 abort", "error 2 closed: WebSocket closed", "state connecting: WebSocket closed", "dial 2",
	})
	if !h.pending(sid) || h.pending(qid) {
		t.Errorf("subscription pending %v, query pending %v", h.pending(sid), h.pending(qid))
	}
	// The close event that follows changes nothing.
	h.lose(s, 1006)
	eq(t, "late close event", h.takeKinds(), nil)
	s2 := h.connect()
	eq(t, "resubscribe", h.frames(s2), []string{sub(sid, "s")})
	if got := h.deadlineIn(); got != 5000 {
		t.Errorf("new socket's keepalive in %d", got)
	}
}

func TestKeepAliveDefaults(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{KeepAlive: true})
	h.advance(5000)
	eq(t, "frames", h.takeFrames(s), []string{"PING"})
	if got := h.deadlineIn(); got != 1000 {
		t.Errorf("pong deadline in %d, want 1000", got)
	}
}

func TestKeepAliveOffNoTimers(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	h.query("a")
	if h.deadlineIn() != -1 {
		t.Errorf("a timer is armed: %d", h.deadlineIn())
	}
	h.advance(60000)
	eq(t, "frames", h.frames(s), []string{q(1, "a")})
}

func TestClose(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	subID := h.subscribe("s")
	h.recv(s, started(subID))
	q1 := h.query("q1")
	queued := h.start(Query, "queued", "") // not yet transmitted
	h.take()
	h.close()
	eq(t, "outputs", h.takeKinds(), []string{
		"complete 1", "error 3 closed: Closed before connection was established",
	})
	eq(t, "frames", h.frames(s), []string{sub(subID, "s"), q(q1, "q1"), stop(subID)})
	_ = queued
	// Still waiting for q1: no idle, no OutClosed, socket open.
	if _, closed := h.closed[s]; closed {
		t.Fatal("socket closed while a query is in flight")
	}
	h.recv(s, data(subID, `1`)) // the subscription's late event is ignored
	h.recv(s, data(q1, `"done"`))
	eq(t, "outputs", h.takeKinds(), []string{`result 2 "done"`, "closeSocket 1 1000", "state idle", "closed"})
	// The close event does not reconnect.
	h.lose(s, 1000)
	eq(t, "after close event", h.takeKinds(), nil)
	if h.deadlineIn() != -1 {
		t.Error("timer armed after close")
	}
	// Usable again.
	q2 := h.query("q2")
	eq(t, "reopen", h.takeKinds(), []string{"state connecting", "dial 2"})
	h.open(2)
	eq(t, "frames", h.frames(2), []string{q(q2, "q2")})
	eq(t, "states", h.states(), []string{"pending", "idle", "connecting", "pending"})
}

func TestCloseSendsStopsBeforeClosingSocket(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	a := h.subscribe("a")
	b := h.subscribe("b")
	h.recv(s, started(a))
	h.take()
	h.close()
	eq(t, "outputs", h.takeKinds(), []string{"complete 1", "complete 2", "closeSocket 1 1000", "state idle", "closed"})
	eq(t, "frames", h.frames(s), []string{sub(a, "a"), sub(b, "b"), stop(a), stop(b)})
}

func TestCloseWaitsThenSocketLost(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	q1 := h.query("q1")
	h.close()
	h.take()
	h.lose(s, 1006)
	eq(t, "outputs", h.takeKinds(), []string{"error 1 closed: WebSocket closed", "state idle", "closed"})
	_ = q1
	if len(h.dials()) != 1 {
		t.Errorf("reconnected while closing: %v", h.dials())
	}
}

func TestAbortEndsWaitingClose(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	q1 := h.query("q1")
	h.abort() // not closing: no-op
	eq(t, "abort without close", h.takeKinds(), nil)
	h.close()
	eq(t, "close", h.takeKinds(), nil)
	h.abort()
	eq(t, "abort", h.takeKinds(), []string{
		"error 1 closed: Client closed before the server answered", "closeSocket 1 1000", "state idle", "closed",
	})
	if o := h.outcome(q1); !errors.Is(o.Err, ErrConnectionClosed) {
		t.Errorf("error %v", o.Err)
	}
	h.recv(s, data(q1, `1`))
	eq(t, "late answer", h.takeKinds(), nil)
}

func TestCloseWhileConnecting(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{})
	a := h.query("a")
	s := h.subscribe("s")
	h.take()
	h.close()
	eq(t, "outputs", h.takeKinds(), []string{
		"error 1 closed: Closed before connection was established", "complete 2",
		"closeSocket 1 1000", "state idle", "closed",
	})
	_, _ = a, s
	// The socket opening late is not used.
	h.open(1)
	h.lose(1, 1000)
	eq(t, "late open", h.takeKinds(), nil)
	eq(t, "frames", h.frames(1), nil)
	if h.deadlineIn() != -1 {
		t.Error("timer armed")
	}
}

func TestCloseDuringBackoff(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{})
	failDials(h, 2)
	h.lose(h.lastDial(), 1006) // now waiting 4000 ms for the fourth attempt
	if h.deadlineIn() != 4000 {
		t.Fatalf("deadline %d", h.deadlineIn())
	}
	h.close()
	if h.deadlineIn() != -1 {
		t.Errorf("retry still scheduled after close")
	}
	n := len(h.dials())
	h.advance(60000)
	if len(h.dials()) != n {
		t.Error("dialled after close")
	}
	if h.c.State() != StateIdle {
		t.Errorf("state %v", h.c.State())
	}
}

func TestRequestDuringWaitingClose(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	q1 := h.query("q1")
	h.close()
	// Made while the close waits: held back (it neither prolongs the close
	// nor dies with the closing socket), then sent on a new socket.
	q2 := h.query("q2")
	sid := h.subscribe("s")
	eq(t, "frames", h.frames(s), []string{q(q1, "q1")})
	h.take()
	h.recv(s, data(q1, `1`))
	eq(t, "outputs", h.takeKinds(), []string{
		"result 1 1", "closeSocket 1 1000", "state idle", "closed", "state connecting", "dial 2",
	})
	h.open(2)
	eq(t, "frames", h.frames(2), []string{batch(q(q2, "q2"), sub(sid, "s"))})
	h.recv(2, data(q2, `2`))
	h.recv(2, started(sid))
	eq(t, "outputs", h.takeKinds(), []string{"state pending", "result 2 2", "started 3"})
}

func TestAbortKeepsRequestsMadeDuringClose(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	q1 := h.query("q1")
	h.close()
	q2 := h.query("q2")
	h.take()
	h.abort()
	eq(t, "outputs", h.takeKinds(), []string{
		"error 1 closed: Client closed before the server answered", "closeSocket 1 1000", "state idle", "closed",
		"state connecting", "dial 2",
	})
	h.open(2)
	eq(t, "frames", h.frames(2), []string{q(q2, "q2")})
	eq(t, "frames", h.frames(s), []string{q(q1, "q1")})
}

func TestSecondCloseFailsRequestsMadeDuringFirst(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	q1 := h.query("q1")
	h.close()
	q2 := h.query("q2")
	sid := h.subscribe("s")
	h.take()
	h.close()
	eq(t, "outputs", h.takeKinds(), []string{"error 2 closed: Closed before connection was established", "complete 3"})
	h.recv(s, data(q1, `1`))
	eq(t, "outputs", h.takeKinds(), []string{"result 1 1", "closeSocket 1 1000", "state idle", "closed"})
	_, _ = q2, sid
}

func TestRequestDuringWaitingCloseAfterLoss(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	q1 := h.query("q1")
	sid := h.subscribe("s")
	h.close()
	h.lose(s, 1006) // the close finishes: q1 failed
	h.take()
	q2 := h.query("q2")
	eq(t, "outputs", h.takeKinds(), []string{"state connecting", "dial 2"})
	h.open(2)
	eq(t, "frames", h.frames(2), []string{q(q2, "q2")})
	_, _ = q1, sid
}

func TestKeepAlivePongDeadlineNotExtendedByLaterPings(t *testing.T) {
	t.Parallel()
	// intervalMs < pongTimeoutMs: other frames make the client PING again
	// before the first PONG is due, but the first deadline still holds.
	h, s := connected(t, Config{KeepAlive: true, KeepAliveIntervalMs: 100, PongTimeoutMs: 1000})
	start := h.now
	h.advance(100) // PING, PONG due at +1100
	for range 5 {  // until +850
		h.advance(50)
		h.recv(s, `{"id":null,"method":"x"}`)
		h.advance(100) // PING again
	}
	h.advanceTo(start + 1099)
	if _, closed := h.closed[s]; closed {
		t.Fatal("dropped early")
	}
	h.advanceTo(start + 1100)
	if o, closed := h.closed[s]; !closed || !o.Abort {
		t.Fatalf("not dropped at the first PONG deadline: %v", renderAll(h.outs))
	}
}

func TestKeepAlivePongTimeoutCause(t *testing.T) {
	t.Parallel()
	h, _ := connected(t, Config{KeepAlive: true})
	h.advance(6000)
	var st Output
	for _, o := range h.outs {
		if o.Kind == OutState && o.State == StateConnecting {
			st = o
		}
	}
	var ce *ClosedError
	if !errors.As(st.Err, &ce) || ce.Message != "WebSocket closed" || ce.Cause == nil || !strings.Contains(ce.Cause.Error(), "PONG") {
		t.Errorf("state error %v", st.Err)
	}
}

func TestKeepAliveOnRetiredSocket(t *testing.T) {
	t.Parallel()
	// The retired socket keeps its own keepalive; losing it to a pong
	// timeout fails only its own queries.
	h, s1 := connected(t, Config{KeepAlive: true, KeepAliveIntervalMs: 1000, PongTimeoutMs: 100})
	q1 := h.query("q1")
	h.recv(s1, reconnectFrame)
	h.open(2)
	h.advance(1000)
	eq(t, "pings", []string{h.frames(1)[1], h.frames(2)[0]}, []string{"PING", "PING"})
	h.recv(2, "PONG")
	h.take()
	h.advance(100)
	eq(t, "outputs", h.takeKinds(), []string{"closeSocket 1 3000 abort", "error 1 closed: WebSocket closed"})
	_ = q1
	eq(t, "states", h.states(), []string{"pending"})
}

func TestSubscribeDuringWaitingCloseThenSocketLost(t *testing.T) {
	t.Parallel()
	// Found by FuzzServerModel: the close finishing in the middle of
	// handling the loss dialled twice and orphaned a socket.
	h, s := connected(t, Config{})
	h.query("q1")
	h.close()
	sid := h.subscribe("s")
	h.take()
	h.lose(s, 1006)
	eq(t, "outputs", h.takeKinds(), []string{
		"error 1 closed: WebSocket closed", "state idle", "closed", "state connecting", "dial 2",
	})
	h.open(2)
	eq(t, "frames", h.frames(2), []string{sub(sid, "s")})
	h.recv(2, started(sid))
	if len(h.dials()) != 2 {
		t.Errorf("dials %v", h.dials())
	}
}

func TestLazyDefaultCloseMs(t *testing.T) {
	t.Parallel()
	// closeMs 0 (the default): the socket closes as soon as nothing is
	// left, and the client never asks for a tick per millisecond meanwhile.
	h := newHarness(t, Config{Lazy: true})
	a := h.query("a")
	h.open(1)
	ticks := 0
	for range 100 {
		if d := h.deadlineIn(); d >= 0 {
			ticks++
			h.advance(max(d, 1))
		} else {
			h.advance(10)
		}
	}
	if ticks > 2 {
		t.Errorf("%d wake-ups while one query was pending", ticks)
	}
	if _, closed := h.closed[1]; closed {
		t.Fatal("closed with a pending query")
	}
	h.recv(1, data(a, `1`))
	h.advance(0)
	if _, closed := h.closed[1]; !closed {
		t.Fatal("not closed once idle")
	}
	eq(t, "states", h.states(), []string{"connecting", "pending", "idle"})
}

func TestSetupFailedClosesWith3000(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{})
	a := h.query("a")
	h.take()
	cause := errors.New("params failed")
	h.c.SetupFailed(h.now, 1, cause)
	h.drain()
	eq(t, "outputs", h.takeKinds(), []string{
		"closeSocket 1 3000", "state connecting: Initialization error", "dial 2",
	})
	// The close event that follows changes nothing; unknown sockets neither.
	h.lose(1, 3000)
	h.c.SetupFailed(h.now, 1, cause)
	h.drain()
	eq(t, "after", h.takeKinds(), nil)
	var st Output
	for _, o := range h.outs {
		if o.Kind == OutState {
			st = o
		}
	}
	if !errors.Is(st.Err, cause) {
		t.Errorf("state error %v", st.Err)
	}
	h.open(2)
	eq(t, "frames", h.frames(2), []string{q(a, "a")})
}

func TestCloseCodeNoneReportedAsAbnormal(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	a := h.query("a")
	h.lose(s, 0)
	var ce *ClosedError
	if o := h.outcome(a); !errors.As(o.Err, &ce) || ce.Code != CloseAbnormal {
		t.Errorf("error %v", o.Err)
	}
	// A code the server sent is reported as received, valid or not.
	s2 := h.connect()
	b := h.query("b")
	h.lose(s2, 1005)
	if o := h.outcome(b); !errors.As(o.Err, &ce) || ce.Code != 1005 {
		t.Errorf("error %v", o.Err)
	}
}

func TestCompleteSaysWhy(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	a := h.subscribe("a")
	b := h.subscribe("b")
	h.recv(s, stopped(a))
	h.close()
	if o := h.outcome(a); o.Kind != OutComplete || !o.Stopped {
		t.Errorf("server stop: %+v", o)
	}
	if o := h.outcome(b); o.Kind != OutComplete || o.Stopped {
		t.Errorf("close: %+v", o)
	}
}

func TestTimeZeroIsValid(t *testing.T) {
	t.Parallel()
	// A driver clock may start at 0: deadlines at 0 are armed like any other.
	c := New(Config{Lazy: true}, 0)
	id := c.Start(0, Query, "a", nil, nil)
	for o, ok := c.Poll(); ok; o, ok = c.Poll() {
		_ = o
	}
	c.Opened(0, 1, nil)
	c.PollTransmit(1)
	c.Message(0, 1, []byte(data(id, `1`)))
	if at, ok := c.Deadline(); !ok || at != 0 {
		t.Fatalf("deadline %d %v, want the lazy close at 0", at, ok)
	}
	c.Tick(0)
	var kinds []string
	for o, ok := c.Poll(); ok; o, ok = c.Poll() {
		kinds = append(kinds, render(o))
	}
	contains(t, "outputs", kinds, "closeSocket 1 1000", "closed")
}
