package core

import (
	"cmp"
	"errors"
	"testing"
)

// The connection policies beyond the reference (issue 10), with the fake
// clock.

func gaveUp(t *testing.T, err error) *GaveUpError {
	t.Helper()
	var g *GaveUpError
	if !errors.As(err, &g) || !errors.Is(err, ErrConnectionClosed) {
		t.Fatalf("error %v, want a *GaveUpError", err)
	}
	return g
}

func lastState(h *harness) Output {
	var st Output
	for _, o := range h.outs {
		if o.Kind == OutState {
			st = o
		}
	}
	return st
}

func TestMaxAttemptsGivesUp(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{MaxAttempts: 3})
	q1 := h.query("q")
	h.take()
	cause := errors.New("refused")
	h.c.Closed(h.now, 1, 0, cause) // the first connect: 1 failed
	h.drain()
	h.lose(2, 0) // attempt 0, at once: 2 failed
	if h.deadlineIn() != 2000 {
		t.Fatalf("deadline %d", h.deadlineIn())
	}
	h.advance(2000)
	h.take()
	h.c.Closed(h.now, 3, 0, cause) // attempt 1: 3 failed
	h.drain()
	eq(t, "outputs", h.takeKinds(), []string{
		"state connecting: Initialization error", "error 1 closed: Initialization error", "state idle: Initialization error",
	})
	st := lastState(h)
	if st.State != StateIdle || h.c.State() != StateIdle {
		t.Fatalf("state %v", st.State)
	}
	g := gaveUp(t, st.Err)
	if g.Attempts != 3 || !errors.Is(g, cause) {
		t.Errorf("gave up %+v", g)
	}
	gaveUp(t, h.outcome(q1).Err)
	if h.deadlineIn() != -1 {
		t.Error("timer armed after giving up")
	}
	// The next request starts again from attempt 0.
	q2 := h.query("q2")
	eq(t, "restart", h.takeKinds(), []string{"state connecting", "dial 4"})
	h.lose(4, 0)
	h.lose(5, 0) // attempt 0 again: no wait
	if h.deadlineIn() != 2000 {
		t.Errorf("deadline %d after restart", h.deadlineIn())
	}
	_ = q2
}

func TestGiveUpEndsSubscriptions(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{MaxAttempts: 1})
	sid := h.subscribe("s")
	h.recv(s, started(sid))
	h.lose(s, 1001) // a good connection: the count starts over, at once
	h.lose(2, 0)    // 1 failed: give up
	if o := h.outcome(sid); o.Kind != OutError {
		t.Fatalf("subscription %v", render(o))
	}
	gaveUp(t, h.outcome(sid).Err)
	if h.c.State() != StateIdle {
		t.Errorf("state %v", h.c.State())
	}
}

func TestShouldRetryGivesUp(t *testing.T) {
	t.Parallel()
	var infos []Output
	h := newHarnessRetry(t, Config{}, func(int) int64 { return 10 })
	h.shouldRetry = func(o Output) bool {
		infos = append(infos, o)
		return o.Attempt < 2
	}
	s := h.connect()
	q := h.query("q")
	_ = q
	h.recv(s, `{"id":null,"error":{"message":"bad token","code":-32001}}`)
	h.lose(s, 4001)
	// rejected: attempt 1, then 2 is refused.
	h.advance(10)
	h.lose(h.lastDial(), 0)
	if len(infos) != 2 || infos[0].Attempt != 1 || infos[1].Attempt != 2 {
		t.Fatalf("asked %v", renderAll(infos))
	}
	var ce *ClosedError
	var te *TRPCError
	if !errors.As(infos[0].Err, &ce) || ce.Code != 4001 || !errors.As(infos[0].Err, &te) || te.Message != "bad token" {
		t.Errorf("first info %v", infos[0].Err)
	}
	gaveUp(t, lastState(h).Err)
	if h.c.State() != StateIdle {
		t.Errorf("state %v", h.c.State())
	}
}

