package core

import "testing"

// With a subscription open, an old socket is replaced make-before-break at
// MaxConnectionAgeMs plus the jitter: the subscription resumes after its
// last event on the new socket and the old one closes once drained.
func TestMaxAgeMovesSubscription(t *testing.T) {
	t.Parallel()
	var asked []int64
	h, s1 := connected(t, Config{MaxConnectionAgeMs: 1000, MaxAgeJitter: func(n int64) int64 {
		asked = append(asked, n)
		return 7
	}})
	eq(t, "jitter bound", asked, []int64{101})
	a := h.subscribe("a")
	h.recv(s1, started(a))
	h.recv(s1, tracked(a, "1", `1`))
	h.take()
	h.advance(1006)
	eq(t, "before max age plus jitter", h.takeKinds(), nil)
	h.advance(1)
	eq(t, "at max age plus jitter", h.takeKinds(), []string{"dial 2"})
	h.open(2)
	eq(t, "resent after its last event", h.takeFrames(2), []string{subAfter(a, "a", "1")})
	h.recv(2, started(a))
	h.recv(s1, stopped(a))
	h.recv(s1, "PONG")
	if o, closed := h.closed[s1]; !closed || o.Code != CloseNormal {
		t.Fatalf("old socket not closed once drained: %+v", o)
	}
	h.recv(2, tracked(a, "2", `2`))
	eq(t, "events", h.events(a), []string{`{"id":"1","data":1}`, `{"id":"2","data":2}`})
	eq(t, "one started", renderAll(h.of(a, OutStarted)), []string{"started 1"})
	if d := h.deadlineIn(); d != 1007 {
		t.Errorf("new socket's max age in %d ms, want 1007", d)
	}
}

// A lazy client with nothing to do closes at max age instead of moving.
func TestMaxAgeLazyIdleCloses(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{Lazy: true, LazyCloseMs: 5000, MaxConnectionAgeMs: 1000})
	id := h.query("q")
	h.connect()
	h.recv(1, data(id, `1`))
	h.take()
	h.advance(1000)
	eq(t, "outputs", h.takeKinds(), []string{"closeSocket 1 1000", "state idle", "closed"})
	if got := h.dials(); len(got) != 1 {
		t.Errorf("dials %v", got)
	}
}

// A lazy client with a query in flight moves; the query finishes on the
// old socket.
func TestMaxAgeLazyBusyMoves(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{Lazy: true, MaxConnectionAgeMs: 1000})
	id := h.query("q")
	h.connect()
	h.take()
	h.advance(1000)
	eq(t, "outputs", h.takeKinds(), []string{"dial 2"})
	h.open(2)
	h.recv(1, data(id, `1`))
	if o := h.outcome(id); o.Kind != OutResult {
		t.Fatalf("q: %s", render(o))
	}
	if _, closed := h.closed[1]; !closed {
		t.Fatal("old socket left open once its query was answered")
	}
}

// A move at max age that cannot be made counts against MaxAttempts: the
// client gives up the move and stays on the old socket.
func TestMaxAgeMoveGivesUpOnOldSocket(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{MaxConnectionAgeMs: 1000, MaxAttempts: 1})
	a := h.subscribe("a")
	h.recv(s1, started(a))
	h.take()
	h.advance(1000)
	eq(t, "outputs", h.takeKinds(), []string{"dial 2"})
	h.lose(2, 0)
	if !h.pending(a) || h.c.active == nil || h.c.active.id != s1 {
		t.Fatalf("subscription or old socket lost when the move failed")
	}
	if got := h.dials(); len(got) != 2 {
		t.Errorf("dials %v", got)
	}
}

// A server-requested move under way when max age comes: no second dial.
func TestMaxAgeDuringServerMove(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{MaxConnectionAgeMs: 1000, KeepAlive: true, KeepAliveIntervalMs: 10000})
	a := h.subscribe("a")
	h.recv(s1, started(a))
	h.advance(999)
	h.recv(s1, reconnectFrame)
	h.advance(5)
	if got := h.dials(); len(got) != 2 {
		t.Errorf("dials %v", got)
	}
}

// keepAlive drops the old socket (no PONG) while the max-age move's new
// socket is still dialling: the subscription waits for the new socket
// and resumes there after its last event, with no second dial; it lost
// its socket, so it starts again (as TestServerReconnectOldLostBeforeNewOpens).
func TestMaxAgeOldSocketLosesPongMidMove(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{MaxConnectionAgeMs: 1000, KeepAlive: true, KeepAliveIntervalMs: 1000, PongTimeoutMs: 100})
	a := h.subscribe("a")
	h.recv(s1, started(a))
	h.recv(s1, tracked(a, "1", `1`))
	h.take()
	h.advance(1000)
	if got := h.dials(); len(got) != 2 {
		t.Fatalf("dials at max age %v", got)
	}
	h.advance(100)
	if o, closed := h.closed[s1]; !closed || o.Code != CloseNoPong {
		t.Fatalf("old socket not dropped for its missing PONG: %+v", o)
	}
	if !h.pending(a) {
		t.Fatal("subscription ended with the old socket")
	}
	h.open(2)
	eq(t, "resent after its last event", h.takeFrames(2), []string{subAfter(a, "a", "1")})
	h.recv(2, started(a))
	h.recv(2, tracked(a, "2", `2`))
	eq(t, "events", h.events(a), []string{`{"id":"1","data":1}`, `{"id":"2","data":2}`})
	eq(t, "started again", renderAll(h.of(a, OutStarted)), []string{"started 1", "started 1"})
	if got := h.dials(); len(got) != 2 {
		t.Errorf("dials %v", got)
	}
}

// The new socket of a max-age move is lost after the subscription moved
// to it: the client reconnects and resumes after the last event seen on
// either socket; the old socket, drained, is closed.
func TestMaxAgeNewSocketLostAfterMove(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{MaxConnectionAgeMs: 1000})
	a := h.subscribe("a")
	h.recv(s1, started(a))
	h.recv(s1, tracked(a, "1", `1`))
	h.advance(1000)
	h.open(2)
	eq(t, "moved", h.takeFrames(2), []string{subAfter(a, "a", "1")})
	h.recv(2, started(a))
	h.recv(s1, stopped(a))
	h.recv(s1, "PONG")
	h.recv(2, tracked(a, "2", `2`))
	h.lose(2, 1006)
	s3 := h.lastDial()
	if s3 != 3 {
		t.Fatalf("dial after losing the new socket: %v", h.dials())
	}
	h.open(s3)
	eq(t, "resent after its last event", h.takeFrames(s3), []string{subAfter(a, "a", "2")})
	if _, closed := h.closed[s1]; !closed {
		t.Error("old socket left open")
	}
	if !h.pending(a) {
		t.Fatal("subscription ended")
	}
}
