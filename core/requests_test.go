package core

import (
	"errors"
	"strconv"
	"testing"
)

// connected returns a harness whose first socket is open.
func connected(t *testing.T, cfg Config) (*harness, SocketID) {
	t.Helper()
	h := newHarness(t, cfg)
	s := h.connect()
	h.take()
	return h, s
}

func TestIDsStartAtOneAndSingleRequestIsBareObject(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	a := h.query("a")
	b := h.start(Mutation, "b", `{"x":1}`)
	h.drain()
	if a != 1 || b != 2 {
		t.Fatalf("ids %d, %d; want 1, 2", a, b)
	}
	eq(t, "frames", h.frames(s), []string{
		q(1, "a"),
		`{"id":2,"method":"mutation","params":{"input":{"x":1},"path":"b"}}`,
	})
}

func TestSameTickBatching(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	h.start(Query, "a", "")
	h.start(Mutation, "b", `1`)
	h.start(Subscription, "c", "")
	if len(h.frames(s)) != 0 {
		t.Fatalf("sent before PollTransmit: %v", h.frames(s))
	}
	// One OutWrite for the three.
	var writes int
	for {
		o, ok := h.c.Poll()
		if !ok {
			break
		}
		if o.Kind != OutWrite || o.Sock != s {
			t.Fatalf("unexpected output %s", render(o))
		}
		writes++
	}
	if writes != 1 {
		t.Fatalf("%d OutWrite, want 1", writes)
	}
	h.transmit(s)
	eq(t, "frames", h.frames(s), []string{batch(
		q(1, "a"),
		`{"id":2,"method":"mutation","params":{"input":1,"path":"b"}}`,
		sub(3, "c"),
	)})
	// A later request is a new frame; the writer became idle, so a new OutWrite.
	h.query("d")
	eq(t, "frames", h.takeFrames(s)[1:], []string{q(4, "d")})
	if _, ok := h.c.PollTransmit(s); ok {
		t.Error("PollTransmit has more after running dry")
	}
}

func TestQueueWhileConnectingFlushesAfterConnectionParams(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{})
	eq(t, "outputs at New", h.takeKinds(), []string{"dial 1"})
	if h.c.State() != StateConnecting {
		t.Errorf("initial state %v", h.c.State())
	}
	a := h.query("a")
	b := h.query("b")
	c := h.subscribe("c")
	if len(h.frames(1)) != 0 {
		t.Fatalf("sent before open: %v", h.frames(1))
	}
	if got := h.dials(); len(got) != 1 {
		t.Fatalf("dials %v, want one", got)
	}
	h.openParams(1, `{"token":"secret"}`)
	eq(t, "frames", h.frames(1), []string{
		`{"method":"connectionParams","data":{"token":"secret"}}`,
		batch(q(a, "a"), q(b, "b"), sub(c, "c")),
	})
	eq(t, "states", h.states(), []string{"pending"})
}

func TestConnectionParamsNullFirst(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{})
	h.query("a")
	h.openParams(1, `null`)
	eq(t, "frames", h.frames(1), []string{`{"method":"connectionParams","data":null}`, q(1, "a")})
}