func TestMinUptime(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{MinUptimeMs: 1000, MaxAttempts: 4})
	h.advance(999)
	h.lose(s, 1000) // too short: attempt 1, 2000 ms
	if h.deadlineIn() != 2000 {
		t.Fatalf("deadline %d", h.deadlineIn())
	}
	h.advance(2000)
	s2 := h.connect()
	h.advance(1000)
	h.lose(s2, 1000) // long enough: attempt 0 at once
	if h.deadlineIn() != -1 || h.lastDial() != 3 {
		t.Fatalf("deadline %d, dials %v", h.deadlineIn(), h.dials())
	}
	// A server that closes every socket at once: the delay grows and the
	// client gives up after MaxAttempts short-lived sockets.
	var delays []int64
	for range 4 {
		h.connect()
		h.lose(h.lastDial(), 1000)
		if d := h.deadlineIn(); d > 0 {
			delays = append(delays, d)
			h.advance(d)
		}
	}
	eq(t, "delays", delays, []int64{2000, 4000, 8000})
	gaveUp(t, lastState(h).Err)
}

func TestConnectTimeout(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{ConnectTimeoutMs: 500, MaxAttempts: 2, Events: true})
	q1 := h.query("q")
	h.take()
	if h.deadlineIn() != 500 {
		t.Fatalf("deadline %d", h.deadlineIn())
	}
	h.advance(500)
	eq(t, "timeout", h.takeKinds(), []string{
		"note timeout socket 1", "closeSocket 1 1000 abort", "note close 1 1006",
		"state connecting: Initialization error", "note attempt 0 in 0", "dial 2",
	})
	var te *TimeoutError
	if st := lastState(h); !errors.As(st.Err, &te) || te.What != "connect" || !errors.Is(st.Err, ErrTimeout) {
		t.Errorf("state error %v", st.Err)
	}
	h.lose(1, 1006) // the dropped socket's late close: nothing
	// Opened in time: no timeout.
	h.advance(499)
	h.open(2)
	h.advance(10000)
	if !h.pending(q1) || h.c.State() != StatePending {
		t.Errorf("query %v, state %v", renderAll(h.of(q1)), h.c.State())
	}
	// Two timeouts in a row: give up.
	h.lose(2, 1006)
	h.advance(500)
	h.advance(2000)
	h.advance(500)
	gaveUp(t, lastState(h).Err)
}

func TestRequestTimeout(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{RequestTimeoutMs: 1000, Events: true})
	a := h.query("a")
	b := h.c.StartCall(h.now, Call{Method: Query, Path: "b", TimeoutMs: 100})
	c := h.c.StartCall(h.now, Call{Method: Mutation, Path: "c", TimeoutMs: -1})
	sid := h.subscribe("s")
	h.methods[b], h.methods[c] = Query, Mutation
	h.drain()
	h.take()
	if h.deadlineIn() != 100 {
		t.Fatalf("deadline %d", h.deadlineIn())
	}
	h.advance(100)
	eq(t, "b times out", h.takeKinds(), []string{"note timeout request 2", "error 2 trpcws: request timed out after 100 ms"})
	var te *TimeoutError
	if err := h.outcome(b).Err; !errors.As(err, &te) || !errors.Is(err, ErrTimeout) || te.Ms != 100 {
		t.Errorf("error %v", err)
	}
	// A reply that arrives before the Tick wins.
	h.now += 900
	h.recv(s, data(a, `1`))
	h.c.Tick(h.now)
	h.drain()
	if o := h.outcome(a); o.Kind != OutResult {
		t.Errorf("a: %v", render(o))
	}
	h.recv(s, data(b, `2`)) // late answer of the timed-out call: ignored
	h.advance(100000)
	if !h.pending(c) || !h.pending(sid) {
		t.Error("a call without timeout or a subscription timed out")
	}
	if _, closed := h.closed[s]; closed {
		t.Error("socket closed by a request timeout")
	}
	// A queued call times out too, and is never sent.
	h.lose(s, 1006)
	h.lose(2, 0)
	d := h.query("d")
	h.advance(1000)
	if o := h.outcome(d); !errors.As(o.Err, &te) {
		t.Errorf("queued: %v", render(o))
	}
	h.advance(2000)
	h.open(h.lastDial())
	notContains(t, "frames", h.frames(h.lastDial()), q(d, "d"))
}

