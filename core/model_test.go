package core

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"testing"
)

// fakeServer models @trpc/server's WebSocket adapter closely enough to
// check the client's end-to-end promises: a global log of tracked events
// that every subscription receives and replays after lastEventId, answers
// to queries, PING/PONG, subscription.stop → stopped, server-requested
// reconnects, and sockets whose frames are delivered with arbitrary delays
// (in order per direction).
type fakeServer struct {
	h      *harness
	log    int // events 1..log exist
	socks  map[SocketID]*srvSock
	order  []SocketID // dial order
	cursor int        // outputs already looked at
	last   map[int64]int
}

type srvSock struct {
	id       SocketID
	opened   bool // the harness called Opened
	closing  bool // the client asked to close it
	gone     bool
	c2s, s2c []string
	subs     map[int64]bool // wire ids live on the server
}

func newFakeServer(h *harness) *fakeServer {
	f := &fakeServer{h: h, socks: make(map[SocketID]*srvSock), last: make(map[int64]int)}
	f.sync()
	return f
}

// sync picks up new dials, socket closes, transmitted frames and delivered
// events, checking the event order promise on the way.
func (f *fakeServer) sync() {
	h := f.h
	for ; f.cursor < len(h.outs); f.cursor++ {
		o := h.outs[f.cursor]
		switch o.Kind {
		case OutDial:
			f.socks[o.Sock] = &srvSock{id: o.Sock, subs: make(map[int64]bool)}
			f.order = append(f.order, o.Sock)
		case OutCloseSocket:
			if s := f.socks[o.Sock]; s != nil {
				s.closing = true
				if o.Abort {
					f.drop(s)
				}
			}
		case OutEvent:
			if !o.HasEventID {
				continue
			}
			e, err := strconv.Atoi(o.EventID)
			if err != nil {
				h.t.Errorf("event id %q", o.EventID)
				continue
			}
			// Every subscription starts from lastEventId "0": it must see
			// 1, 2, 3, ... each exactly once.
			if prev := f.last[o.ID]; e != prev+1 {
				h.t.Errorf("subscription %d: event %d after %d (lost or duplicated events)", o.ID, e, prev)
			}
			f.last[o.ID] = e
		}
	}
	for _, id := range f.order {
		s := f.socks[id]
		if s.gone {
			h.takeFrames(id)
			continue
		}
		s.c2s = append(s.c2s, h.takeFrames(id)...)
	}
}

func (f *fakeServer) drop(s *srvSock) {
	s.gone = true
	s.c2s, s.s2c = nil, nil
	clear(s.subs)
}

// alive lists the sockets still connected, in dial order.
func (f *fakeServer) alive(opened bool) []*srvSock {
	var l []*srvSock
	for _, id := range f.order {
		s := f.socks[id]
		if !s.gone && s.opened == opened {
			l = append(l, s)
		}
	}
	return l
}

func pickSock(l []*srvSock, arg byte) *srvSock {
	if len(l) == 0 {
		return nil
	}
	return l[int(arg)%len(l)]
}

// serve processes the next client frame on s.
func (f *fakeServer) serve(s *srvSock) {
	if len(s.c2s) == 0 {
		return
	}
	frame := s.c2s[0]
	s.c2s = s.c2s[1:]
	if frame == "PING" {
		s.s2c = append(s.s2c, "PONG")
		return
	}
	if frame == "PONG" {
		return
	}
	type msg struct {
		ID     int64
		Method string
		Params struct {
			LastEventID *string `json:"lastEventId"`
		}
	}
	var msgs []msg
	if frame[0] == '[' {
		if err := json.Unmarshal([]byte(frame), &msgs); err != nil {
			f.h.t.Fatalf("bad batch %s", frame)
		}
	} else {
		var m msg
		if err := json.Unmarshal([]byte(frame), &m); err != nil {
			f.h.t.Fatalf("bad frame %s", frame)
		}
		msgs = []msg{m}
	}
	for _, m := range msgs {
		switch m.Method {
		case "connectionParams":
		case "query", "mutation":
			s.s2c = append(s.s2c, data(m.ID, `"ok"`))
		case "subscription":
			if s.subs[m.ID] {
				f.h.t.Errorf("socket %d: duplicate subscription id %d", s.id, m.ID)
				s.s2c = append(s.s2c, `{"id":`+itoa(m.ID)+`,"error":{"message":"Duplicate id","code":-32600}}`)
				continue
			}
			s.subs[m.ID] = true
			s.s2c = append(s.s2c, started(m.ID))
			if m.Params.LastEventID != nil {
				from, err := strconv.Atoi(*m.Params.LastEventID)
				if err != nil {
					f.h.t.Fatalf("lastEventId %q", *m.Params.LastEventID)
				}
				for e := from + 1; e <= f.log; e++ {
					s.s2c = append(s.s2c, tracked(m.ID, itoa(int64(e)), itoa(int64(e))))
				}
			}
		case "subscription.stop":
			if s.subs[m.ID] {
				delete(s.subs, m.ID)
				s.s2c = append(s.s2c, stopped(m.ID))
			}
		default:
			f.h.t.Fatalf("unknown method in %s", frame)
		}
	}
}

