package core

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// harness drives a Client with a fake clock, as a driver would: it polls
// every output, pulls PollTransmit whenever OutWrite appears, and records
// what was delivered and what went out on each socket. No goroutines, no
// sleeping: time moves only through advance.
type harness struct {
	t   testing.TB
	c   *Client
	now int64
	// retry answers OutRetry (Config.AskRetry), as a driver calling the
	// user's retry function would; nil answers ExponentialBackoff.
	retry func(attempt int) int64
	// shouldRetry, when set, may answer OutRetry with GiveUp.
	shouldRetry func(o Output) bool

	outs   []Output              // every output, in order (Data copied)
	cursor int                   // start of the outputs take() has not returned
	sent   map[SocketID][]string // frames transmitted per socket
	seen   map[SocketID]int      // frames takeFrames already returned
	closed map[SocketID]Output   // OutCloseSocket per socket

	// invariant bookkeeping
	methods map[int64]Method // id → method, from start
	final   map[int64]Output // id → its final output
	wire    map[SocketID]*wireLog
	sentIDs map[int64]SocketID // query/mutation wire ids sent, and where
	resent  map[int64]bool     // query/mutation wire ids sent a second time
}

// wireLog is what one socket carried, to check the wire rules of
// protocol.md §1.
type wireLog struct {
	params  bool           // opened with connection params
	n       int            // frames sent
	subs    map[int64]bool // subscription ids sent
	stopped map[int64]bool // subscription.stop ids sent
}

func newHarness(t testing.TB, cfg Config) *harness {
	t.Helper()
	h := &harness{
		t:       t,
		now:     1000,
		sent:    make(map[SocketID][]string),
		seen:    make(map[SocketID]int),
		closed:  make(map[SocketID]Output),
		methods: make(map[int64]Method),
		final:   make(map[int64]Output),
		wire:    make(map[SocketID]*wireLog),
		sentIDs: make(map[int64]SocketID),
		resent:  make(map[int64]bool),
	}
	h.c = New(cfg, h.now)
	h.drain()
	return h
}

// newHarnessRetry is newHarness for a client that asks retry for its
// retry delays.
func newHarnessRetry(t testing.TB, cfg Config, retry func(attempt int) int64) *harness {
	t.Helper()
	cfg.AskRetry = true
	h := newHarness(t, cfg)
	h.retry = retry
	return h
}

// drain polls every output, transmitting on OutWrite, and checks the
// per-request invariants.
func (h *harness) drain() {
	h.t.Helper()
	for guard := 0; ; guard++ {
		if guard > 100000 {
			h.t.Fatalf("Poll never ran dry")
		}
		o, ok := h.c.Poll()
		if !ok {
			h.checkPhases()
			return
		}
		if o.Data != nil {
			o.Data = slices.Clone(o.Data)
		}
		h.outs = append(h.outs, o)
		h.check(o)
		switch o.Kind {
		case OutRetry:
			d := ExponentialBackoff(o.Attempt)
			if h.retry != nil {
				d = h.retry(o.Attempt)
			}
			give := h.shouldRetry != nil && !h.shouldRetry(o)
			h.c.Retry(h.now, RetryAnswer{Attempt: o.Attempt, DelayMs: d, GiveUp: give})
		case OutWrite:
			h.transmit(o.Sock)
		case OutCloseSocket:
			if prev, dup := h.closed[o.Sock]; dup {
				h.t.Errorf("socket %d closed twice: %+v then %+v", o.Sock, prev, o)
			}
			h.closed[o.Sock] = o
		}
	}
}

// checkPhases checks that the role pointers name the sockets in their
// phase: one socket per role, and none outside Client.conns.
func (h *harness) checkPhases() {
	h.t.Helper()
	for _, p := range []connPhase{connDialing, connActive, connRetired} {
		role := *h.c.role(p)
		n := 0
		for _, k := range h.c.conns {
			if k.phase == p {
				n++
				if role != k {
					h.t.Errorf("socket %d in phase %d, role names %v", k.id, p, role)
				}
			}
		}
		if n > 1 || role != nil && (role.phase != p || !slices.Contains(h.c.conns, role)) {
			h.t.Errorf("phase %d: %d sockets, role %v", p, n, role)
		}
	}
}

