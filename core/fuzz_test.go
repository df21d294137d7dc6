package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"unicode/utf8"
)

// decodeSeeds are the server frames of protocol.md §1 and malformed ones.
var decodeSeeds = []string{
	`{"id":1,"result":{"type":"data","data":"hello a"}}`,
	`{"id":2,"result":{"type":"data"}}`,
	`{"id":3,"result":{"type":"started"}}`,
	`{"id":3,"result":{"type":"data","data":{"hi":1}}}`,
	`{"id":3,"result":{"type":"data","id":"42","data":{"id":"42","data":{"n":1}}}}`,
	`{"id":3,"result":{"type":"data","id":42,"data":{"id":42,"data":{"n":1}}}}`,
	`{"id":3,"result":{"type":"stopped"}}`,
	`{"id":4,"error":{"message":"nope","code":-32600,"data":{"code":"BAD_REQUEST","httpStatus":400,"path":"fail","stack":"..."}}}`,
	`{"id":null,"error":{"message":"bad token","code":-32001,"data":{"code":"UNAUTHORIZED","httpStatus":401}}}`,
	`{"id":null,"method":"reconnect"}`,
	`{"id":"5","jsonrpc":"2.0","result":{"type":"data","data":[1,{"a":null}],"x":1}}`,
	`{"id":1,"result":{"type":"data","id":"a\"\u00e9\ud83d\ude00","data":"\ud83d"}}`,
	`PING`,
	`PONG`,
	`{"id":1,"result":`,
	`{"id":1,"result":{"type":"data"}}x`,
	`{"id":1,"result":{"data":1}}`,
	`{"id":1,"result":"data"}`,
	`{"id":1,"result":{"type":"data","data":"\x"}}`,
	`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`,
	`{"id":-0.5e+10,"error":{"message":"m","code":1e400}}`,
}

func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		orig := bytes.Clone(frame)
		r, err := Decode(frame)
		if !bytes.Equal(frame, orig) {
			t.Fatal("Decode modified its input")
		}
		if err != nil {
			var fe *FrameError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T, want *FrameError", err)
			}
			if fe.Offset < 0 || fe.Offset > len(frame) {
				t.Fatalf("offset %d out of range", fe.Offset)
			}
			_ = fe.Error()
			return
		}
		// Anything Decode accepts is one JSON value (encoding/json agrees),
		// and its payloads are JSON values themselves.
		if !json.Valid(frame) {
			t.Fatalf("Decode accepted invalid JSON %q", frame)
		}
		if r.Data != nil && (!Valid(r.Data) || !json.Valid(r.Data)) {
			t.Fatalf("Data %q is not valid JSON", r.Data)
		}
		if r.Error != nil {
			if !Valid(r.Error) || !json.Valid(r.Error) || r.Error[0] != '{' {
				t.Fatalf("Error %q is not a JSON object", r.Error)
			}
			e := ParseError(r.Error)
			if e.Code == "" || e.Message == "" || e.Error() == "" {
				t.Fatalf("ParseError(%s) = %+v", r.Error, e)
			}
			if e.Data != nil && !Valid(e.Data) {
				t.Fatalf("TRPCError.Data %q is not valid JSON", e.Data)
			}
		}
		if r.Error == nil && r.Method == "" && r.Type == ResultNone {
			t.Fatalf("accepted a frame with nothing in it: %q", frame)
		}
		if r.HasEventID && r.Type != ResultData && r.Type != ResultStarted && r.Type != ResultStopped {
			t.Fatalf("event id without result: %+v", r)
		}
		// A valid frame decodes the same after re-indentation.
		var buf bytes.Buffer
		if json.Indent(&buf, frame, "", " ") == nil {
			r2, err := Decode(buf.Bytes())
			if err != nil {
				t.Fatalf("indented frame rejected: %v", err)
			}
			if r2.ID != r.ID || r2.HasID != r.HasID || r2.Type != r.Type || r2.Method != r.Method ||
				r2.EventID != r.EventID || r2.HasEventID != r.HasEventID || (r2.Data == nil) != (r.Data == nil) || (r2.Error == nil) != (r.Error == nil) {
				t.Fatalf("indentation changed the decoding: %+v vs %+v", r, r2)
			}
		}
	})
}

func FuzzValid(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`"\ud83d\ude00"`))
	f.Add([]byte(`-0.0e-0`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got := Valid(b)
		want := json.Valid(b)
		if got && !want {
			t.Fatalf("Valid(%q) = true, encoding/json says invalid", b)
		}
		if !got && want && depth(b) <= 500 {
			t.Fatalf("Valid(%q) = false, encoding/json says valid", b)
		}
		// unescape agrees with encoding/json on every valid string.
		str := bytes.TrimSpace(b)
		if want && len(str) > 1 && str[0] == '"' && utf8.Valid(str) {
			var std string
			if err := json.Unmarshal(str, &std); err != nil {
				t.Fatal(err)
			}
			if got := unescape(str[1 : len(str)-1]); got != std {
				t.Fatalf("unescape(%q) = %q, encoding/json %q", str, got, std)
			}
		}
	})
}