func TestMaxQueued(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{MaxQueued: 2, Lazy: true, Events: true})
	a := h.query("a")
	b := h.query("b")
	c := h.query("c")
	if o := h.outcome(c); !errors.Is(o.Err, ErrQueueFull) {
		t.Fatalf("third queued call: %v", render(o))
	}
	contains(t, "notes", renderAll(h.outs), "note queueFull 3")
	s := h.connect()
	eq(t, "frames", h.frames(s), []string{batch(q(a, "a"), q(b, "b"))})
	// Connected: never refused, however many.
	var ids []int64
	for range 5 {
		ids = append(ids, h.start(Query, "x", ""))
	}
	h.drain()
	for _, id := range ids {
		if !h.pending(id) {
			t.Errorf("call %d refused on an open socket", id)
		}
	}
}

func TestReconnectNow(t *testing.T) {
	t.Parallel()
	t.Run("in backoff", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, Config{})
		failDials(h, 2)
		h.lose(h.lastDial(), 0)
		if h.deadlineIn() != 4000 {
			t.Fatalf("deadline %d", h.deadlineIn())
		}
		n := len(h.dials())
		h.c.Reconnect(h.now)
		h.drain()
		if len(h.dials()) != n+1 || h.deadlineIn() != -1 {
			t.Fatalf("dials %v, deadline %d", h.dials(), h.deadlineIn())
		}
	})
	t.Run("connected: make-before-break", func(t *testing.T) {
		t.Parallel()
		h, s := connected(t, Config{})
		sid := h.subscribe("s")
		h.recv(s, started(sid))
		h.recv(s, tracked(sid, "1", `1`))
		h.c.Reconnect(h.now)
		h.drain()
		h.c.Reconnect(h.now) // a move is under way: nothing more
		h.drain()
		if h.lastDial() != 2 {
			t.Fatalf("dials %v", h.dials())
		}
		h.open(2)
		eq(t, "resubscribe", h.frames(2), []string{subAfter(sid, "s", "1")})
		h.recv(2, started(sid))
		h.recv(s, tracked(sid, "2", `2`))
		h.recv(2, tracked(sid, "2", `2`)) // duplicate of the old socket's
		h.recv(s, stopped(sid))
		eq(t, "events", h.events(sid), []string{`{"id":"1","data":1}`, `{"id":"2","data":2}`})
		if n := len(h.of(sid, OutStarted)); n != 1 {
			t.Errorf("%d started", n)
		}
		if _, closed := h.closed[s]; !closed {
			t.Error("old socket not closed")
		}
		eq(t, "states", h.states(), []string{"pending"})
	})
	t.Run("idle: nothing", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, Config{Lazy: true})
		h.c.Reconnect(h.now)
		h.drain()
		if len(h.outs) != 0 {
			t.Errorf("outputs %v", renderAll(h.outs))
		}
	})
}

func TestGiveUpDuringServerMove(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{MaxAttempts: 2, Events: true})
	h.recv(s, reconnectFrame)
	h.lose(2, 0) // the replacement fails twice
	h.advance(2000)
	h.lose(3, 0)
	contains(t, "notes", renderAll(h.outs), "note giveUp")
	// The socket in use carries on.
	if h.c.State() != StatePending {
		t.Fatalf("state %v", h.c.State())
	}
	a := h.query("a")
	h.recv(s, data(a, `1`))
	if o := h.outcome(a); o.Kind != OutResult {
		t.Errorf("query after the failed move: %v", render(o))
	}
	if h.deadlineIn() != -1 {
		t.Errorf("deadline %d", h.deadlineIn())
	}
}

func TestReconnectDuringServerMoveBackoff(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	sid := h.subscribe("s")
	h.recv(s, started(sid))
	h.recv(s, reconnectFrame)
	h.lose(2, 0) // waiting 2000 ms for the next replacement
	if h.deadlineIn() != 2000 {
		t.Fatalf("deadline %d", h.deadlineIn())
	}
	h.c.Reconnect(h.now)
	h.drain()
	h.open(3)
	eq(t, "resubscribe", h.frames(3), []string{sub(sid, "s")})
	eq(t, "states", h.states(), []string{"pending"})
}