// deliver hands the next server frame on s to the client.
func (f *fakeServer) deliver(s *srvSock) {
	if len(s.s2c) == 0 {
		return
	}
	frame := s.s2c[0]
	s.s2c = s.s2c[1:]
	f.h.recv(s.id, frame)
	f.sync()
}

func (f *fakeServer) event() {
	f.log++
	for _, s := range f.alive(true) {
		ids := make([]int64, 0, len(s.subs))
		for id := range s.subs {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			s.s2c = append(s.s2c, tracked(id, itoa(int64(f.log)), itoa(int64(f.log))))
		}
	}
}

// quiesce delivers everything, opens every dial, finishes every close and
// runs every timer until nothing moves.
func (f *fakeServer) quiesce() {
	h := f.h
	for round := 0; ; round++ {
		if round > 1000 {
			h.t.Fatalf("no quiescence")
		}
		moved := false
		for _, s := range f.alive(true) {
			for len(s.c2s) > 0 || len(s.s2c) > 0 {
				moved = true
				f.serve(s)
				f.deliver(s)
			}
		}
		for _, s := range f.alive(true) {
			if s.closing {
				moved = true
				f.drop(s)
				h.lose(s.id, 1000)
				f.sync()
			}
		}
		for _, s := range f.alive(false) {
			if !s.closing {
				moved = true
				s.opened = true
				h.open(s.id)
				f.sync()
			} else {
				f.drop(s)
				h.lose(s.id, 1006)
				f.sync()
			}
		}
		if !moved {
			if d := h.deadlineIn(); d >= 0 {
				h.advance(d)
				f.sync()
				continue
			}
			return
		}
	}
}

func runModel(t testing.TB, prog []byte) {
	cfg := Config{}
	var retry func(int) int64
	if len(prog) > 0 && prog[0]&1 == 1 {
		cfg.AskRetry, retry = true, func(i int) int64 { return int64(i%4) * 10 }
	}
	if len(prog) > 0 && prog[0]&2 == 2 {
		cfg.Lazy, cfg.LazyCloseMs = true, 20
	}
	h := newHarness(t, cfg)
	h.retry = retry
	f := newFakeServer(h)
	var keys []int64
	for i := 1; i+1 < len(prog); i += 2 {
		op, arg := prog[i]%17, prog[i+1]
		switch op {
		case 0:
			keys = append(keys, h.query("q"))
		case 1, 2:
			// With a lastEventId from the start, every (re)subscription
			// resumes: no event may be lost, whatever the interleaving.
			keys = append(keys, h.startResume("s", "", "0"))
			h.drain()
		case 3:
			if len(keys) > 0 {
				h.cancel(keys[int(arg)%len(keys)])
			}
		case 4: // a dial completes
			if s := pickSock(f.alive(false), arg); s != nil && !s.closing {
				s.opened = true
				if arg&1 == 1 {
					h.openParams(s.id, `{}`)
				} else {
					h.open(s.id)
				}
			}
		case 5: // a dial fails
			if s := pickSock(f.alive(false), arg); s != nil {
				f.drop(s)
				h.lose(s.id, 1006)
			}
		case 6: // an open socket is lost
			if s := pickSock(f.alive(true), arg); s != nil {
				f.drop(s)
				h.lose(s.id, 1006)
			}
		case 7, 8: // the server reads frames
			if s := pickSock(f.alive(true), arg); s != nil {
				for range int(arg>>4)%3 + 1 {
					f.serve(s)
				}
			}
		case 9, 10: // the client reads frames
			if s := pickSock(f.alive(true), arg); s != nil {
				for range int(arg>>4)%3 + 1 {
					f.deliver(s)
				}
			}
		case 11:
			f.event()
		case 12: // the server asks to reconnect
			if s := pickSock(f.alive(true), arg); s != nil {
				s.s2c = append(s.s2c, reconnectFrame)
			}
		case 13: // a close the client asked for completes
			for _, s := range f.alive(true) {
				if s.closing {
					f.drop(s)
					h.lose(s.id, 1000)
					break
				}
			}
		case 14:
			if arg%8 == 0 {
				h.close()
			} else {
				h.advance(int64(arg))
			}
		case 15: // the page goes into the back/forward cache
			h.suspend()
		case 16: // and comes back
			h.resume()
		}
		f.sync()
	}
	if h.c.link.suspended {
		h.resume()
		f.sync()
	}
	f.quiesce()

	// At rest: one socket at most, carrying every live subscription once.
	var live []int64
	for _, k := range keys {
		if h.methods[k] == Subscription && h.pending(k) {
			live = append(live, k)
		}
		if h.methods[k] != Subscription && h.pending(k) {
			t.Errorf("query %d never ended", k)
		}
	}
	open := f.alive(true)
	if len(open) > 1 {
		var ids []SocketID
		for _, s := range open {
			ids = append(ids, s.id)
		}
		t.Fatalf("sockets %v still open at rest (retired sockets not closed)", ids)
	}
	if len(live) > 0 {
		if len(open) != 1 {
			t.Fatalf("%d live subscriptions and %d sockets", len(live), len(open))
		}
		if len(open[0].subs) != len(live) {
			t.Fatalf("%d live subscriptions, %d on the server", len(live), len(open[0].subs))
		}
		if h.c.State() != StatePending {
			t.Errorf("state %v at rest", h.c.State())
		}
	}
	// A new event reaches every live subscription exactly once.
	before := map[int64]int{}
	for _, k := range live {
		before[k] = len(h.of(k, OutEvent))
	}
	f.event()
	f.quiesce()
	for _, k := range live {
		evs := h.of(k, OutEvent)
		if len(evs)-before[k] != 1 || evs[len(evs)-1].EventID != itoa(int64(f.log)) {
			t.Errorf("subscription %d: new event %d delivered as %v", k, f.log, renderAll(evs[before[k]:]))
		}
	}
	h.finish()
}

