//go:build js && wasm

package jsbridge

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unsafe"

	"github.com/trpcws/trpcws/core"
)

// record is one decoded output record.
type record struct {
	kind int
	f    []float64
}

// records decodes b's last output, as web/lib/dispatch.js does.
func records(t *testing.T, b *Bridge, n int32) []record {
	t.Helper()
	if n < 0 {
		_, bytes := b.Output()
		t.Fatalf("call failed: %s", bytes)
	}
	nums, _ := b.Output()
	if int(n) != len(nums) {
		t.Fatalf("call returned %d, output has %d numbers", n, len(nums))
	}
	var out []record
	for i := 0; i < len(nums); {
		k := int(nums[i])
		if k <= 0 || k >= len(recSizes) || recSizes[k] == 0 || i+recSizes[k] > len(nums) {
			t.Fatalf("bad record kind %d at %d in %v", k, i, nums)
		}
		out = append(out, record{kind: k, f: append([]float64(nil), nums[i+1:i+recSizes[k]]...)})
		i += recSizes[k]
	}
	return out
}

func find(rs []record, kind int) []record {
	var out []record
	for _, r := range rs {
		if r.kind == kind {
			out = append(out, r)
		}
	}
	return out
}

func text(b *Bridge, a, e float64) string {
	_, bytes := b.Output()
	return string(bytes[int(a):int(e)])
}

// ref resolves a (where, a, b) ref the way web/index.js does: frame slices
// are UTF-16 ranges of the frame string.
func ref(t *testing.T, b *Bridge, frame string, f []float64) (string, bool) {
	t.Helper()
	switch f[0] {
	case refNone:
		return "", false
	case refFrame:
		u := utf16.Encode([]rune(frame))
		return string(utf16.Decode(u[int(f[1]):int(f[2])])), true
	case refBytes:
		return text(b, f[1], f[2]), true
	}
	t.Fatalf("bad ref %v", f)
	return "", false
}

// harness drives one client of a fresh bridge.
type harness struct {
	t   *testing.T
	b   *Bridge
	cid int32
	now int64
}

// opts is an options record by field name (see optionFields); absent fields are 0.
type opts map[string]float64

// writeOptions writes o into b's input as JavaScript does and returns its length.
func writeOptions(t testing.TB, b *Bridge, o opts) int32 {
	t.Helper()
	in := b.Input(8 * len(optionFields))
	seen := 0
	for i, f := range optionFields {
		v, ok := o[f.name]
		if ok {
			seen++
		}
		putFloat64(in[8*i:], v)
	}
	if seen != len(o) {
		t.Fatalf("unknown option in %v", o)
	}
	return int32(8 * len(optionFields))
}

func newHarness(t *testing.T, o opts) (*harness, []record) {
	h := &harness{t: t, b: NewBridge(), now: 100}
	rs := h.call(func() { h.b.New(h.now, writeOptions(t, h.b, o), 0) })
	if rs[0].kind != recClient {
		t.Fatalf("first record %v, want recClient", rs[0])
	}
	h.cid = int32(rs[0].f[0])
	return h, rs
}

func (h *harness) call(fn func()) []record {
	h.t.Helper()
	return records(h.t, h.b, h.b.Call(fn))
}

func (h *harness) write(s string) int32 {
	copy(h.b.Input(len(s)), s)
	return int32(len(s))
}

func (h *harness) open(sock int32) []record {
	return h.call(func() { h.b.Opened(h.cid, h.now, sock, false) })
}

func (h *harness) start(handle int64, method int32, path string, input bool) []record {
	n := h.write(path)
	flags := int32(0)
	if input {
		flags |= StartInput
	}
	return h.call(func() { h.b.Start(h.cid, h.now, handle, method, n, n, flags, 0) })
}

func (h *harness) transmit(sock int32) []string {
	rs := h.call(func() { h.b.Transmit(h.cid, sock) })
	var frames []string
	for _, r := range find(rs, recFrame) {
		frames = append(frames, text(h.b, r.f[1], r.f[2]))
	}
	return frames
}

func (h *harness) message(sock int32, frame string) []record {
	n := h.write(frame)
	ascii := true
	for i := 0; i < len(frame); i++ {
		if frame[i] >= 0x80 {
			ascii = false
		}
	}
	return h.call(func() { h.b.Message(h.cid, h.now, sock, n, ascii) })
}