func depth(b []byte) int {
	d, m := 0, 0
	for _, c := range b {
		switch c {
		case '[', '{':
			d++
			m = max(m, d)
		case ']', '}':
			d--
		}
	}
	return m
}

// FuzzMessage feeds arbitrary frames, split on 0x1e, into a client with a
// query, a mutation and two subscriptions in flight on socket 1 and a
// replacement socket 2 open (a server reconnect in progress).
func FuzzMessage(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s), uint8(0))
	}
	f.Add([]byte(started(3)+"\x1e"+tracked(3, "1", "1")+"\x1e"+stopped(3)), uint8(1))
	f.Add([]byte(data(1, "1")+"\x1e"+data(2, "2")+"\x1e"+stopped(4)+"\x1ePONG"), uint8(2))
	f.Add([]byte(`{"id":3,"error":{"code":-32600}}`+"\x1e"+reconnectFrame), uint8(3))
	f.Fuzz(func(t *testing.T, frames []byte, route uint8) {
		h, s1 := connected(t, Config{KeepAlive: true})
		h.start(Query, "q", "")
		h.start(Mutation, "m", `{}`)
		h.start(Subscription, "a", "")
		h.start(Subscription, "b", `1`)
		h.drain()
		h.recv(s1, started(3))
		h.recv(s1, tracked(3, "7", "7"))
		h.recv(s1, reconnectFrame)
		h.open(2)
		for i, fr := range bytes.Split(frames, []byte{0x1e}) {
			sock := SocketID(1 + (int(route)>>(i%8))&1)
			h.c.Message(h.now, sock, fr)
			h.drain()
			h.advance(int64(route) * 10)
		}
		h.finish()
	})
}

// finish closes the client and checks that everything ended: every request
// has a final output, every socket was closed, no timer is left, and the
// client can be used again.
func (h *harness) finish() {
	h.t.Helper()
	h.close()
	h.abort()
	for id := range h.methods {
		if _, ok := h.final[id]; !ok {
			h.t.Errorf("request %d never ended; outputs %v", id, renderAll(h.of(id)))
		}
	}
	if h.c.State() != StateIdle {
		h.t.Errorf("state %v after close", h.c.State())
	}
	if h.deadlineIn() != -1 {
		h.t.Errorf("timer armed after close: %d", h.deadlineIn())
	}
	last := h.outs[len(h.outs)-1]
	if last.Kind != OutClosed {
		h.t.Errorf("last output %s, want closed", render(last))
	}
	if len(h.c.conns) != 0 {
		for _, k := range h.c.conns {
			if _, ok := h.closed[k.id]; !ok && k.phase != connClosing {
				h.t.Errorf("socket %d left open", k.id)
			}
		}
	}
	if h.c.reqs.len() != 0 || len(h.c.outgoing) != 0 || h.c.draining.len() != 0 {
		h.t.Errorf("leftovers: %d requests, %d outgoing, %d draining", h.c.reqs.len(), len(h.c.outgoing), h.c.draining.len())
	}
	// Usable again.
	n := len(h.dials())
	id := h.query("again")
	if len(h.dials()) != n+1 {
		h.t.Errorf("no dial for a request after close")
		return
	}
	s := h.lastDial()
	h.open(s)
	h.recv(s, data(id, `1`))
	if o, ok := h.final[id]; !ok || o.Kind != OutResult {
		h.t.Errorf("request after close: %v", renderAll(h.of(id)))
	}
}

// FuzzClient runs random sequences of user, socket and timer events, with
// a fake server that answers plausibly, and checks the invariants of the
// harness (ids, final outputs, wire rules) and that Close ends everything.
func FuzzClient(f *testing.F) {
	f.Add([]byte{0, 1, 3, 5, 0, 5, 1, 7, 3, 5, 2, 6, 4, 9, 1, 10})
	f.Add([]byte{1, 1, 3, 0, 5, 2, 7, 0, 3, 1, 5, 1, 4, 1, 3, 5, 0})
	f.Add([]byte{14, 1, 0, 4, 0, 9, 30, 3, 0, 8, 0, 4, 0, 3, 0, 5, 3})
	f.Add([]byte{1, 0, 3, 0, 5, 1, 5, 2, 7, 0, 3, 1, 5, 1, 7, 1, 3, 2, 5, 1, 4, 2, 5, 0, 6, 1, 4, 0})
	f.Add([]byte{13, 1, 1, 0, 1, 1, 3, 0, 7, 0, 4, 0, 12, 0})
	f.Fuzz(func(t *testing.T, prog []byte) {
		if len(prog) == 0 {
			return
		}
		cfg := Config{}
		var retry func(int) int64
		switch prog[0] % 4 {
		case 1:
			cfg.Lazy, cfg.LazyCloseMs = true, 50
		case 2:
			cfg.KeepAlive, cfg.KeepAliveIntervalMs, cfg.PongTimeoutMs = true, 100, 30
		case 3:
			cfg.AskRetry, retry = true, func(i int) int64 { return int64(i%3) * 7 }
		}
		// The policies of issue 10, in any combination.
		p := prog[0] >> 2
		if p&1 != 0 {
			cfg.MaxAttempts = 3
		}
		if p&2 != 0 {
			cfg.ConnectTimeoutMs = 40
		}
		if p&4 != 0 {
			cfg.RequestTimeoutMs = 60
		}
		if p&8 != 0 {
			cfg.MaxQueued = 2
		}
		if p&16 != 0 {
			cfg.MinUptimeMs = 30
		}
		cfg.Events = p&32 != 0
		h := newHarness(t, cfg)
		h.retry = retry
		if p&1 != 0 && cfg.AskRetry {
			h.shouldRetry = func(o Output) bool { return o.Attempt < 4 }
		}
		runProgram(h, prog[1:])
		h.finish()
	})
}