func TestNetworkHints(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{MaxAttempts: 3})
	h.lose(1, 0)
	h.lose(2, 0) // 2 failed; attempt 1 in 2000
	h.c.Offline(h.now)
	h.drain()
	if h.deadlineIn() != -1 {
		t.Fatalf("retry timer armed while offline: %d", h.deadlineIn())
	}
	n := len(h.dials())
	h.advance(60000)
	if len(h.dials()) != n {
		t.Fatal("dialled while offline")
	}
	h.c.Online(h.now)
	h.drain()
	if len(h.dials()) != n+1 {
		t.Fatal("no attempt at once when back online")
	}
	// Offline while an attempt fails: not counted, nothing dialled.
	h.c.Offline(h.now)
	h.lose(h.lastDial(), 0)
	h.c.Online(h.now)
	h.drain()
	s := h.lastDial()
	h.lose(s, 0) // the third failure: give up (the offline one did not count)
	gaveUp(t, lastState(h).Err)
	if g := gaveUp(t, lastState(h).Err); g.Attempts != 3 {
		t.Errorf("attempts %d", g.Attempts)
	}

	// Wake while waiting: attempt at once, without touching offline.
	h2 := newHarness(t, Config{})
	failDials(h2, 2)
	h2.lose(h2.lastDial(), 0)
	n = len(h2.dials())
	h2.c.Wake(h2.now)
	h2.drain()
	if len(h2.dials()) != n+1 {
		t.Error("no attempt on wake")
	}
}

func TestWakeChecksSocket(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{KeepAlive: true})
	h.advance(10)
	h.c.Wake(h.now)
	h.drain()
	eq(t, "ping", h.takeFrames(s), []string{"PING"})
	h.c.Online(h.now) // a PONG is due already: no second PING
	h.drain()
	eq(t, "no second ping", h.takeFrames(s), nil)
	h.advance(7)
	h.recv(s, "PONG")
	if st := h.c.Stats(); st.LastPingRttMs != 7 {
		t.Errorf("rtt %d", st.LastPingRttMs)
	}
	// Without keepAlive nothing is sent.
	h2, s2 := connected(t, Config{})
	h2.c.Wake(h2.now)
	h2.drain()
	eq(t, "frames", h2.frames(s2), nil)
}

func TestStats(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{})
	if st := h.c.Stats(); st.State != StateConnecting || st.ConnectedAt != -1 || st.LastPingRttMs != -1 {
		t.Errorf("initial %+v", st)
	}
	a := h.query("a")
	if st := h.c.Stats(); st.Queued != 1 {
		t.Errorf("queued %+v", st)
	}
	h.advance(5)
	s := h.connect()
	sid := h.subscribe("s")
	st := h.c.Stats()
	want := Stats{State: StatePending, SocketsOpened: 1, InFlight: 1, Subscriptions: 1, FramesOut: 2,
		BytesOut: int64(len(q(a, "a")) + len(sub(sid, "s"))), LastPingRttMs: -1, ConnectedAt: 1005}
	if st != want {
		t.Errorf("stats\n got  %+v\n want %+v", st, want)
	}
	h.recv(s, data(a, `1`))
	h.lose(s, 1006)
	h.lose(2, 0)
	if st := h.c.Stats(); st.Attempt != 1 || st.FramesIn != 1 || st.BytesIn != int64(len(data(a, `1`))) || st.ConnectedAt != -1 {
		t.Errorf("after loss %+v", st)
	}
	h.advance(2000)
	h.connect()
	if st := h.c.Stats(); st.Reconnects != 1 || st.SocketsOpened != 2 || st.Attempt != 0 {
		t.Errorf("after reconnect %+v", st)
	}
}

func TestNoteNames(t *testing.T) {
	t.Parallel()
	for n, want := range map[Note]string{NoteAttempt: "attempt", NoteOpen: "open", NoteClose: "close",
		NoteGiveUp: "giveUp", NoteTimeout: "timeout", NoteQueueFull: "queueFull", 0: "unknown"} {
		if n.String() != want {
			t.Errorf("%d: %q", n, n.String())
		}
	}
	e := &GaveUpError{Attempts: 2}
	if e.Error() != "trpcws: gave up reconnecting after 2 failed attempts" {
		t.Errorf("%q", e.Error())
	}
}

