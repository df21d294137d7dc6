package jsbridge

// The numbers Go and web/ share: record kinds and sizes, ref kinds, the
// flags of Start, methods, states, the option layout of New and the default
// backoff. This file has no build constraint so that the generator
// (internal/genjs, run by `go generate ./jsbridge`) can read it natively: it
// writes web/lib/constants.js from it, and web/lib/protocol.js from core.

//go:generate go run ../internal/genjs -out ../web/lib

import (
	"math"

	"github.com/trpcws/trpcws/core"
)

// The output records a call returns, as float64 runs [kind, fields...].
// A "ref" is three numbers (where, a, b): where refNone = absent; refFrame
// = the UTF-16 range [a, b) of the inbound frame JavaScript passed to this
// call; refBytes = the byte range [a, b) of the bytes area.
const (
	recClient    = 1  // [1, cid]: answer of trpcws_new
	recDial      = 2  // [2, sock]: resolve the URL (trpcws_url) and open socket sock
	recWrite     = 3  // [3, sock]: sock has frames; call trpcws_transmit in a microtask
	recCloseSock = 4  // [4, sock, code, abort]
	recResult    = 5  // [5, handle, dataRef]: query/mutation answer (final)
	recStarted   = 6  // [6, handle]
	recEvent     = 7  // [7, handle, dataRef, eventIdRef]
	recComplete  = 8  // [8, handle, stopped]: subscription ended (final); stopped=1: by the server (a "stopped" result first)
	recError     = 9  // [9, handle, errRef]: request failed (final)
	recState     = 10 // [10, state, errRef]: see core.State
	recFrameErr  = 11 // [11, sock, errRef]: an undecodable server frame was dropped
	recClosed    = 12 // [12]: a close() finished
	recFrame     = 13 // [13, sock, a, b]: send bytes[a:b] (after splicing markers) on sock
	recDeadline  = 14 // [14, at]: call trpcws_tick at time at (-1: no timer)
	recURL       = 15 // [15, a, b]: answer of trpcws_url
	recRetry     = 16 // [16, attempt, errRef]: call retryDelayMs/shouldRetry, answer with trpcws_retry
	recNote      = 17 // [17, note, sock, id, attempt, delayMs, code, errRef]: an event for onEvent (see core.Note)
	recAuth      = 18 // [18, attempt, code, errRef]: call refreshAuth(reason), answer with trpcws_auth
)

// closedBadURL, given as trpcws_closed's code, says the socket never got a
// WebSocket because its URL (the url function's answer) can never be
// dialled; the cause is the TypeError JavaScript made of it. The core
// reports it as a *core.URLError and gives up instead of retrying.
const closedBadURL = -1

// statsLen is how many numbers trpcws_stats writes: state, socketsOpened,
// reconnects, attempt, queued, inFlight, subscriptions, framesIn,
// framesOut, bytesIn, bytesOut, lastPingRttMs (-1: none yet), connectedAt
// (0: not connected).
const statsLen = 13

// recSizes is how many numbers each record kind holds, its kind included.
var recSizes = [...]int{
	recClient: 2, recDial: 2, recWrite: 2, recCloseSock: 4, recResult: 5,
	recStarted: 2, recEvent: 8, recComplete: 3, recError: 5, recState: 5,
	recFrameErr: 5, recClosed: 1, recFrame: 4, recDeadline: 2, recURL: 3,
	recRetry: 5, recNote: 10, recAuth: 6,
}

// Ref kinds.
const (
	refNone  = 0
	refFrame = 1
	refBytes = 2
)

// Flags of [Bridge.Start] and [Bridge.StartSent].
const (
	StartInput         = 1 << iota // the request has an input (else params.input is left out)
	StartLastEventID               // the bytes after the path are params.lastEventId
	StartStarted                   // StartSent: the subscription's "started" was delivered already
	StartNoResubscribe             // a subscription ended rather than sent again (core.Call.NoResubscribe)
)

// options is what JavaScript passes to [Bridge.New]: createTRPCWebSocket's
// validated options.
type options struct {
	cfg    core.Config
	params bool   // connectionParams given: add connectionParams=1 to the URL
	seed   uint64 // jitterSeed: where jitter starts
}

// optionFields is the layout of the options record: one float64 per field,
// in this order (little-endian). JavaScript writes field i from its
// validated option of that name (booleans as 0 or 1, a function or value
// given as 1, absent as 0; 0 milliseconds takes the core's default where it
// has one). A new option is one entry here and one value in web/lib/options.js.
// refreshAuth packs its options in one number (see options.refreshAuth).
var optionFields = [...]struct {
	name string
	set  func(o *options, v float64)
}{
	{"lazy.enabled", func(o *options, v float64) { o.cfg.Lazy = v != 0 }},
	{"lazy.closeMs", func(o *options, v float64) { o.cfg.LazyCloseMs = clampMs(v) }},
	{"keepAlive.enabled", func(o *options, v float64) { o.cfg.KeepAlive = v != 0 }},
	{"keepAlive.intervalMs", func(o *options, v float64) { o.cfg.KeepAliveIntervalMs = clampMs(v) }},
	{"keepAlive.pongTimeoutMs", func(o *options, v float64) { o.cfg.PongTimeoutMs = clampMs(v) }},
	{"retryDelayMs", func(o *options, v float64) { o.cfg.AskRetry = o.cfg.AskRetry || v != 0 }},
	{"connectionParams", func(o *options, v float64) { o.params = v != 0 }},
	{"retry.shouldRetry", func(o *options, v float64) { o.cfg.AskRetry = o.cfg.AskRetry || v != 0 }},
	{"retry.maxAttempts", func(o *options, v float64) { o.cfg.MaxAttempts = int(clampMs(v)) }},
	{"retry.minUptimeMs", func(o *options, v float64) { o.cfg.MinUptimeMs = clampMs(v) }},
	{"connectTimeoutMs", func(o *options, v float64) { o.cfg.ConnectTimeoutMs = clampMs(v) }},
	{"requestTimeoutMs", func(o *options, v float64) { o.cfg.RequestTimeoutMs = clampMs(v) }},
	{"maxQueued", func(o *options, v float64) { o.cfg.MaxQueued = int(clampMs(v)) }},
	{"onEvent", func(o *options, v float64) { o.cfg.Events = v != 0 }},
	{"maxConnectionAgeMs", func(o *options, v float64) { o.cfg.MaxConnectionAgeMs = clampMs(v) }},
	{"jitterSeed", func(o *options, v float64) { o.seed = uint64(max(v, 0) * (1 << 53)) }},
	{"refreshAuth", func(o *options, v float64) { o.refreshAuth(v) }},
}

