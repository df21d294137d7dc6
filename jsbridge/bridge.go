//go:build js && wasm

package jsbridge

import (
	"slices"
	"strconv"

	"github.com/trpcws/trpcws/core"
)

// Bridge holds the clients of one WebAssembly instance and the buffers
// calls exchange with JavaScript. Its methods are called one at a time
// (JavaScript is single-threaded and never re-enters Go); none blocks.
type Bridge struct {
	clients []*client // live clients, by id (a slice: no map code in the module)
	last    int32
	in      []byte
	out     output
	header  [4]int32
	recent  *client  // the client of the last call: most calls are for it
	paths   []string // see path; sorted
	markers []byte   // the block markers are cut from
}

// NewBridge returns an empty bridge.
func NewBridge() *Bridge {
	// The bytes area is never nil: AppendTransmit appends to it.
	return &Bridge{out: output{bytes: make([]byte, 0, 4096)}}
}

// client is one JS client and its core. Requests are named by their JS
// handles, which the core takes as its request ids.
type client struct {
	id     int32
	core   *core.Client
	params bool
	frame  []byte // the inbound frame of the running call, if any
	ascii  bool
	at     int64 // deadline last reported to JavaScript
}

// Input returns a buffer of at least n bytes for JavaScript to write the
// next call's bytes into. It stays valid until the next Input call.
func (b *Bridge) Input(n int) []byte {
	if n < 64 {
		n = 64
	}
	if cap(b.in) < n {
		b.in = make([]byte, n+n/4)
	}
	b.in = b.in[:cap(b.in)]
	return b.in
}

// arg returns the first n bytes JavaScript wrote.
func (b *Bridge) arg(n int32) []byte {
	if n < 0 || int(n) > len(b.in) {
		panic(bridgeError("trpcws: input length out of range"))
	}
	return b.in[:n]
}

// Call runs fn as one exported call: it clears the output, recovers any
// panic, and returns the number of float64s in the output, or -1 with the
// failure message as the output bytes.
func (b *Bridge) Call(fn func()) (n int32) {
	defer func() {
		if r := recover(); r != nil {
			b.out.reset()
			if e, ok := r.(bridgeError); ok {
				b.out.bytes = append(b.out.bytes, e...)
			} else {
				b.out.bytes = append(b.out.bytes, panicMessage(r)...)
			}
			for _, c := range b.clients {
				c.frame = nil
			}
			b.publish()
			n = -1
		}
	}()
	b.out.reset()
	fn()
	b.publish()
	return int32(len(b.out.nums))
}