func (h *harness) transmit(sock SocketID) {
	h.t.Helper()
	for guard := 0; ; guard++ {
		if guard > 100000 {
			h.t.Fatalf("PollTransmit(%d) never ran dry", sock)
		}
		f, ok := h.c.PollTransmit(sock)
		if !ok {
			return
		}
		if _, closed := h.closed[sock]; closed {
			h.t.Errorf("frame %s transmitted on socket %d after it was closed", f, sock)
		}
		h.sent[sock] = append(h.sent[sock], string(f))
		h.checkFrame(sock, f)
	}
}

func (h *harness) log(sock SocketID) *wireLog {
	w := h.wire[sock]
	if w == nil {
		w = &wireLog{subs: make(map[int64]bool), stopped: make(map[int64]bool)}
		h.wire[sock] = w
	}
	return w
}

// checkFrame enforces the wire rules: connectionParams first when used,
// requests well-formed, stops never batched and only for subscriptions
// sent on that socket, no subscription id sent twice on one socket, no
// query or mutation sent twice.
func (h *harness) checkFrame(sock SocketID, f []byte) {
	h.t.Helper()
	w := h.log(sock)
	w.n++
	if isKeepAlive(f) {
		return
	}
	if !json.Valid(f) {
		h.t.Errorf("socket %d: invalid JSON frame %s", sock, f)
		return
	}
	type msg struct {
		ID     *int64
		Method string
		Params *struct {
			Path        *string
			Input       json.RawMessage
			LastEventID *string `json:"lastEventId"`
		}
		Data json.RawMessage
	}
	var one msg
	var many []msg
	if f[0] == '[' {
		if err := json.Unmarshal(f, &many); err != nil || len(many) < 2 {
			h.t.Errorf("socket %d: bad batch %s (%v)", sock, f, err)
			return
		}
	} else {
		if err := json.Unmarshal(f, &one); err != nil {
			h.t.Errorf("socket %d: bad frame %s (%v)", sock, f, err)
			return
		}
		if one.Method == "connectionParams" {
			if !w.params || w.n != 1 {
				h.t.Errorf("socket %d: connectionParams as frame %d (params %v)", sock, w.n, w.params)
			}
			return
		}
		many = []msg{one}
	}
	if w.params && w.n == 1 {
		h.t.Errorf("socket %d: %s sent before connectionParams", sock, f)
	}
	for _, m := range many {
		if m.ID == nil {
			h.t.Errorf("socket %d: message without id in %s", sock, f)
			continue
		}
		id := *m.ID
		switch m.Method {
		case "query", "mutation":
			if m.Params == nil || m.Params.Path == nil {
				h.t.Errorf("socket %d: request without path: %s", sock, f)
			}
			// Only an auth refresh sends a call twice: once more, on
			// another socket (Config.RefreshAuth).
			if prev, dup := h.sentIDs[id]; dup && (!h.c.cfg.RefreshAuth || h.resent[id] || prev == sock) {
				h.t.Errorf("%s %d sent again on socket %d (first on %d)", m.Method, id, sock, prev)
			} else if dup {
				h.resent[id] = true
			}
			h.sentIDs[id] = sock
		case "subscription":
			if m.Params == nil || m.Params.Path == nil {
				h.t.Errorf("socket %d: subscription without path: %s", sock, f)
			}
			if w.subs[id] {
				h.t.Errorf("subscription id %d sent twice on socket %d", id, sock)
			}
			w.subs[id] = true
		case "subscription.stop":
			if len(many) > 1 {
				h.t.Errorf("socket %d: stop batched: %s", sock, f)
			}
			if !w.subs[id] {
				h.t.Errorf("socket %d: stop for %d, never subscribed there", sock, id)
			}
			if w.stopped[id] {
				h.t.Errorf("socket %d: stop for %d sent twice", sock, id)
			}
			w.stopped[id] = true
		default:
			h.t.Errorf("socket %d: unknown method in %s", sock, f)
		}
	}
}