func TestQueryRoundTrip(t *testing.T) {
	t.Parallel()
	h, rs := newHarness(t, nil)
	if d := find(rs, recDial); len(d) != 1 || d[0].f[0] != 1 {
		t.Fatalf("want a dial of socket 1, got %v", rs)
	}
	rs = h.open(1)
	if s := find(rs, recState); len(s) != 1 || s[0].f[0] != 2 || s[0].f[1] != refNone {
		t.Fatalf("want state pending without error, got %v", rs)
	}
	rs = h.start(7, 1, "echo", true)
	if w := find(rs, recWrite); len(w) != 1 || w[0].f[0] != 1 {
		t.Fatalf("want a write on socket 1, got %v", rs)
	}
	frames := h.transmit(1)
	want := "{\"id\":1,\"method\":\"query\",\"params\":{\"input\":\x007\x00,\"path\":\"echo\"}}"
	if len(frames) != 1 || frames[0] != want {
		t.Fatalf("frames %q, want %q", frames, want)
	}
	// Non-ASCII frame: offsets must be UTF-16 units of the JS string.
	frame := `{"id":1,"result":{"type":"data","data":{"s":"ü😀x"}}}`
	rs = h.message(1, frame)
	res := find(rs, recResult)
	if len(res) != 1 || res[0].f[0] != 7 {
		t.Fatalf("want a result for handle 7, got %v", rs)
	}
	if res[0].f[1] != refFrame {
		t.Fatalf("result data should point into the frame, got %v", res[0].f)
	}
	if got, _ := ref(t, h.b, frame, res[0].f[1:]); got != `{"s":"ü😀x"}` {
		t.Fatalf("data %q", got)
	}
	// Finished: a late duplicate answer is ignored.
	if rs = h.message(1, frame); len(find(rs, recResult)) != 0 {
		t.Fatalf("late answer delivered: %v", rs)
	}
}

func TestVoidResultAndBatch(t *testing.T) {
	t.Parallel()
	h, _ := newHarness(t, nil)
	h.open(1)
	h.start(1, 2, "voidMutation", false)
	h.start(2, 1, "echo", true)
	frames := h.transmit(1)
	want := "[{\"id\":1,\"method\":\"mutation\",\"params\":{\"path\":\"voidMutation\"}},{\"id\":2,\"method\":\"query\",\"params\":{\"input\":\x002\x00,\"path\":\"echo\"}}]"
	if len(frames) != 1 || frames[0] != want {
		t.Fatalf("frames %q, want one batch %q", frames, want)
	}
	rs := h.message(1, `{"id":1,"result":{"type":"data"}}`)
	if res := find(rs, recResult); len(res) != 1 || res[0].f[0] != 1 || res[0].f[1] != refNone {
		t.Fatalf("want a void result for handle 1, got %v", rs)
	}
}

// Markers are cut from shared blocks and paths are kept: many requests
// queued at once, across several blocks and with repeated and new paths,
// still carry their own marker and path.
func TestManyMarkersAndPaths(t *testing.T) {
	t.Parallel()
	h, _ := newHarness(t, nil)
	h.open(1)
	const n = 300 // more than one block of markers
	var want strings.Builder
	want.WriteByte('[')
	for i := int64(1); i <= n; i++ {
		path := "p" + strconv.FormatInt(i%7, 10)
		h.start(i*1000, 1, path, i%3 != 0)
		if i > 1 {
			want.WriteByte(',')
		}
		fmt.Fprintf(&want, `{"id":%d,"method":"query","params":{`, i)
		if i%3 != 0 {
			fmt.Fprintf(&want, "\"input\":\x00%d\x00,", i*1000)
		}
		fmt.Fprintf(&want, `"path":%q}}`, path)
	}
	want.WriteByte(']')
	frames := h.transmit(1)
	if len(frames) != 1 || frames[0] != want.String() {
		t.Fatalf("frames %q,\nwant %q", frames, want.String())
	}
}