// FuzzServerModel runs random interleavings against fakeServer: sockets
// opening, failing and dropping, frames delayed either way, events,
// server-requested reconnects and cancels. Subscriptions must see every
// tracked event once and in order once they have seen one, and at rest the
// client must hold one socket carrying each live subscription once.
// modelSeeds are fixed interleavings: (config, then op/arg pairs).
var modelSeeds = [][]byte{
	// The make-before-break move with an event delivered by the old socket
	// during the overlap and replayed by the new one.
	{0, 1, 0, 4, 0, 7, 0, 9, 0, 11, 0, 9, 0, 12, 0, 9, 0, 4, 0, 11, 0, 9, 0, 7, 1, 9, 1, 9, 1, 11, 0, 9, 0, 9, 1},
	// The same, with the old socket lost before the new one confirms.
	{0, 1, 0, 4, 0, 7, 0, 9, 0, 11, 0, 9, 0, 12, 0, 9, 0, 4, 0, 11, 0, 9, 0, 6, 0, 7, 0, 9, 0, 9, 0},
	// The same, with the new socket lost after confirming.
	{0, 1, 0, 4, 0, 7, 0, 9, 0, 11, 0, 9, 0, 12, 0, 9, 0, 4, 0, 11, 0, 9, 0, 7, 1, 9, 1, 9, 1, 6, 1, 7, 0, 9, 0},
	{0, 1, 0, 0, 0, 4, 0, 7, 0, 9, 0, 11, 0, 12, 0, 9, 0, 11, 0, 4, 0, 7, 0, 9, 0, 11, 0, 9, 0},
	{0, 1, 0, 2, 0, 4, 0, 7, 0, 9, 0, 11, 0, 12, 0, 9, 0, 4, 0, 7, 0, 11, 0, 9, 1, 6, 1, 7, 0, 9, 0},
	{1, 1, 0, 4, 0, 7, 0, 9, 0, 12, 0, 9, 0, 4, 0, 7, 0, 9, 0, 12, 1, 9, 1, 4, 0, 7, 2, 9, 2, 6, 2},
	{0, 0, 0, 1, 0, 4, 1, 11, 0, 7, 0, 10, 0, 6, 0, 5, 0, 14, 10, 4, 0, 8, 0, 9, 0, 3, 0, 14, 0},
	// Lazy: a move, then the subscription ends and the socket idles out.
	{2, 1, 0, 4, 0, 7, 0, 9, 0, 11, 0, 12, 0, 9, 0, 4, 0, 7, 1, 9, 1, 3, 0, 14, 100},
	// Suspend (the back/forward cache) with events the client has not
	// read yet, the close completing, then Resume: it resumes after the
	// last event delivered.
	{0, 1, 0, 4, 0, 7, 0, 9, 0, 11, 0, 9, 0, 11, 0, 15, 0, 11, 0, 13, 0, 16, 0, 4, 0, 7, 0, 9, 0, 11, 0, 9, 0},
	// Suspend in the middle of a move, the old socket still delivering.
	{0, 1, 0, 4, 0, 7, 0, 9, 0, 11, 0, 9, 0, 12, 0, 9, 0, 4, 0, 11, 0, 9, 0, 7, 1, 15, 0, 13, 0, 13, 0, 16, 0, 4, 0, 7, 0, 9, 0, 9, 0},
	// Lazy: a call made while suspended dials on Resume.
	{2, 15, 0, 0, 0, 14, 100, 16, 0, 4, 0, 7, 0, 9, 0, 14, 100},
}

// FuzzServerModel runs random interleavings against fakeServer: sockets
// opening, failing and dropping, frames delayed either way, events,
// server-requested reconnects and cancels. Subscriptions must see every
// tracked event once and in order once they have seen one, and at rest the
// client must hold one socket carrying each live subscription once.
func FuzzServerModel(f *testing.F) {
	for _, p := range modelSeeds {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, prog []byte) {
		runModel(t, prog)
	})
}

func TestServerModelSeeds(t *testing.T) {
	t.Parallel()
	for i, p := range modelSeeds {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			runModel(t, p)
		})
	}
}