// check enforces invariants every driver relies on: outputs for a request
// only name ids Start returned, nothing follows a final output, and each
// kind fits the method.
func (h *harness) check(o Output) {
	h.t.Helper()
	switch o.Kind {
	case OutResult, OutStarted, OutEvent, OutComplete, OutError:
	default:
		return
	}
	m, ok := h.methods[o.ID]
	if !ok {
		h.t.Errorf("output for unknown id %d: %+v", o.ID, o)
		return
	}
	if f, done := h.final[o.ID]; done {
		h.t.Errorf("output %+v for id %d after its final output %+v", o, o.ID, f)
		return
	}
	switch o.Kind {
	case OutResult:
		if m == Subscription {
			h.t.Errorf("OutResult for subscription %d", o.ID)
		}
	case OutStarted, OutEvent, OutComplete:
		if m != Subscription {
			h.t.Errorf("%v for %v %d", kindName(o.Kind), m, o.ID)
		}
	case OutError:
		if o.Err == nil {
			h.t.Errorf("OutError without error for %d", o.ID)
		}
	}
	if o.Kind == OutResult || o.Kind == OutComplete || o.Kind == OutError {
		h.final[o.ID] = o
	}
}

// start queues a request WITHOUT draining, so that several starts before the
// next drain are batched, as within one tick of a driver.
func (h *harness) start(m Method, path, input string) int64 {
	h.t.Helper()
	var in []byte
	if input != "" {
		in = []byte(input)
	}
	id := h.c.Start(h.now, m, path, in, nil)
	if _, dup := h.methods[id]; dup {
		h.t.Fatalf("Start returned id %d twice", id)
	}
	h.methods[id] = m
	return id
}

func (h *harness) startResume(path, input, lastEventID string) int64 {
	h.t.Helper()
	var in []byte
	if input != "" {
		in = []byte(input)
	}
	id := h.c.Start(h.now, Subscription, path, in, &lastEventID)
	h.methods[id] = Subscription
	return id
}

// query starts a query and drains (sends it at once if connected).
func (h *harness) query(path string) int64 {
	h.t.Helper()
	id := h.start(Query, path, "")
	h.drain()
	return id
}

func (h *harness) subscribe(path string) int64 {
	h.t.Helper()
	id := h.start(Subscription, path, "")
	h.drain()
	return id
}

func (h *harness) open(sock SocketID) {
	h.t.Helper()
	h.c.Opened(h.now, sock, nil)
	h.drain()
}

func (h *harness) openParams(sock SocketID, params string) {
	h.t.Helper()
	h.log(sock).params = true
	h.c.Opened(h.now, sock, []byte(params))
	h.drain()
}

func (h *harness) recv(sock SocketID, frame string) {
	h.t.Helper()
	h.c.Message(h.now, sock, []byte(frame))
	h.drain()
}

func (h *harness) lose(sock SocketID, code int) {
	h.t.Helper()
	h.c.Closed(h.now, sock, code, nil)
	h.drain()
}

// cancel cancels id; nothing may be delivered for it afterwards.
func (h *harness) cancel(id int64) {
	h.t.Helper()
	h.c.Cancel(h.now, id)
	if _, done := h.final[id]; !done && h.methods[id] != 0 {
		h.final[id] = Output{ID: id} // Kind 0: cancelled
	}
	h.drain()
}

func (h *harness) close() {
	h.t.Helper()
	h.c.Close(h.now)
	h.drain()
}

func (h *harness) abort() {
	h.t.Helper()
	h.c.Abort(h.now)
	h.drain()
}

// advance moves the clock forward by ms, calling Tick at every deadline on
// the way, as a driver's timer would.
func (h *harness) advance(ms int64) {
	h.t.Helper()
	h.advanceTo(h.now + ms)
}

func (h *harness) advanceTo(target int64) {
	h.t.Helper()
	for guard := 0; ; guard++ {
		if guard > 10000 {
			h.t.Fatalf("timers keep firing before %d", target)
		}
		d, ok := h.c.Deadline()
		if !ok || d > target {
			break
		}
		if d > h.now {
			h.now = d
		}
		h.c.Tick(h.now)
		h.drain()
		if d2, ok := h.c.Deadline(); ok && d2 <= h.now {
			h.t.Fatalf("Deadline %d not after Tick(%d)", d2, h.now)
		}
	}
	h.now = target
}