func TestConnectionParamsAndURL(t *testing.T) {
	t.Parallel()
	h, _ := newHarness(t, opts{"connectionParams": 1, "lazy.enabled": 1})
	n := h.write("ws://h/x?a=1")
	rs := h.call(func() { h.b.URL(h.cid, n) })
	if u := find(rs, recURL); len(u) != 1 || text(h.b, u[0].f[0], u[0].f[1]) != "ws://h/x?a=1&connectionParams=1" {
		t.Fatalf("url records %v", rs)
	}
	rs = h.start(1, 1, "whoami", false)
	if d := find(rs, recDial); len(d) != 1 {
		t.Fatalf("lazy client should dial on first request: %v", rs)
	}
	h.call(func() { h.b.Opened(h.cid, h.now, 1, true) })
	frames := h.transmit(1)
	if len(frames) != 2 || frames[0] != "{\"method\":\"connectionParams\",\"data\":\x00p1\x00}" {
		t.Fatalf("connectionParams must go first, frames %q", frames)
	}
}

func TestSubscriptionEventsAndErrors(t *testing.T) {
	t.Parallel()
	h, _ := newHarness(t, nil)
	h.open(1)
	h.start(5, 3, "events", true)
	h.transmit(1)
	rs := h.message(1, `{"id":1,"result":{"type":"started"}}`)
	if s := find(rs, recStarted); len(s) != 1 || s[0].f[0] != 5 {
		t.Fatalf("started: %v", rs)
	}
	frame := `{"id":1,"result":{"type":"data","id":"42","data":{"id":"42","data":{"n":1}}}}`
	rs = h.message(1, frame)
	ev := find(rs, recEvent)
	if len(ev) != 1 {
		t.Fatalf("event: %v", rs)
	}
	if d, _ := ref(t, h.b, frame, ev[0].f[1:4]); d != `{"id":"42","data":{"n":1}}` {
		t.Fatalf("event data %q", d)
	}
	if id, ok := ref(t, h.b, frame, ev[0].f[4:7]); !ok || id != "42" {
		t.Fatalf("event id %q %v", id, ok)
	}
	// The socket drops: the subscription is kept, the state says why.
	rs = h.call(func() { h.b.Closed(h.cid, h.now, 1, 1006, 77) })
	st := find(rs, recState)
	if len(st) != 1 || st[0].f[0] != 1 {
		t.Fatalf("want state connecting after a drop: %v", rs)
	}
	desc, _ := ref(t, h.b, "", st[0].f[1:])
	var got struct {
		T, Message string
		Code       int
		Cause      struct {
			T string
			H int
		}
	}
	if err := json.Unmarshal([]byte(desc), &got); err != nil || got.T != "closed" || got.Message != "WebSocket closed" || got.Code != 1006 || got.Cause.T != "js" || got.Cause.H != 77 {
		t.Fatalf("state error %s (%v)", desc, err)
	}
	if d := find(rs, recDial); len(d) != 1 || d[0].f[0] != 2 {
		t.Fatalf("want an immediate redial (retry 0): %v", rs)
	}
	h.open(2)
	frames := h.transmit(2)
	if len(frames) != 1 || !strings.Contains(frames[0], `"lastEventId":"42"`) {
		t.Fatalf("resubscribe should carry lastEventId: %q", frames)
	}
	// A server error ends the subscription.
	rs = h.message(2, `{"id":1,"error":{"message":"sub failed","code":-32600,"data":{"code":"BAD_REQUEST"}}}`)
	e := find(rs, recError)
	if len(e) != 1 || e[0].f[0] != 5 {
		t.Fatalf("error: %v", rs)
	}
	desc, _ = ref(t, h.b, "", e[0].f[1:])
	if desc != `{"t":"trpc","error":{"message":"sub failed","code":-32600,"data":{"code":"BAD_REQUEST"}}}` {
		t.Fatalf("error desc %s", desc)
	}
}