// lookup returns client cid, or nil (a binary search: ids only grow).
func (b *Bridge) lookup(cid int32) *client {
	lo, hi := 0, len(b.clients)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if b.clients[m].id < cid {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(b.clients) && b.clients[lo].id == cid {
		return b.clients[lo]
	}
	return nil
}

func (b *Bridge) client(cid int32) *client {
	if c := b.recent; c != nil && c.id == cid {
		return c
	}
	c := b.lookup(cid)
	if c == nil {
		panic(bridgeError("trpcws: unknown client " + strconv.Itoa(int(cid))))
	}
	b.recent = c
	return c
}

// New creates a client from the options record JavaScript wrote into the
// input (n bytes, see optionFields) and records [recClient, cid]; unless
// lazy it also asks for the first socket. With adopt the client takes
// over socket 1, which JavaScript opened and used while the module loaded
// (core.Config.Adopt): adoptWire is the highest wire id JavaScript used on
// it, 0 for none adopted; calls still in flight on it follow with StartSent.
func (b *Bridge) New(now int64, n int32, adoptWire int64) {
	if int(n) != 8*len(optionFields) {
		panic(bridgeError("trpcws: options record of " + strconv.Itoa(int(n)) + " bytes, want " + strconv.Itoa(8*len(optionFields))))
	}
	opts := decodeOptions(b.arg(n))
	b.last++
	cid := b.last
	// With a retryDelayMs the core asks (cfg.AskRetry: core.OutRetry →
	// recRetry) and JavaScript answers through Retry, after running the
	// user's function outside any Go call.
	cfg := opts.cfg
	cfg.Adopt, cfg.AdoptedWireIDs = adoptWire > 0, adoptWire
	if cfg.MaxConnectionAgeMs > 0 {
		cfg.MaxAgeJitter = jitter(opts.seed)
	}
	c := &client{
		id:     cid,
		params: opts.params,
		at:     -1,
	}
	b.clients = append(b.clients, c) // ids only grow: still sorted
	b.out.rec(recClient, float64(cid))
	c.core = core.New(cfg, now)
	b.drain(c)
}

// Free forgets client cid. Its sockets must already be closed by JavaScript.
func (b *Bridge) Free(cid int32) {
	for i, c := range b.clients {
		if c.id == cid {
			b.clients = slices.Delete(b.clients, i, i+1) // clears the freed slot
			break
		}
	}
	if b.recent != nil && b.recent.id == cid {
		b.recent = nil
	}
}

// Start queues a request. The first pathLen bytes of the input are the
// path; with StartLastEventID the remaining n-pathLen are lastEventId.
// handle is JavaScript's name for the request in every later record; the
// input itself stays in JavaScript (see the package doc on markers).
//
// timeoutMs is the call's own request timeout (the operation context's
// timeoutMs): 0 keeps the client's requestTimeoutMs, negative means none.
func (b *Bridge) Start(cid int32, now int64, handle int64, method int32, pathLen, n int32, flags int32, timeoutMs float64) {
	c := b.client(cid)
	call := b.call(handle, method, pathLen, n, flags)
	if timeoutMs < 0 {
		call.TimeoutMs = -1
	} else {
		call.TimeoutMs = clampMs(timeoutMs)
	}
	c.core.StartCall(now, call) // panics on a live handle: a bridge error
	b.drain(c)
}

// StartSent registers a call JavaScript sent itself under wire id sentAs
// on the adopted socket before the client existed: Go awaits its answers
// and never sends it again, except a subscription after its socket is lost
// (core.Call.SentAs). The input is read as Start reads it; for a
// subscription, the lastEventId is that of the last event JavaScript
// delivered and StartStarted tells that "started" was delivered.
func (b *Bridge) StartSent(cid int32, now int64, handle int64, method int32, pathLen, n int32, flags int32, sentAs int64) {
	c := b.client(cid)
	if sentAs <= 0 {
		panic(bridgeError("trpcws: wire id out of range"))
	}
	call := b.call(handle, method, pathLen, n, flags)
	call.SentAs, call.Started = sentAs, flags&StartStarted != 0
	c.core.StartCall(now, call)
	b.drain(c)
}

// call reads a call's path and lastEventId from the input (see Start).
func (b *Bridge) call(handle int64, method int32, pathLen, n int32, flags int32) core.Call {
	if method < int32(core.Query) || method > int32(core.Subscription) {
		panic(bridgeError("trpcws: bad method"))
	}
	if handle <= 0 {
		panic(bridgeError("trpcws: request handle out of range"))
	}
	arg := b.arg(n)
	if pathLen < 0 || pathLen > n {
		panic(bridgeError("trpcws: path length out of range"))
	}
	call := core.Call{ID: handle, Method: core.Method(method), Path: b.path(arg[:pathLen]),
		NoResubscribe: flags&StartNoResubscribe != 0}
	if flags&StartLastEventID != 0 {
		call.LastEventID, call.HasLastEventID = string(arg[pathLen:]), true
	}
	if flags&StartInput != 0 {
		call.Input = b.marker(handle)
	}
	return call
}

// marker is the placeholder JavaScript replaces with the input of request
// handle.
func marker(dst []byte, handle int64) []byte {
	dst = append(dst, 0)
	dst = strconv.AppendInt(dst, handle, 10)
	return append(dst, 0)
}

// maxPaths bounds the paths Bridge.path keeps.
const maxPaths = 1024

// path returns p as a string, the same string for the same path every time
// (up to maxPaths of them): a call does not allocate its path.
func (b *Bridge) path(p []byte) string {
	lo, hi := 0, len(b.paths)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if b.paths[m] < string(p) { // no allocation for the comparison
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(b.paths) && b.paths[lo] == string(p) {
		return b.paths[lo]
	}
	s := string(p)
	if len(b.paths) < maxPaths {
		b.paths = append(b.paths, "")
		copy(b.paths[lo+1:], b.paths[lo:])
		b.paths[lo] = s
	}
	return s
}

// markerSlab is the size of the blocks markers are cut from.
const markerSlab = 512

// marker returns request handle's marker, cut from a shared block: one
// allocation for many requests. A marker is never written again once cut,
// and a block lives as long as any of its markers.
func (b *Bridge) marker(handle int64) []byte {
	if cap(b.markers)-len(b.markers) < 24 { // NUL, at most 20 digits, NUL
		b.markers = make([]byte, 0, markerSlab)
	}
	a := len(b.markers)
	b.markers = marker(b.markers, handle)
	return b.markers[a:len(b.markers):len(b.markers)]
}

// Cancel abandons request handle (unsubscribe or abort): nothing more is
// recorded for it.
func (b *Bridge) Cancel(cid int32, now int64, handle int64) {
	c := b.client(cid)
	c.core.Cancel(now, handle)
	b.drain(c)
}

// URL records [recURL, a, b]: the input bytes (the URL JavaScript
// resolved), with the connectionParams=1 query parameter added when the
// client has connection params.
func (b *Bridge) URL(cid int32, n int32) {
	c := b.client(cid)
	u := string(b.arg(n))
	if c.params {
		u = core.URLWithConnectionParams(u)
	}
	s, e := b.out.text([]byte(u))
	b.out.rec(recURL, s, e)
}

// Opened reports that socket sock opened (and its connection params, if
// any, were resolved: JavaScript splices them in for the "\x00p<sock>\x00"
// marker).
func (b *Bridge) Opened(cid int32, now int64, sock int32, hasParams bool) {
	c := b.client(cid)
	var params []byte
	if hasParams {
		params = append([]byte{0, 'p'}, strconv.Itoa(int(sock))...)
		params = append(params, 0)
	}
	c.core.Opened(now, core.SocketID(sock), params)
	b.drain(c)
}

// Message hands over the text frame of n bytes JavaScript wrote into the
// input. ascii tells that the frame is pure ASCII (JavaScript knows it from
// TextEncoder.encodeInto: as many bytes as UTF-16 units).
func (b *Bridge) Message(cid int32, now int64, sock int32, n int32, ascii bool) {
	c := b.client(cid)
	// The core copies what it keeps past the call, so the reused input
	// buffer is passed as it is; data refs point into it until drain ends.
	frame := b.arg(n)
	c.frame, c.ascii = frame, ascii
	c.core.Message(now, core.SocketID(sock), frame)
	b.drain(c)
	c.frame = nil
}

// Closed reports that socket sock closed (code 0 when none) or failed;
// cause, when not 0, is the handle of a JavaScript value (the event or the
// thrown error) that error records may refer to. Code closedBadURL: the
// socket's URL can never be dialled (cause is the TypeError saying why).
func (b *Bridge) Closed(cid int32, now int64, sock int32, code int32, cause int64) {
	c := b.client(cid)
	var err error
	if cause != 0 {
		err = &jsCause{handle: cause}
	}
	if code == closedBadURL {
		err, code = &core.URLError{Option: "url", Cause: err}, 0
	}
	c.core.Closed(now, core.SocketID(sock), int(code), err)
	b.drain(c)
}

// Retry answers recRetry: attempt number attempt waits delayMs (the user's
// retryDelayMs; NaN and negatives give 0, huge values 2^31-1), or the
// client gives up (giveUp: the user's shouldRetry said no). An answer for an
// attempt the core no longer asks about is ignored.
func (b *Bridge) Retry(cid int32, now int64, attempt int32, delayMs float64, giveUp bool) {
	c := b.client(cid)
	c.core.Retry(now, core.RetryAnswer{Attempt: int(attempt), DelayMs: clampMs(delayMs), GiveUp: giveUp})
	b.drain(c)
}

// AuthRefreshed answers recAuth number attempt: cause 0 when the user's
// refreshAuth resolved, else the handle of what it threw or rejected with
// (see core.Client.AuthRefreshed).
func (b *Bridge) AuthRefreshed(cid int32, now int64, attempt int32, cause int64) {
	c := b.client(cid)
	var err error
	if cause != 0 {
		err = &jsCause{handle: cause}
	}
	c.core.AuthRefreshed(now, int(attempt), err)
	b.drain(c)
}

// Reconnect asks for a new connection now (see core.Client.Reconnect).
func (b *Bridge) Reconnect(cid int32, now int64) {
	c := b.client(cid)
	c.core.Reconnect(now)
	b.drain(c)
}

// Network reports what the host knows: 0 offline, 1 online, 2 woke up (a
// page shown again, from the back/forward cache too: it ends a suspension),
// 3 suspend (the page is hidden: pagehide); see core.Client.Offline, Online,
// Wake and Suspend.
func (b *Bridge) Network(cid int32, now int64, what int32) {
	c := b.client(cid)
	switch what {
	case 0:
		c.core.Offline(now)
	case 1:
		c.core.Online(now)
	case 3:
		c.core.Suspend(now)
	default:
		c.core.Wake(now)
	}
	b.drain(c)
}

// Stats fills dst with client cid's counters, in the order of recStats's
// fields, and reports whether the client exists. It leaves the output of
// the last call alone: JavaScript may ask while it still reads those
// records (from a user callback).
func (b *Bridge) Stats(cid int32, dst *[statsLen]float64) bool {
	c := b.lookup(cid)
	if c == nil {
		return false
	}
	s := c.core.Stats()
	*dst = [statsLen]float64{float64(s.State), float64(s.SocketsOpened), float64(s.Reconnects), float64(s.Attempt),
		float64(s.Queued), float64(s.InFlight), float64(s.Subscriptions), float64(s.FramesIn), float64(s.FramesOut),
		float64(s.BytesIn), float64(s.BytesOut), float64(s.LastPingRttMs), float64(s.ConnectedAt)}
	return true
}

// SetupFailed reports that socket sock opened but its connection params
// failed; cause is as for Closed. The core closes the socket (a recCloseSock
// with its code) and ignores a later Closed for it.
func (b *Bridge) SetupFailed(cid int32, now int64, sock int32, cause int64) {
	c := b.client(cid)
	var err error
	if cause != 0 {
		err = &jsCause{handle: cause}
	}
	c.core.SetupFailed(now, core.SocketID(sock), err)
	b.drain(c)
}

// Transmit records every frame socket sock has to send now, as recFrame.
// It takes no time: sending changes no timer.
func (b *Bridge) Transmit(cid int32, sock int32) {
	c := b.client(cid)
	for {
		// Frames are encoded straight into the bytes area: no frame of
		// their own to allocate and copy.
		a := len(b.out.bytes)
		out, ok := c.core.AppendTransmit(b.out.bytes, core.SocketID(sock))
		if !ok {
			break
		}
		b.out.bytes = out
		b.out.rec(recFrame, float64(sock), float64(a), float64(len(out)))
	}
	b.drain(c)
}

// Tick runs the client's timers. The deadline is always reported after it:
// JavaScript's timer is spent, even if it fired a little early and the
// deadline did not move.
func (b *Bridge) Tick(cid int32, now int64) {
	c := b.client(cid)
	c.core.Tick(now)
	c.at = -2
	b.drain(c)
}

// Close starts closing the client (see core.Client.Close); recClosed
// follows, in this call or a later one.
func (b *Bridge) Close(cid int32, now int64) {
	c := b.client(cid)
	c.core.Close(now)
	b.drain(c)
}

// drain turns the core's outputs into records, then reports the deadline
// if it changed.
func (b *Bridge) drain(c *client) {
	o := &b.out
	for {
		out, ok := c.core.Poll()
		if !ok {
			break
		}
		switch out.Kind {
		case core.OutDial:
			o.rec(recDial, float64(out.Sock))
		case core.OutWrite:
			o.rec(recWrite, float64(out.Sock))
		case core.OutCloseSocket:
			abort := 0.0
			if out.Abort {
				abort = 1
			}
			o.rec(recCloseSock, float64(out.Sock), float64(out.Code), abort)
		case core.OutResult:
			o.rec(recResult, float64(out.ID))
			o.frameRef(c.frame, c.ascii, out.Data)
		case core.OutStarted:
			o.rec(recStarted, float64(out.ID))
		case core.OutEvent:
			o.rec(recEvent, float64(out.ID))
			o.frameRef(c.frame, c.ascii, out.Data)
			if out.HasEventID {
				o.stringRef(out.EventID)
			} else {
				o.rec(refNone, 0, 0)
			}
		case core.OutComplete:
			stopped := 0.0
			if out.Stopped {
				stopped = 1
			}
			o.rec(recComplete, float64(out.ID), stopped)
		case core.OutError:
			o.rec(recError, float64(out.ID))
			o.textRef(appendError(nil, out.Err, 0))
		case core.OutState:
			o.rec(recState, float64(out.State))
			o.errRef(out.Err)
		case core.OutFrameError:
			o.rec(recFrameErr, float64(out.Sock))
			o.textRef(appendError(nil, out.Err, 0))
		case core.OutClosed:
			o.rec(recClosed)
		case core.OutRetry:
			o.rec(recRetry, float64(out.Attempt))
			o.errRef(out.Err)
		case core.OutRefreshAuth:
			o.rec(recAuth, float64(out.Attempt), float64(out.Code))
			o.errRef(out.Err)
		case core.OutNote:
			o.rec(recNote, float64(out.Note), float64(out.Sock), float64(out.ID), float64(out.Attempt), float64(out.DelayMs), float64(out.Code))
			o.errRef(out.Err)
		}
	}
	at, ok := c.core.Deadline()
	if !ok {
		at = -1
	}
	if at != c.at {
		c.at = at
		o.rec(recDeadline, float64(at))
	}
}

// publish points the header at the output.
func (b *Bridge) publish() {
	b.header[0] = ptr(b.out.nums)
	b.header[1] = int32(len(b.out.nums))
	b.header[2] = ptr(b.out.bytes)
	b.header[3] = int32(len(b.out.bytes))
}