// deadlineIn returns how long until the next deadline, or -1 when none.
func (h *harness) deadlineIn() int64 {
	d, ok := h.c.Deadline()
	if !ok {
		return -1
	}
	return d - h.now
}

// take returns the outputs recorded since the previous take.
func (h *harness) take() []Output {
	o := h.outs[h.cursor:]
	h.cursor = len(h.outs)
	return o
}

// takeKinds is take without OutWrite, rendered for comparison.
func (h *harness) takeKinds() []string {
	var s []string
	for _, o := range h.take() {
		if o.Kind == OutWrite {
			continue
		}
		s = append(s, render(o))
	}
	return s
}

// frames returns every frame transmitted on sock.
func (h *harness) frames(sock SocketID) []string { return h.sent[sock] }

// takeFrames returns the frames sent on sock since the previous takeFrames.
func (h *harness) takeFrames(sock SocketID) []string {
	f := h.sent[sock][h.seen[sock]:]
	h.seen[sock] = len(h.sent[sock])
	return f
}

// states returns every OutState as "state" or "state: error".
func (h *harness) states() []string {
	var s []string
	for _, o := range h.outs {
		if o.Kind == OutState {
			s = append(s, stateString(o))
		}
	}
	return s
}

func stateString(o Output) string {
	if o.Err == nil {
		return o.State.String()
	}
	var ce *ClosedError
	if errors.As(o.Err, &ce) {
		return o.State.String() + ": " + ce.Message
	}
	return o.State.String() + ": " + o.Err.Error()
}

// dials returns the sockets dialled, in order.
func (h *harness) dials() []SocketID {
	var s []SocketID
	for _, o := range h.outs {
		if o.Kind == OutDial {
			s = append(s, o.Sock)
		}
	}
	return s
}

func (h *harness) lastDial() SocketID {
	h.t.Helper()
	d := h.dials()
	if len(d) == 0 {
		h.t.Fatalf("no socket dialled")
	}
	return d[len(d)-1]
}

// of returns the outputs for id of the given kinds (all kinds when none).
func (h *harness) of(id int64, kinds ...OutputKind) []Output {
	var s []Output
	for _, o := range h.outs {
		if o.ID == id && (o.Kind == OutResult || o.Kind == OutStarted || o.Kind == OutEvent || o.Kind == OutComplete || o.Kind == OutError) {
			if len(kinds) == 0 || slices.Contains(kinds, o.Kind) {
				s = append(s, o)
			}
		}
	}
	return s
}

// outcome is the final output of id, failing the test when there is none.
func (h *harness) outcome(id int64) Output {
	h.t.Helper()
	o, ok := h.final[id]
	if !ok {
		h.t.Fatalf("request %d has not ended; its outputs: %v", id, renderAll(h.of(id)))
	}
	return o
}

func (h *harness) pending(id int64) bool {
	_, done := h.final[id]
	return !done
}

// connect opens the socket dialled last and returns it.
func (h *harness) connect() SocketID {
	h.t.Helper()
	s := h.lastDial()
	h.open(s)
	return s
}

// events renders the OutEvent payloads for id.
func (h *harness) events(id int64) []string {
	var s []string
	for _, o := range h.of(id, OutEvent) {
		s = append(s, string(o.Data))
	}
	return s
}

func kindName(k OutputKind) string {
	switch k {
	case OutDial:
		return "dial"
	case OutWrite:
		return "write"
	case OutCloseSocket:
		return "closeSocket"
	case OutResult:
		return "result"
	case OutStarted:
		return "started"
	case OutEvent:
		return "event"
	case OutComplete:
		return "complete"
	case OutError:
		return "error"
	case OutState:
		return "state"
	case OutFrameError:
		return "frameError"
	case OutClosed:
		return "closed"
	case OutRetry:
		return "retry"
	case OutNote:
		return "note"
	case OutRefreshAuth:
		return "refreshAuth"
	}
	return fmt.Sprintf("kind(%d)", k)
}