// runProgram interprets prog as (op, arg) pairs.
func runProgram(h *harness, prog []byte) {
	h.t.Helper()
	var ids []int64
	open := map[SocketID]bool{} // dialled and not reported closed
	pick := func(arg byte) (SocketID, bool) {
		d := h.dials()
		var live []SocketID
		for _, s := range d {
			if open[s] {
				live = append(live, s)
			}
		}
		if len(live) == 0 {
			return 0, false
		}
		return live[int(arg)%len(live)], true
	}
	for _, s := range h.dials() {
		open[s] = true
	}
	wireID := func(arg byte) int64 {
		if len(ids) == 0 {
			return 1
		}
		// The wire id may differ from the key after a re-send; try both.
		return ids[int(arg)%len(ids)] + int64(arg>>7)
	}
	opened := map[SocketID]bool{}
	for i := 0; i+1 < len(prog); i += 2 {
		op, arg := prog[i]%22, prog[i+1]
		switch op {
		case 0:
			ids = append(ids, h.query("q"))
		case 1:
			ids = append(ids, h.subscribe("s"))
		case 2:
			if len(ids) > 0 {
				h.cancel(ids[int(arg)%len(ids)])
			}
		case 3: // open a dialled socket
			for _, s := range h.dials() {
				if !open[s] {
					open[s] = true
				}
			}
			if s, ok := pick(arg); ok && !opened[s] {
				opened[s] = true
				if arg&1 == 1 {
					h.openParams(s, `{"t":"x"}`)
				} else {
					h.open(s)
				}
			}
		case 4: // socket closes
			for _, s := range h.dials() {
				if _, seen := open[s]; !seen {
					open[s] = true
				}
			}
			if s, ok := pick(arg); ok {
				open[s] = false
				h.lose(s, 1000+int(arg%10))
			}
		case 5, 6: // the server answers
			if s, ok := pick(arg >> 4); ok && opened[s] {
				id := wireID(arg)
				frames := []string{
					data(id, `1`), started(id), tracked(id, fmt.Sprint(arg%5), `2`), stopped(id),
					`{"id":` + fmt.Sprint(id) + `,"error":{"message":"x","code":-32600}}`, `{"id":` + fmt.Sprint(id) + `,"result":{"type":"data"}}`,
					"PONG", "PING",
				}
				h.recv(s, frames[int(arg)%len(frames)])
			}
		case 7:
			if s, ok := pick(arg); ok && opened[s] {
				h.recv(s, reconnectFrame)
			}
		case 8:
			if s, ok := pick(arg); ok {
				h.recv(s, `{"id":null,"error":{"message":"no","code":-32001}}`)
			}
		case 9:
			h.advance(int64(arg))
		case 10:
			h.close()
		case 11:
			h.abort()
		case 12:
			if s, ok := pick(arg); ok {
				h.recv(s, `{"id":1,"result":`)
			}
		case 13:
			// Several requests in one tick.
			for range arg%4 + 1 {
				ids = append(ids, h.start(Method(1+arg%3), "b", ""))
			}
			h.drain()
		case 14:
			ids = append(ids, h.startResume("r", `{"x":1}`, fmt.Sprint(arg)))
			h.drain()
		case 15:
			h.advance(int64(arg) * 100)
		case 16:
			h.c.Reconnect(h.now)
			h.drain()
		case 17:
			h.c.Offline(h.now)
			h.drain()
		case 18:
			h.c.Online(h.now)
			h.drain()
		case 19:
			h.c.Wake(h.now)
			h.drain()
		case 20:
			h.suspend()
		case 21:
			h.resume()
		}
	}
}

func TestRunProgramSmoke(t *testing.T) {
	t.Parallel()
	// A fixed program through every op, so that the fuzz helpers are
	// exercised by go test too.
	prog := []byte{}
	for op := range 22 {
		for _, arg := range []byte{0, 1, 2, 17, 130} {
			prog = append(prog, byte(op), arg)
		}
	}
	for _, cfg := range []Config{{}, {Lazy: true, LazyCloseMs: 50}, {KeepAlive: true, KeepAliveIntervalMs: 100, PongTimeoutMs: 30},
		{MaxAttempts: 2, ConnectTimeoutMs: 40, RequestTimeoutMs: 60, MaxQueued: 2, MinUptimeMs: 30, Events: true}} {
		h := newHarness(t, cfg)
		runProgram(h, prog)
		h.finish()
	}
}