// TestNoResubscribeFlag: StartNoResubscribe reaches core.Call.NoResubscribe:
// after a lost socket such a subscription ends with notResubscribed, and
// only the other one is sent on the new socket.
func TestNoResubscribeFlag(t *testing.T) {
	t.Parallel()
	h, _ := newHarness(t, nil)
	h.open(1)
	n := h.write("once")
	h.call(func() { h.b.Start(h.cid, h.now, 1, 3, n, n, StartNoResubscribe, 0) })
	h.start(2, 3, "again", false)
	if frames := h.transmit(1); len(frames) != 1 || !strings.Contains(frames[0], `"path":"once"`) {
		t.Fatalf("frames on socket 1: %q", frames)
	}
	rs := h.call(func() { h.b.Closed(h.cid, h.now, 1, 1006, 0) })
	e := find(rs, recError)
	if len(e) != 1 || e[0].f[0] != 1 {
		t.Fatalf("want an error for handle 1: %v", rs)
	}
	if desc, _ := ref(t, h.b, "", e[0].f[1:]); !strings.HasPrefix(desc, `{"t":"notResubscribed",`) {
		t.Fatalf("error desc %s", desc)
	}
	h.open(2)
	if frames := h.transmit(2); len(frames) != 1 || !strings.Contains(frames[0], `"path":"again"`) || strings.Contains(frames[0], `"once"`) {
		t.Fatalf("frames on socket 2: %q", frames)
	}
}

func TestCancelAndClose(t *testing.T) {
	t.Parallel()
	h, _ := newHarness(t, nil)
	h.open(1)
	h.start(1, 1, "slow", true)
	h.call(func() { h.b.Cancel(h.cid, h.now, 1) })
	if frames := h.transmit(1); len(frames) != 0 {
		t.Fatalf("a cancelled queued request was sent: %q", frames)
	}
	h.call(func() { h.b.Cancel(h.cid, h.now, 99) }) // unknown: no-op
	h.start(2, 3, "counter", false)
	h.transmit(1)
	rs := h.call(func() { h.b.Close(h.cid, h.now) })
	if c := find(rs, recComplete); len(c) != 1 || c[0].f[0] != 2 {
		t.Fatalf("close should complete the subscription: %v", rs)
	}
	if len(find(rs, recClosed)) != 1 || len(find(rs, recCloseSock)) != 1 {
		t.Fatalf("close should close the socket and finish: %v", rs)
	}
	if st := find(rs, recState); len(st) != 1 || st[0].f[0] != 0 {
		t.Fatalf("close should report idle: %v", rs)
	}
}

func TestDeadlineRecords(t *testing.T) {
	t.Parallel()
	h := &harness{t: t, b: NewBridge(), now: 100}
	o := opts{"keepAlive.enabled": 1, "keepAlive.intervalMs": 250, "keepAlive.pongTimeoutMs": 50}
	rs := h.call(func() { h.b.New(h.now, writeOptions(t, h.b, o), 0) })
	h.cid = int32(rs[0].f[0])
	rs = h.open(1)
	if d := find(rs, recDeadline); len(d) != 1 || d[0].f[0] != 350 {
		t.Fatalf("want a ping deadline at 350: %v", rs)
	}
	h.now = 350
	rs = h.call(func() { h.b.Tick(h.cid, h.now) })
	if d := find(rs, recDeadline); len(d) != 1 || d[0].f[0] != 400 {
		t.Fatalf("want a pong deadline at 400: %v", rs)
	}
	if frames := h.transmit(1); len(frames) != 1 || frames[0] != "PING" {
		t.Fatalf("want PING, got %q", frames)
	}
	h.now = 400
	rs = h.call(func() { h.b.Tick(h.cid, h.now) })
	cs := find(rs, recCloseSock)
	if len(cs) != 1 || cs[0].f[1] != 3000 || cs[0].f[2] != 1 {
		t.Fatalf("want an aborting close 3000 on pong timeout: %v", rs)
	}
}

func TestBadCalls(t *testing.T) {
	t.Parallel()
	b := NewBridge()
	for name, fn := range map[string]func(){
		"unknown client": func() { b.Tick(42, 1) },
		"bad method":     func() { b.New(1, writeOptions(t, b, nil), 0); b.Start(1, 1, 1, 9, 0, 0, 0, 0) },
		"bad options":    func() { b.New(1, 8, 0) },
		"bad length":     func() { b.URL(1, 1<<30) },
	} {
		if n := b.Call(fn); n != -1 {
			t.Errorf("%s: returned %d, want -1", name, n)
		}
		_, msg := b.Output()
		if !strings.HasPrefix(string(msg), "trpcws: ") {
			t.Errorf("%s: message %q", name, msg)
		}
	}
}