// render gives a compact, comparable form of o.
func render(o Output) string {
	switch o.Kind {
	case OutDial, OutWrite:
		return fmt.Sprintf("%s %d", kindName(o.Kind), o.Sock)
	case OutCloseSocket:
		s := fmt.Sprintf("closeSocket %d %d", o.Sock, o.Code)
		if o.Abort {
			s += " abort"
		}
		return s
	case OutResult:
		if o.Data == nil {
			return fmt.Sprintf("result %d <nil>", o.ID)
		}
		return fmt.Sprintf("result %d %s", o.ID, o.Data)
	case OutStarted, OutComplete:
		return fmt.Sprintf("%s %d", kindName(o.Kind), o.ID)
	case OutEvent:
		if o.HasEventID {
			return fmt.Sprintf("event %d #%s %s", o.ID, o.EventID, o.Data)
		}
		return fmt.Sprintf("event %d %s", o.ID, o.Data)
	case OutError:
		var ce *ClosedError
		var te *TRPCError
		switch {
		case errors.As(o.Err, &ce):
			return fmt.Sprintf("error %d closed: %s", o.ID, ce.Message)
		case errors.As(o.Err, &te):
			return fmt.Sprintf("error %d trpc: %s", o.ID, te.Code)
		}
		return fmt.Sprintf("error %d %v", o.ID, o.Err)
	case OutState:
		return "state " + stateString(o)
	case OutFrameError:
		return fmt.Sprintf("frameError %d", o.Sock)
	case OutClosed:
		return "closed"
	case OutRetry:
		return fmt.Sprintf("retry %d", o.Attempt)
	case OutNote:
		return renderNote(o)
	}
	return kindName(o.Kind)
}

func renderAll(os []Output) []string {
	var s []string
	for _, o := range os {
		s = append(s, render(o))
	}
	return s
}

func eq[T comparable](t testing.TB, what string, got, want []T) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %v\n want %v", what, got, want)
	}
}

func contains(t testing.TB, what string, got []string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s: %q missing from\n %q", what, w, got)
		}
	}
}

func notContains(t testing.TB, what string, got []string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		for _, g := range got {
			if g == b || strings.HasPrefix(b, "~") && strings.Contains(g, b[1:]) {
				t.Errorf("%s: unexpected %q in\n %q", what, g, got)
			}
		}
	}
}

// q and s build expected request frames.
func q(id int64, path string) string {
	return fmt.Sprintf(`{"id":%d,"method":"query","params":{"path":%q}}`, id, path)
}

func sub(id int64, path string) string {
	return fmt.Sprintf(`{"id":%d,"method":"subscription","params":{"path":%q}}`, id, path)
}

func subAfter(id int64, path, last string) string {
	return fmt.Sprintf(`{"id":%d,"method":"subscription","params":{"path":%q,"lastEventId":%q}}`, id, path, last)
}

func stop(id int64) string {
	return fmt.Sprintf(`{"id":%d,"method":"subscription.stop"}`, id)
}

func data(id int64, payload string) string {
	return fmt.Sprintf(`{"id":%d,"result":{"type":"data","data":%s}}`, id, payload)
}

func tracked(id int64, eventID, payload string) string {
	return fmt.Sprintf(`{"id":%d,"result":{"type":"data","id":%q,"data":{"id":%q,"data":%s}}}`, id, eventID, eventID, payload)
}

func started(id int64) string { return fmt.Sprintf(`{"id":%d,"result":{"type":"started"}}`, id) }
func stopped(id int64) string { return fmt.Sprintf(`{"id":%d,"result":{"type":"stopped"}}`, id) }

func batch(frames ...string) string { return "[" + strings.Join(frames, ",") + "]" }

func renderNote(o Output) string {
	s := "note " + o.Note.String()
	switch o.Note {
	case NoteAttempt:
		s += fmt.Sprintf(" %d in %d", o.Attempt, o.DelayMs)
	case NoteOpen:
		s += fmt.Sprintf(" %d", o.Sock)
	case NoteClose:
		s += fmt.Sprintf(" %d %d", o.Sock, o.Code)
	case NoteTimeout:
		if o.ID != 0 {
			s += fmt.Sprintf(" request %d", o.ID)
		} else {
			s += fmt.Sprintf(" socket %d", o.Sock)
		}
	case NoteQueueFull:
		s += fmt.Sprintf(" %d", o.ID)
	}
	return s
}