func TestResponsesRoutedByID(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	a := h.start(Query, "a", "")
	b := h.start(Query, "b", "")
	c := h.start(Mutation, "c", "")
	h.drain()
	h.recv(s, data(c, `"C"`))
	h.recv(s, `{"id":99,"result":{"type":"data","data":"stray"}}`)
	h.recv(s, `{"id":"`+itoa(a)+`","result":{"type":"data","data":"A"}}`) // string id
	h.recv(s, data(b, `{"b":[1]}`))
	eq(t, "outputs", h.takeKinds(), []string{`result 3 "C"`, `result 1 "A"`, `result 2 {"b":[1]}`})
	// A second answer for a finished request is ignored.
	h.recv(s, data(a, `"again"`))
	h.recv(s, `{"id":"x","result":{"type":"data","data":1}}`)
	eq(t, "late outputs", h.takeKinds(), nil)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestResultKinds(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	void := h.query("void")
	null := h.query("null")
	fail := h.query("fail")
	h.recv(s, `{"id":1,"result":{"type":"data"}}`)
	h.recv(s, `{"id":2,"result":{"type":"data","data":null}}`)
	h.recv(s, `{"id":3,"error":{"message":"nope","code":-32600,"data":{"code":"BAD_REQUEST","httpStatus":400,"path":"fail"}}}`)
	if o := h.outcome(void); o.Kind != OutResult || o.Data != nil {
		t.Errorf("void result: %s", render(o))
	}
	if o := h.outcome(null); o.Kind != OutResult || string(o.Data) != "null" {
		t.Errorf("null result: %s", render(o))
	}
	o := h.outcome(fail)
	var te *TRPCError
	if o.Kind != OutError || !errors.As(o.Err, &te) {
		t.Fatalf("error result: %s", render(o))
	}
	if te.Code != "BAD_REQUEST" || te.Message != "nope" || te.HTTPStatus != 400 || te.Path != "fail" || te.JSONRPCCode != -32600 {
		t.Errorf("TRPCError %+v", te)
	}
	if errors.Is(o.Err, ErrConnectionClosed) {
		t.Error("server error matches ErrConnectionClosed")
	}
}

func TestSubscriptionResultIsNotFinalButQueryResultIs(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	qid := h.query("q")
	h.recv(s, started(qid)) // a query answered with "started" still ends
	if o := h.outcome(qid); o.Kind != OutResult || o.Data != nil {
		t.Errorf("query ended with %s", render(o))
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	t.Run("queued request sends nothing", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, Config{})
		a := h.query("a")
		sid := h.subscribe("s")
		b := h.query("b")
		h.cancel(a)
		h.cancel(sid)
		h.open(1)
		eq(t, "frames", h.frames(1), []string{q(b, "b")})
		eq(t, "outputs for cancelled", renderAll(append(h.of(a), h.of(sid)...)), nil)
	})
	t.Run("all queued cancelled: nothing", func(t *testing.T) {
		t.Parallel()
		h, s := connected(t, Config{})
		a := h.start(Query, "a", "")
		h.c.Cancel(h.now, a)
		h.final[a] = Output{ID: a} // cancelled
		h.drain()
		eq(t, "frames", h.frames(s), nil)
	})
	t.Run("pending query ignores late answer", func(t *testing.T) {
		t.Parallel()
		h, s := connected(t, Config{})
		a := h.query("a")
		h.cancel(a)
		h.recv(s, data(a, `1`))
		eq(t, "outputs", renderAll(h.of(a)), nil)
		eq(t, "frames", h.frames(s), []string{q(a, "a")})
	})
	t.Run("subscription sends stop", func(t *testing.T) {
		t.Parallel()
		h, s := connected(t, Config{})
		id := h.subscribe("s")
		h.recv(s, started(id))
		h.cancel(id)
		h.recv(s, data(id, `1`))
		h.recv(s, stopped(id))
		eq(t, "frames", h.frames(s), []string{sub(id, "s"), stop(id)})
		eq(t, "outputs", renderAll(h.of(id)), []string{"started 1"})
		h.cancel(id) // twice: no-op
		h.cancel(42) // unknown: no-op
		eq(t, "frames", h.frames(s), []string{sub(id, "s"), stop(id)})
	})
}

func TestPingAnsweredWithPong(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	h.recv(s, "PING")
	h.recv(s, "PING")
	eq(t, "frames", h.frames(s), []string{"PONG", "PONG"})
	h.recv(s, "PONG") // unsolicited: ignored
	eq(t, "outputs", h.takeKinds(), nil)
}

func TestFrameErrorKeepsConnection(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	a := h.query("a")
	h.take()
	h.recv(s, `{"id":1,"result":`)
	out := h.take()
	if len(out) != 1 || out[0].Kind != OutFrameError || out[0].Sock != s {
		t.Fatalf("outputs %v", renderAll(out))
	}
	var fe *FrameError
	if !errors.As(out[0].Err, &fe) {
		t.Errorf("err %T", out[0].Err)
	}
	h.recv(s, data(a, `2`))
	eq(t, "outputs", h.takeKinds(), []string{"result 1 2"})
}

func TestMessagesOnUnknownSocketIgnored(t *testing.T) {
	t.Parallel()
	h, _ := connected(t, Config{})
	a := h.query("a")
	h.recv(77, data(a, `1`))
	h.c.Opened(h.now, 77, nil)
	h.c.Closed(h.now, 77, 1000, nil)
	h.drain()
	eq(t, "outputs", h.takeKinds(), nil)
	if _, ok := h.c.PollTransmit(77); ok {
		t.Error("PollTransmit on unknown socket")
	}
}

func TestUnknownServerMethodIgnored(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	h.recv(s, `{"id":null,"method":"somethingElse"}`)
	eq(t, "outputs", h.takeKinds(), nil)
	if len(h.dials()) != 1 {
		t.Errorf("dials %v", h.dials())
	}
}