func TestRequestTimeoutsFireInOrder(t *testing.T) {
	t.Parallel()
	// Many calls with scattered timeouts, some answered or cancelled: each
	// unanswered one times out at its own deadline, in deadline order.
	h, s := connected(t, Config{RequestTimeoutMs: 500})
	start := h.now
	want := map[int64]int64{} // id → deadline
	for i := range 200 {
		ms := int64((i*7919)%997 + 1)
		if i%5 == 0 {
			ms = 0 // the default
		}
		id := h.c.StartCall(h.now, Call{Method: Query, Path: "q", TimeoutMs: ms})
		h.methods[id] = Query
		want[id] = start + cmp.Or(ms, 500)
	}
	h.drain()
	for id := range want {
		switch id % 7 {
		case 0:
			h.cancel(id)
			delete(want, id)
		case 1:
			h.recv(s, data(id, `1`))
			delete(want, id)
		}
	}
	h.take()
	h.advance(1000)
	var last int64
	n := 0
	for _, o := range h.take() {
		if o.Kind != OutError {
			continue
		}
		n++
		var te *TimeoutError
		if !errors.As(o.Err, &te) || want[o.ID] == 0 {
			t.Fatalf("unexpected %s", render(o))
		}
		if at := want[o.ID]; at < last {
			t.Errorf("call %d timed out out of order", o.ID)
		} else {
			last = at
		}
	}
	if n != len(want) || len(h.c.timeouts) != 0 {
		t.Errorf("%d timeouts, want %d; %d left in the heap", n, len(want), len(h.c.timeouts))
	}
}

// A URL that can never be dialled is not retried: the client gives up at
// once, whatever the retry policy, and the next request starts over.
func TestBadURLGivesUpAtOnce(t *testing.T) {
	t.Parallel()
	bad := &URLError{URL: "not a url", Reason: "no scheme"}
	h := newHarness(t, Config{}) // retry forever
	q := h.query("q")
	h.take()
	h.c.Closed(h.now, 1, 0, bad)
	h.drain()
	eq(t, "outputs", h.takeKinds(), []string{"error 1 closed: Initialization error", "state idle: Initialization error"})
	if h.deadlineIn() != -1 {
		t.Error("a retry is scheduled for an URL that cannot be dialled")
	}
	g := gaveUp(t, lastState(h).Err)
	var ue *URLError
	if g.Attempts != 1 || !errors.As(g, &ue) || ue != bad {
		t.Errorf("gave up %+v", g)
	}
	gaveUp(t, h.outcome(q).Err)

	// The next request asks for the URL again; this time it opens, and when
	// that socket is lost the reconnect meets a bad URL: given up too.
	sid := h.subscribe("s")
	eq(t, "restart", h.takeKinds(), []string{"state connecting", "dial 2"})
	h.open(2)
	h.lose(2, 1006)
	if d := h.lastDial(); d != 3 {
		t.Fatalf("no reconnect after a lost socket: last dial %d", d)
	}
	h.c.Closed(h.now, 3, 0, bad)
	h.drain()
	if h.deadlineIn() != -1 || h.c.State() != StateIdle {
		t.Errorf("after a lost socket and a bad URL: deadline %d, state %v", h.deadlineIn(), h.c.State())
	}
	gaveUp(t, lastState(h).Err)
	gaveUp(t, h.outcome(sid).Err)
}

// One "trpcws: " per message, however deep the chain.
func TestErrorPrefixOnce(t *testing.T) {
	t.Parallel()
	err := &GaveUpError{Attempts: 1, Cause: &ClosedError{Message: "Initialization error", Cause: &URLError{URL: "x", Reason: "no scheme"}}}
	for _, c := range []struct{ got, want string }{
		{err.Error(), `trpcws: gave up reconnecting after 1 failed attempts: Initialization error: invalid WebSocket URL "x": no scheme`},
		{(&ClosedError{Message: "WebSocket closed", Code: 1006, Cause: errors.New("EOF")}).Error(), "trpcws: WebSocket closed (code 1006): EOF"},
	} {
		if c.got != c.want {
			t.Errorf("message %q, want %q", c.got, c.want)
		}
	}
}