// A freed client is unknown, even right after a call for it.
func TestFreedClientIsUnknown(t *testing.T) {
	t.Parallel()
	h, _ := newHarness(t, nil)
	h.call(func() { h.b.Tick(h.cid, h.now) })
	h.b.Free(h.cid)
	if n := h.b.Call(func() { h.b.Tick(h.cid, h.now) }); n != -1 {
		t.Fatalf("call for a freed client returned %d, want -1", n)
	}
	if _, msg := h.b.Output(); !strings.Contains(string(msg), "unknown client") {
		t.Fatalf("message %q", msg)
	}
}

// TestPanicRecovered calls the exported functions themselves: a panic inside
// one comes back as -1 plus a message, and the instance keeps working.
func TestPanicRecovered(t *testing.T) {
	for kind, want := range []string{"nil pointer dereference", "trpcws_panic test", "index out of range"} {
		if n := wasmPanic(int32(kind)); n != -1 {
			t.Fatalf("kind %d: returned %d, want -1", kind, n)
		}
		if msg := headerBytes(); !strings.Contains(msg, want) {
			t.Fatalf("kind %d: message %q, want %q", kind, msg, want)
		}
		n := wasmNew(10, writeOptions(t, std, opts{"lazy.enabled": 1}), 0)
		nums := headerNums(n)
		if n < 2 || nums[0] != recClient {
			t.Fatalf("after a panic, trpcws_new returned %d %v", n, nums)
		}
		if wasmFree(int32(nums[1])) != 0 {
			t.Fatal("free failed")
		}
	}
}

// headerNums and headerBytes check that the header describes the output
// (JavaScript reads the output through it) and return the output.
func headerNums(n int32) []float64 {
	h := (*[4]int32)(wasmHeader())
	nums, _ := std.Output()
	if n <= 0 {
		return nil
	}
	if h[0] != ptr(nums) || h[1] != int32(len(nums)) {
		panic("header does not describe the numbers")
	}
	return nums
}

func headerBytes() string {
	h := (*[4]int32)(wasmHeader())
	_, bytes := std.Output()
	if h[2] != ptr(bytes) || h[3] != int32(len(bytes)) {
		panic("header does not describe the bytes")
	}
	return string(bytes)
}

func TestExportsThroughHeader(t *testing.T) {
	p := wasmAlloc(16)
	if p == nil {
		t.Fatal("alloc failed")
	}
	n := wasmNew(1, writeOptions(t, std, opts{"lazy.enabled": 1, "connectionParams": 1}), 0)
	cid := int32(headerNums(n)[1])
	defer wasmFree(cid)
	p = wasmAlloc(6)
	copy(unsafe.Slice((*byte)(p), 6), "ws://x")
	n = wasmURL(cid, 6)
	nums := headerNums(n)
	if n != 3 || nums[0] != recURL {
		t.Fatalf("url records %v", nums)
	}
	if got := headerBytes()[int(nums[1]):int(nums[2])]; got != "ws://x?connectionParams=1" {
		t.Fatalf("url %q", got)
	}
}

// TestRetryAsked: with retryDelayMs the core asks through recRetry and waits
// for trpcws_retry's answer; a stale answer is ignored; bad numbers clamp.
func TestRetryAsked(t *testing.T) {
	t.Parallel()
	b := NewBridge()
	records(t, b, b.Call(func() { b.New(1, writeOptions(t, b, opts{"retryDelayMs": 1}), 0) }))
	records(t, b, b.Call(func() { b.Opened(1, 10, 1, false) }))
	rs := records(t, b, b.Call(func() { b.Closed(1, 20, 1, 1006, 0) }))
	ask := find(rs, recRetry)
	if len(ask) != 1 || ask[0].f[0] != 0 || len(find(rs, recDial)) != 0 {
		t.Fatalf("want recRetry(0) and no dial yet: %v", rs)
	}
	if rs = records(t, b, b.Call(func() { b.Retry(1, 25, 7, 0, false) })); len(find(rs, recDial)) != 0 {
		t.Fatalf("an answer for another attempt dialled: %v", rs)
	}
	rs = records(t, b, b.Call(func() { b.Retry(1, 30, 0, 5000, false) }))
	if d := find(rs, recDeadline); len(d) != 1 || d[0].f[0] != 5030 || len(find(rs, recDial)) != 0 {
		t.Fatalf("want a retry deadline at 5030: %v", rs)
	}
	// NaN waits 0: the next attempt is dialled at once.
	records(t, b, b.Call(func() { b.Tick(1, 5030) }))
	rs = records(t, b, b.Call(func() { b.Closed(1, 5040, 2, 1006, 0) }))
	if ask = find(rs, recRetry); len(ask) != 1 || ask[0].f[0] != 1 {
		t.Fatalf("want recRetry(1): %v", rs)
	}
	rs = records(t, b, b.Call(func() { b.Retry(1, 5041, 1, math.NaN(), false) }))
	if len(find(rs, recDial)) != 1 {
		t.Fatalf("NaN delay should dial at once: %v", rs)
	}
}