// decodeOptions reads the options record from b (len(optionFields) float64s).
func decodeOptions(b []byte) options {
	var o options
	for i, f := range optionFields {
		f.set(&o, float64frombytes(b[8*i:]))
	}
	return o
}

// jitter returns core.Config.MaxAgeJitter for one client: numbers in
// [0, n) from a splitmix64 sequence started at seed (JavaScript's
// Math.random() for the client, so that a fleet of pages does not move
// sockets at once). It stands in for math/rand/v2, which costs the module
// about 1 KB gzip.
func jitter(seed uint64) func(n int64) int64 {
	return func(n int64) int64 {
		seed += 0x9e3779b97f4a7c15
		z := seed
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		z ^= z >> 31
		return int64(z % uint64(n))
	}
}

// refreshAuth sets the auth refresh options from their one number: 0 when
// refreshAuth is absent, else 1 + u where u's bit 0 is
// refreshAuthRetryMutations, bit 1 tells that refreshAuthCloseCodes was
// given (else nil: core.DefaultAuthCloseCodes), bits 2-4 are how many
// codes (at most 4) and each code, minus 1000, takes the next 12 bits
// (each 1000–4999, checked by web/lib/options.js): at most 53 bits, exact
// in a float64.
func (o *options) refreshAuth(v float64) {
	if !(v >= 1) || v > 1<<53 {
		return
	}
	u := uint64(v) - 1
	o.cfg.RefreshAuth = true
	o.cfg.RefreshRetryMutations = u&1 != 0
	n := int(u >> 2 & 7)
	if u&2 == 0 || n > 4 {
		return
	}
	o.cfg.AuthCloseCodes = make([]int, n)
	u >>= 5
	for i := range o.cfg.AuthCloseCodes {
		o.cfg.AuthCloseCodes[i] = 1000 + int(u&4095)
		u >>= 12
	}
}

// clampMs turns a JavaScript number of milliseconds into an int64:
// NaN and negatives give 0, huge values are capped at 2^31-1 (setTimeout's
// limit).
func clampMs(ms float64) int64 {
	if !(ms > 0) {
		return 0
	}
	if ms > 1<<31-1 {
		return 1<<31 - 1
	}
	return int64(ms)
}

// Named is one named number of the layout.
type Named struct {
	Name  string
	Value int64
}

// WireLayout is what web/lib/constants.js holds of this file: the numbers
// JavaScript and this package share. internal/genjs renders it.
type WireLayout struct {
	Records      []Named  // output record kinds, REC_*
	RecordSizes  []int    // numbers per record kind, its kind included
	Refs         []Named  // where a ref points, REF_*
	StartFlags   []Named  // flags of trpcws_start, START_*
	OptionFields []string // the options record of trpcws_new, field by field
	ClosedBadURL int64    // trpcws_closed's code for a URL that can never be dialled
}

// Layout returns the numbers JavaScript shares with this package (for the
// generator, internal/genjs: `go generate ./jsbridge`).
func Layout() WireLayout {
	names := make([]string, len(optionFields))
	for i, f := range optionFields {
		names[i] = f.name
	}
	return WireLayout{
		Records: []Named{
			{"REC_CLIENT", recClient}, {"REC_DIAL", recDial}, {"REC_WRITE", recWrite},
			{"REC_CLOSE_SOCK", recCloseSock}, {"REC_RESULT", recResult}, {"REC_STARTED", recStarted},
			{"REC_EVENT", recEvent}, {"REC_COMPLETE", recComplete}, {"REC_ERROR", recError},
			{"REC_STATE", recState}, {"REC_FRAME_ERR", recFrameErr}, {"REC_CLOSED", recClosed},
			{"REC_FRAME", recFrame}, {"REC_DEADLINE", recDeadline}, {"REC_URL", recURL},
			{"REC_RETRY", recRetry}, {"REC_NOTE", recNote}, {"REC_AUTH", recAuth},
		},
		RecordSizes:  recSizes[:],
		Refs:         []Named{{"REF_NONE", refNone}, {"REF_FRAME", refFrame}, {"REF_BYTES", refBytes}},
		StartFlags:   []Named{{"START_INPUT", StartInput}, {"START_LAST_EVENT_ID", StartLastEventID}, {"START_STARTED", StartStarted}, {"START_NO_RESUBSCRIBE", StartNoResubscribe}},
		OptionFields: names,
		ClosedBadURL: closedBadURL,
	}
}

// float64frombytes reads a little-endian float64.
func float64frombytes(b []byte) float64 {
	_ = b[7]
	u := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
	return math.Float64frombits(u)
}