func TestStartCallDriverIDs(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	// The driver names its requests; wire ids stay the core's own.
	a := h.c.StartCall(h.now, Call{ID: 500, Method: Query, Path: "a"})
	b := h.c.StartCall(h.now, Call{ID: 7, Method: Subscription, Path: "b", LastEventID: "3", HasLastEventID: true})
	h.methods[a], h.methods[b] = Query, Subscription
	h.drain()
	if a != 500 || b != 7 {
		t.Fatalf("ids %d %d", a, b)
	}
	eq(t, "frames", h.takeFrames(s), []string{batch(q(1, "a"), subAfter(2, "b", "3"))})
	h.recv(s, data(1, `"x"`))
	h.recv(s, started(2))
	h.recv(s, tracked(2, "4", `1`))
	eq(t, "outputs", h.takeKinds(), []string{`result 500 "x"`, "started 7", `event 7 #4 {"id":"4","data":1}`})
	// Lost and re-sent: same id for the driver, the same wire id on the new
	// socket (it is not on any other).
	h.lose(s, 1006)
	s2 := h.connect()
	eq(t, "resubscribe", h.takeFrames(s2), []string{subAfter(2, "b", "4")})
	h.cancel(7)
	eq(t, "stop", h.takeFrames(s2), []string{stop(2)})
	h.cancel(7) // ended: ignored
	h.cancel(12345)
	// A live id cannot be reused.
	h.c.StartCall(h.now, Call{ID: 9, Method: Query, Path: "c"})
	h.methods[9] = Query
	defer func() {
		if recover() == nil {
			t.Error("no panic for a live id")
		}
	}()
	h.c.StartCall(h.now, Call{ID: 9, Method: Query, Path: "c"})
}

func TestPingFloodQueuesOnePong(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	// The writer is busy: nothing is transmitted while 1e5 PINGs arrive.
	for range 100000 {
		h.c.Message(h.now, s, Ping)
	}
	if k := h.c.conn(s); len(k.ctrl) != 1 || string(k.ctrl[0]) != "PONG" {
		t.Fatalf("%d control frames queued", len(k.ctrl))
	}
	h.drain()
	eq(t, "frames", h.takeFrames(s), []string{"PONG"})
	// Once sent, the next PING gets its own PONG.
	h.recv(s, "PING")
	h.recv(s, "PING")
	eq(t, "frames", h.takeFrames(s), []string{"PONG", "PONG"})
}

// AppendTransmit gives the frames PollTransmit gives, appended to what the
// caller passed, and counts only the frame in the stats.
func TestAppendTransmitMatchesPollTransmit(t *testing.T) {
	t.Parallel()
	drive := func(poll func(c *Client, s SocketID) []string) ([]string, Stats) {
		c := New(Config{}, 1)
		drainOutputs(c)
		c.Opened(1, 1, nil)
		drainOutputs(c)
		var frames []string
		c.Start(2, Query, "a", []byte(`{"x":1}`), nil)
		frames = append(frames, poll(c, 1)...)
		c.Start(3, Query, "b", nil, nil)
		c.Start(3, Mutation, "c", []byte(`2`), nil)
		c.Message(3, 1, []byte("PING")) // a PONG control frame, ahead of the batch
		frames = append(frames, poll(c, 1)...)
		return frames, c.Stats()
	}
	want, wantStats := drive(func(c *Client, s SocketID) (out []string) {
		for {
			f, ok := c.PollTransmit(s)
			if !ok {
				return out
			}
			out = append(out, string(f))
		}
	})
	got, gotStats := drive(func(c *Client, s SocketID) (out []string) {
		buf := append(make([]byte, 0, 8), "xy"...)
		for {
			n := len(buf)
			next, ok := c.AppendTransmit(buf, s)
			if !ok {
				if string(next) != string(buf) {
					t.Errorf("AppendTransmit changed dst when it had nothing: %q", next)
				}
				return out
			}
			if string(next[:n]) != string(buf) {
				t.Errorf("AppendTransmit did not keep dst: %q", next[:n])
			}
			out = append(out, string(next[n:]))
			buf = next
		}
	})
	eq(t, "frames", got, want)
	if len(want) != 3 || want[1] != "PONG" {
		t.Fatalf("frames %q: want a query, PONG, a batch", want)
	}
	if gotStats.BytesOut != wantStats.BytesOut || gotStats.FramesOut != wantStats.FramesOut {
		t.Errorf("stats %d frames %d bytes, want %d, %d", gotStats.FramesOut, gotStats.BytesOut, wantStats.FramesOut, wantStats.BytesOut)
	}
}
