package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/trpcws/trpcws/core"
)

// Sentinels written through core's encoders, then cut out as holes.
const (
	sentinelID    = 987654321987 // a wire id
	sentinelPath  = "\x01path\x01"
	sentinelInput = "\x02input\x02"
	sentinelLast  = "\x01lastEventId\x01"
	sentinelData  = "\x02data\x02"
)

// template cuts frame at each sentinel text, giving literals at even
// indexes and hole names at odd ones.
func template(frame string, holes [][2]string) []string {
	out := []string{}
	for len(frame) > 0 {
		at, which := -1, -1
		for i, h := range holes {
			if j := strings.Index(frame, h[0]); j >= 0 && (at < 0 || j < at) {
				at, which = j, i
			}
		}
		if at < 0 {
			out = append(out, frame)
			break
		}
		out = append(out, frame[:at], holes[which][1])
		frame = frame[at+len(holes[which][0]):]
	}
	if len(out)%2 == 0 {
		out = append(out, "")
	}
	return out
}

// quoted is s as core writes a JSON string (the path of a request).
func quoted(s string) string {
	f := string(core.AppendRequest(nil, &core.Request{Path: s}))
	const before = `{"id":0,"method":"unknown","params":{"path":`
	if !strings.HasPrefix(f, before) || !strings.HasSuffix(f, "}}") {
		panic("genjs: core.AppendRequest writes " + f)
	}
	return f[len(before) : len(f)-2]
}

// requestTemplates are core.AppendRequest's frames by (input ? 1 : 0) | (lastEventId ? 2 : 0).
func requestTemplates() [][]string {
	holes := [][2]string{
		{strconv.Itoa(sentinelID), "id"}, {core.Query.String(), "method"},
		{quoted(sentinelPath), "path"}, {sentinelInput, "input"}, {quoted(sentinelLast), "lastEventId"},
	}
	var out [][]string
	for v := 0; v < 4; v++ {
		r := core.Request{WireID: sentinelID, Method: core.Query, Path: sentinelPath}
		if v&1 != 0 {
			r.Input = []byte(sentinelInput)
		}
		if v&2 != 0 {
			r.LastEventID, r.HasLastEventID = sentinelLast, true
		}
		out = append(out, template(string(core.AppendRequest(nil, &r)), holes))
	}
	return out
}

// openClient is a core client with the default config whose first socket
// has opened.
func openClient() (*core.Client, core.SocketID) {
	c := core.New(core.Config{}, 0)
	var sock core.SocketID
	for o, ok := c.Poll(); ok; o, ok = c.Poll() {
		if o.Kind == core.OutDial {
			sock = o.Sock
		}
	}
	c.Opened(0, sock, nil)
	return c, sock
}

// batchParts drives a core client to see how it sends one call and two
// calls in one frame: the text before, between and after the requests.
func batchParts() []string {
	frame := func(paths ...string) string {
		c, sock := openClient()
		for _, p := range paths {
			c.Start(0, core.Query, p, nil, nil)
		}
		f, _ := c.PollTransmit(sock)
		return string(f)
	}
	req := func(id int64, path string) string {
		return string(core.AppendRequest(nil, &core.Request{WireID: id, Method: core.Query, Path: path}))
	}
	if one := frame("a"); one != req(1, "a") {
		panic(fmt.Sprintf("genjs: core sends one call as %q, not as AppendRequest", one))
	}
	two, a, b := frame("a", "b"), req(1, "a"), req(2, "b")
	i := strings.Index(two, a)
	j := strings.Index(two, b)
	if i < 0 || j < i+len(a) {
		panic(fmt.Sprintf("genjs: core's batch %q does not hold its requests in order", two))
	}
	return []string{two[:i], two[i+len(a) : j], two[j+len(b):]}
}

// lostCall drives a core client whose socket ends (with no close code)
// under a query in flight: the *core.ClosedError the query fails with.
func lostCall() *core.ClosedError {
	c, sock := openClient()
	c.Start(0, core.Query, "a", nil, nil)
	c.PollTransmit(sock)
	c.Closed(0, sock, 0, nil)
	for o, ok := c.Poll(); ok; o, ok = c.Poll() {
		if e, isClosed := o.Err.(*core.ClosedError); o.Kind == core.OutError && isClosed {
			return e
		}
	}
	panic("genjs: a query in flight on a lost socket did not fail with a *core.ClosedError")
}

// urlRule is core.URLWithConnectionParams: the suffix without a query
// mark in the URL, and with one.
func urlRule() (mark, first, more string) {
	mark = "?"
	first = strings.TrimPrefix(core.URLWithConnectionParams("x"), "x")
	more = strings.TrimPrefix(core.URLWithConnectionParams("x"+mark), "x"+mark)
	if first == more || core.URLWithConnectionParams("y"+mark+"z") != "y"+mark+"z"+more {
		panic("genjs: core.URLWithConnectionParams no longer depends on the query mark alone")
	}
	return mark, first, more
}