func TestHelpers(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]int{"": 0, "abc": 3, "ü": 1, "😀": 2, "a😀ü": 4} {
		if got := utf16Len([]byte(s)); got != want {
			t.Errorf("utf16Len(%q) = %d, want %d", s, got, want)
		}
	}
	for in, want := range map[float64]int64{-1: 0, 0: 0, 1.9: 1, 1e12: 1<<31 - 1} {
		if got := clampMs(in); got != want {
			t.Errorf("clampMs(%v) = %d, want %d", in, got, want)
		}
	}
	if got := string(appendJSONString(nil, "a\"\\\n\x01ü")); got != `"a\"\\\u000a\u0001ü"` {
		t.Errorf("appendJSONString: %s", got)
	}
	if !json.Valid(appendError(nil, &jsCause{handle: 3}, 0)) || !json.Valid(appendError(nil, bridgeError("x\"y"), 0)) {
		t.Error("appendError gives invalid JSON")
	}
	// The policies' errors are described by kind for JavaScript.
	for err, want := range map[error]string{
		&core.TimeoutError{What: "request", Ms: 50}:                `{"t":"timeout","what":"request","ms":50,"message":"trpcws: request timed out after 50 ms"}`,
		&core.GaveUpError{Attempts: 2, Cause: &jsCause{handle: 4}}: `{"t":"gaveUp","attempts":2,"message":"trpcws: gave up reconnecting after 2 failed attempts","cause":{"t":"js","h":4}}`,
		fmt.Errorf("wrapped: %w", core.ErrQueueFull):               `{"t":"queueFull","message":"wrapped: trpcws: too many calls waiting for a connection"}`,
		core.ErrNotResubscribed:                                    `{"t":"notResubscribed","message":"trpcws: subscription ended by a reconnect (resubscribe off)"}`,
	} {
		if got := string(appendError(nil, err, 0)); got != want {
			t.Errorf("appendError(%v) = %s, want %s", err, got, want)
		}
	}
}

// TestCompleteReason: the core says why a subscription completed: stopped
// by the server (stopped=1), or by Close (stopped=0).
func TestCompleteReason(t *testing.T) {
	t.Parallel()
	h, _ := newHarness(t, nil)
	h.open(1)
	h.start(1, 3, "events", false)
	h.start(2, 3, "events", false)
	h.transmit(1)
	rs := h.message(1, `{"id":1,"result":{"type":"stopped"}}`)
	if c := find(rs, recComplete); len(c) != 1 || c[0].f[0] != 1 || c[0].f[1] != 1 {
		t.Fatalf("want complete(1, stopped), got %v", rs)
	}
	rs = h.call(func() { h.b.Close(h.cid, h.now) })
	if c := find(rs, recComplete); len(c) != 1 || c[0].f[0] != 2 || c[0].f[1] != 0 {
		t.Fatalf("want complete(2, not stopped) on close, got %v", rs)
	}
}