// stringEscapes is how core writes each ASCII byte in a JSON string that it
// does not write as itself.
func stringEscapes() map[byte]string {
	out := map[byte]string{}
	for c := 0; c < 0x80; c++ {
		q := quoted(string(rune(c)))
		if q != `"`+string(rune(c))+`"` {
			out[byte(c)] = q[1 : len(q)-1]
		}
	}
	return out
}

// IDPattern is the response ids early start reads itself (as JSON text,
// a number): decimal digits that core reads as the same integer and that
// JavaScript's numbers hold exactly. Any other id (a string, a fraction,
// an exponent, a huge one) is left to Go. The test holds it to core.Decode.
const IDPattern = "^[1-9][0-9]{0,14}$"

// protocolJS renders web/lib/protocol.js.
func protocolJS() []byte {
	w := &js{b: []byte("// Code generated by `go generate ./jsbridge` from core (internal/genjs/protocol.go). DO NOT EDIT.\n" +
		"// What early start (early.js) writes and knows of tRPC's WebSocket protocol, all of it\n" +
		"// taken from core: the frames as core writes them, the result types, close codes, the URL\n" +
		"// rule, the id rule and the frames it reads itself. Anything else waits for Go.\n\n")}
	w.line("// Frames as templates: literal text at even indexes, the name of a hole at odd ones.")
	w.line("// A request (core.AppendRequest), by (input ? 1 : 0) | (lastEventId ? 2 : 0); the holes")
	w.line("// id, method (its name), path and lastEventId (JSON strings, see jsonString), input (JSON).")
	w.b = append(w.b, "export const REQUEST_FRAMES = [\n"...)
	for _, t := range requestTemplates() {
		w.b = append(w.b, "  "...)
		w.b = appendJSStrings(w.b, t)
		w.b = append(w.b, ",\n"...)
	}
	w.line("];")
	w.line("// Calls sent together (core's flush): before, between and after the requests; one call is sent alone.")
	w.strs("BATCH", batchParts())
	w.line("// Stopping a subscription (core.AppendStop).")
	w.strs("STOP_FRAME", template(string(core.AppendStop(nil, sentinelID)), [][2]string{{strconv.Itoa(sentinelID), "id"}}))
	w.line("// The connection params message (core.AppendConnectionParams); data: JSON.")
	w.strs("CONNECTION_PARAMS_FRAME", template(string(core.AppendConnectionParams(nil, []byte(sentinelData))), [][2]string{{sentinelData, "data"}}))
	w.line("// Keep-alive frames (core.Ping, core.Pong): a PING is answered with a PONG.")
	w.str("PING", string(core.Ping))
	w.str("PONG", string(core.Pong))
	w.line("// JSON strings as core writes them: these ASCII characters escaped so, every other one as it is.")
	esc := stringEscapes()
	w.b = append(w.b, "export const STRING_ESCAPES = {"...)
	first := true
	for c := 0; c < 0x80; c++ {
		e, ok := esc[byte(c)]
		if !ok {
			continue
		}
		if !first {
			w.b = append(w.b, ", "...)
		}
		first = false
		w.b = appendJSString(w.b, string(rune(c)))
		w.b = append(w.b, ": "...)
		w.b = appendJSString(w.b, e)
	}
	w.line("};")
	w.line("// Result types (core.ResultType).")
	w.str("RESULT_DATA", core.ResultData.String())
	w.str("RESULT_STARTED", core.ResultStarted.String())
	w.str("RESULT_STOPPED", core.ResultStopped.String())
	w.line("// The URL rule (core.URLWithConnectionParams): with connection params, the URL gets")
	w.line("// URL_PARAMS_MORE if it holds URL_QUERY_MARK, else URL_PARAMS_FIRST.")
	mark, firstSuffix, more := urlRule()
	w.str("URL_QUERY_MARK", mark)
	w.str("URL_PARAMS_FIRST", firstSuffix)
	w.str("URL_PARAMS_MORE", more)
	w.line("// Close codes (core).")
	w.num("CLOSE_NORMAL", core.CloseNormal)
	w.num("CLOSE_SETUP_FAILED", core.CloseSetupFailed)
	w.line("// A query or mutation in flight on a lost socket fails with this message and code (the")
	w.line("// socket's close code, or CLOSE_ABNORMAL when it gave none); a subscription is sent again.")
	lost := lostCall()
	w.str("LOST_MESSAGE", lost.Message)
	w.num("CLOSE_ABNORMAL", int64(lost.Code))
	w.line("// The id rule: a response id whose JSON text matches ID_PATTERN is read as that number,")
	w.line("// as core reads it; the frame of any other id is left to Go.")
	w.str("ID_PATTERN", IDPattern)
	w.line("// The frames early start reads itself: a JSON object (not an array) with an id matching")
	w.line("// ID_PATTERN of a call it sent, no method, and either an error object or a result object of")
	w.line("// a known type whose id, if present, is a string, a number or null. Any other frame (an")
	w.line("// id:null message, a server request, a string id, an unknown id, a frame core would report")
	w.line("// as malformed) is given to Go once it runs, with every frame after it, in order.")
	return w.b
}