// TestSetupFailed: failed connection params make the core close the socket
// with its code and count a failed attempt; a later Closed is ignored.
func TestSetupFailed(t *testing.T) {
	t.Parallel()
	h, _ := newHarness(t, opts{"connectionParams": 1})
	rs := h.call(func() { h.b.SetupFailed(h.cid, h.now, 1, 5) })
	cs := find(rs, recCloseSock)
	if len(cs) != 1 || cs[0].f[0] != 1 || cs[0].f[1] != 3000 || cs[0].f[2] != 0 {
		t.Fatalf("want close(1, 3000), got %v", rs)
	}
	st := find(rs, recState)
	if len(st) != 1 || st[0].f[0] != 1 {
		t.Fatalf("want state connecting with the cause, got %v", rs)
	}
	if desc, _ := ref(t, h.b, "", st[0].f[1:]); !strings.Contains(desc, `"h":5`) {
		t.Fatalf("state error %q does not carry the JavaScript cause", desc)
	}
	if rs = h.call(func() { h.b.Closed(h.cid, h.now, 1, 3000, 0) }); len(find(rs, recState)) != 0 {
		t.Fatalf("Closed after SetupFailed changed the state: %v", rs)
	}
}

// TestStatsLeavesOutputAlone: trpcws_stats answers through its own buffer,
// so JavaScript can call it while it reads the records of a call.
func TestStatsLeavesOutputAlone(t *testing.T) {
	n := wasmNew(1, writeOptions(t, std, opts{"lazy.enabled": 1}), 0)
	cid := int32(headerNums(n)[1])
	defer wasmFree(cid)
	before := append([]float64(nil), headerNums(n)...)
	p := wasmStats(cid)
	if p == nil {
		t.Fatal("no stats for a live client")
	}
	st := (*[statsLen]float64)(p)
	if st[0] != float64(core.StateIdle) || st[1] != 0 {
		t.Fatalf("stats of a fresh lazy client: %v", st)
	}
	if after := headerNums(n); len(after) != len(before) || after[0] != before[0] || after[1] != before[1] {
		t.Fatalf("stats changed the output: %v → %v", before, after)
	}
	if wasmStats(9999) != nil {
		t.Fatal("stats for an unknown client")
	}
}

func TestAdoptedSocketAndSentCall(t *testing.T) {
	t.Parallel()
	h := &harness{t: t, b: NewBridge(), now: 100}
	rs := h.call(func() { h.b.New(h.now, writeOptions(t, h.b, nil), 2) })
	h.cid = int32(rs[0].f[0])
	if d := find(rs, recDial); len(d) != 0 {
		t.Fatalf("adopting client dialled: %v", rs)
	}
	if s := find(rs, recState); len(s) != 1 || s[0].f[0] != 2 {
		t.Fatalf("want state pending, got %v", rs)
	}
	n := h.write("echo")
	rs = h.call(func() { h.b.StartSent(h.cid, h.now, 9, 1, n, n, 0, 3) })
	if w := find(rs, recWrite); len(w) != 0 {
		t.Fatalf("a call already sent was written again: %v", rs)
	}
	frame := `{"id":3,"result":{"type":"data","data":1}}`
	if res := find(h.message(1, frame), recResult); len(res) != 1 || res[0].f[0] != 9 {
		t.Fatalf("answer to the adopted call not delivered to its handle")
	}
	h.start(10, 1, "next", false)
	if f := h.transmit(1); len(f) != 1 || !strings.Contains(f[0], `"id":4`) {
		t.Fatalf("next call's frame %q, want wire id 4", f)
	}
	// A subscription, started, after event "4": its next event is delivered.
	n = h.write("s4")
	h.call(func() { h.b.StartSent(h.cid, h.now, 11, 3, 1, n, StartLastEventID|StartStarted, 2) })
	ev := h.message(1, `{"id":2,"result":{"type":"data","id":"5","data":{"id":"5","data":1}}}`)
	if e := find(ev, recEvent); len(e) != 1 || e[0].f[0] != 11 {
		t.Fatalf("adopted subscription's event: %v", ev)
	}
	if s := find(ev, recStarted); len(s) != 0 {
		t.Fatalf("started again: %v", ev)
	}
	for name, fn := range map[string]func(){
		"bad method": func() { n := h.write("s"); h.b.StartSent(h.cid, h.now, 12, 7, n, n, 0, 5) },
		"no wire id": func() { n := h.write("s"); h.b.StartSent(h.cid, h.now, 13, 1, n, n, 0, 0) },
	} {
		if rs := h.b.Call(fn); rs != -1 {
			t.Errorf("%s: StartSent accepted (%d)", name, rs)
		}
	}
}
