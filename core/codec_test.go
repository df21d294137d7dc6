package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestAppendRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"query", Request{WireID: 1, Method: Query, Path: "greeting", Input: []byte(`"a"`)},
			`{"id":1,"method":"query","params":{"input":"a","path":"greeting"}}`},
		{"mutation object input", Request{WireID: 2, Method: Mutation, Path: "post.edit", Input: []byte(`{"id":"x"}`)},
			`{"id":2,"method":"mutation","params":{"input":{"id":"x"},"path":"post.edit"}}`},
		{"omitted input", Request{WireID: 7, Method: Query, Path: "p"},
			`{"id":7,"method":"query","params":{"path":"p"}}`},
		{"null input is sent", Request{WireID: 7, Method: Query, Path: "p", Input: []byte(`null`)},
			`{"id":7,"method":"query","params":{"input":null,"path":"p"}}`},
		{"subscription", Request{WireID: 3, Method: Subscription, Path: "onMessage", Input: []byte(`{"room":"a"}`)},
			`{"id":3,"method":"subscription","params":{"input":{"room":"a"},"path":"onMessage"}}`},
		{"subscription with lastEventId", Request{WireID: 3, Method: Subscription, Path: "onMessage", Input: []byte(`{"room":"a"}`), LastEventID: "41", HasLastEventID: true},
			`{"id":3,"method":"subscription","params":{"input":{"room":"a"},"path":"onMessage","lastEventId":"41"}}`},
		{"empty lastEventId is sent", Request{WireID: 3, Method: Subscription, Path: "s", HasLastEventID: true},
			`{"id":3,"method":"subscription","params":{"path":"s","lastEventId":""}}`},
		{"lastEventId ignored unless Has", Request{WireID: 3, Method: Subscription, Path: "s", LastEventID: "9"},
			`{"id":3,"method":"subscription","params":{"path":"s"}}`},
		{"escaped path", Request{WireID: 4, Method: Query, Path: "a\"b\\c\nd\re\tf\x01g\x1fh/é😀"},
			`{"id":4,"method":"query","params":{"path":"a\"b\\c\nd\re\tf\u0001g\u001fh/é😀"}}`},
		{"escaped lastEventId", Request{WireID: 5, Method: Subscription, Path: "s", LastEventID: "x\"y\\z\x00", HasLastEventID: true},
			`{"id":5,"method":"subscription","params":{"path":"s","lastEventId":"x\"y\\z\u0000"}}`},
		{"large id", Request{WireID: 9007199254740993, Method: Query, Path: "p"},
			`{"id":9007199254740993,"method":"query","params":{"path":"p"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			prefix := []byte("xx")
			got := AppendRequest(prefix, &tt.req)
			if string(got) != "xx"+tt.want {
				t.Errorf("got  %s\nwant xx%s", got, tt.want)
			}
			if !json.Valid(got[2:]) || !Valid(got[2:]) {
				t.Errorf("not valid JSON: %s", got[2:])
			}
			// The path and lastEventId must round-trip through a real JSON decoder.
			var back struct {
				ID     int64
				Method string
				Params struct {
					Path        string
					LastEventID *string `json:"lastEventId"`
				}
			}
			if err := json.Unmarshal(got[2:], &back); err != nil {
				t.Fatal(err)
			}
			if back.Params.Path != tt.req.Path || back.Method != tt.req.Method.String() || back.ID != tt.req.WireID {
				t.Errorf("round trip: %+v", back)
			}
			if tt.req.HasLastEventID != (back.Params.LastEventID != nil) ||
				tt.req.HasLastEventID && *back.Params.LastEventID != tt.req.LastEventID {
				t.Errorf("lastEventId round trip: %v", back.Params.LastEventID)
			}
		})
	}
}

func TestAppendStopAndConnectionParams(t *testing.T) {
	t.Parallel()
	if got := string(AppendStop([]byte("["), 3)); got != `[{"id":3,"method":"subscription.stop"}` {
		t.Errorf("AppendStop: %s", got)
	}
	if got := string(AppendStop(nil, 1234567890123)); got != `{"id":1234567890123,"method":"subscription.stop"}` {
		t.Errorf("AppendStop: %s", got)
	}
	for _, tt := range []struct{ params, want string }{
		{`{"token":"secret"}`, `{"method":"connectionParams","data":{"token":"secret"}}`},
		{`null`, `{"method":"connectionParams","data":null}`},
		{`{}`, `{"method":"connectionParams","data":{}}`},
	} {
		if got := string(AppendConnectionParams(nil, []byte(tt.params))); got != tt.want {
			t.Errorf("AppendConnectionParams(%s) = %s, want %s", tt.params, got, tt.want)
		}
	}
	if got := string(AppendConnectionParams(nil, nil)); got != `{"method":"connectionParams","data":null}` {
		t.Errorf("AppendConnectionParams(nil) = %s", got)
	}
}

func TestMethodAndStateNames(t *testing.T) {
	t.Parallel()
	for m, want := range map[Method]string{Query: "query", Mutation: "mutation", Subscription: "subscription", 0: "unknown", 9: "unknown"} {
		if m.String() != want {
			t.Errorf("Method(%d).String() = %q", m, m.String())
		}
	}
	for s, want := range map[State]string{StateIdle: "idle", StateConnecting: "connecting", StatePending: "pending", 9: "unknown"} {
		if s.String() != want {
			t.Errorf("State(%d).String() = %q", s, s.String())
		}
	}
}

func TestURLWithConnectionParams(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"ws://h:1/":       "ws://h:1/?connectionParams=1",
		"ws://h/trpc?a=b": "ws://h/trpc?a=b&connectionParams=1",
		"wss://h/x?":      "wss://h/x?&connectionParams=1",
	} {
		if got := URLWithConnectionParams(in); got != want {
			t.Errorf("URLWithConnectionParams(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsKeepAlive(t *testing.T) {
	t.Parallel()
	for f, want := range map[string]bool{"PING": true, "PONG": true, "ping": false, "PING ": false, `"PING"`: false, "": false} {
		if isKeepAlive([]byte(f)) != want {
			t.Errorf("isKeepAlive(%q) != %v", f, want)
		}
	}
	if string(Ping) != "PING" || string(Pong) != "PONG" {
		t.Errorf("Ping/Pong = %q/%q", Ping, Pong)
	}
}

func TestDecode(t *testing.T) {
	t.Parallel()
	type want struct {
		id      int64
		hasID   bool
		method  string
		typ     ResultType
		data    string // "-" for nil
		eventID string
		hasEvt  bool
		err     string // "-" for nil
	}
	tests := []struct {
		name  string
		frame string
		want  want
	}{
		{"data", `{"id":1,"result":{"type":"data","data":"hello a"}}`,
			want{id: 1, hasID: true, typ: ResultData, data: `"hello a"`, err: "-"}},
		{"void", `{"id":2,"result":{"type":"data"}}`,
			want{id: 2, hasID: true, typ: ResultData, data: "-", err: "-"}},
		{"data null is not void", `{"id":2,"result":{"type":"data","data":null}}`,
			want{id: 2, hasID: true, typ: ResultData, data: `null`, err: "-"}},
		{"started", `{"id":3,"result":{"type":"started"}}`,
			want{id: 3, hasID: true, typ: ResultStarted, data: "-", err: "-"}},
		{"object data", `{"id":3,"result":{"type":"data","data":{"hi":1}}}`,
			want{id: 3, hasID: true, typ: ResultData, data: `{"hi":1}`, err: "-"}},
		{"tracked string id", `{"id":3,"result":{"type":"data","id":"42","data":{"id":"42","data":{"n":1}}}}`,
			want{id: 3, hasID: true, typ: ResultData, data: `{"id":"42","data":{"n":1}}`, eventID: "42", hasEvt: true, err: "-"}},
		{"tracked number id", `{"id":3,"result":{"type":"data","id":42,"data":{"id":42,"data":1}}}`,
			want{id: 3, hasID: true, typ: ResultData, data: `{"id":42,"data":1}`, eventID: "42", hasEvt: true, err: "-"}},
		{"tracked escaped id", `{"id":3,"result":{"type":"data","id":"a\"\u00e9\ud83d\ude00","data":1}}`,
			want{id: 3, hasID: true, typ: ResultData, data: `1`, eventID: "a\"é😀", hasEvt: true, err: "-"}},
		{"event id null", `{"id":3,"result":{"type":"data","id":null,"data":1}}`,
			want{id: 3, hasID: true, typ: ResultData, data: `1`, err: "-"}},
		{"type after data", `{"id":3,"result":{"data":[1,2],"type":"data"}}`,
			want{id: 3, hasID: true, typ: ResultData, data: `[1,2]`, err: "-"}},
		{"stopped", `{"id":3,"result":{"type":"stopped"}}`,
			want{id: 3, hasID: true, typ: ResultStopped, data: "-", err: "-"}},
		{"error with data", `{"id":4,"error":{"message":"nope","code":-32600,"data":{"code":"BAD_REQUEST","httpStatus":400,"path":"fail","stack":"..."}}}`,
			want{id: 4, hasID: true, data: "-", err: `{"message":"nope","code":-32600,"data":{"code":"BAD_REQUEST","httpStatus":400,"path":"fail","stack":"..."}}`}},
		{"id null error", `{"id":null,"error":{"message":"bad token","code":-32001,"data":{"code":"UNAUTHORIZED","httpStatus":401}}}`,
			want{data: "-", err: `{"message":"bad token","code":-32001,"data":{"code":"UNAUTHORIZED","httpStatus":401}}`}},
		{"error without id", `{"error":{"message":"x","code":-32700}}`,
			want{data: "-", err: `{"message":"x","code":-32700}`}},
		{"reconnect", `{"id":null,"method":"reconnect"}`,
			want{method: "reconnect", data: "-", err: "-"}},
		{"reconnect without id", `{"method":"reconnect"}`,
			want{method: "reconnect", data: "-", err: "-"}},
		{"string id", `{"id":"5","result":{"type":"data","data":true}}`,
			want{id: 5, hasID: true, typ: ResultData, data: `true`, err: "-"}},
		{"non-numeric string id", `{"id":"abc","result":{"type":"data","data":1}}`,
			want{id: -1, hasID: true, typ: ResultData, data: `1`, err: "-"}},
		{"fractional id", `{"id":1.5,"result":{"type":"data","data":1}}`,
			want{id: -1, hasID: true, typ: ResultData, data: `1`, err: "-"}},
		{"jsonrpc and unknown fields", `{"jsonrpc":"2.0","x":[{"y":null}],"id":6,"result":{"type":"data","data":0,"extra":{"a":[true,false]}},"z":-1.5e+3}`,
			want{id: 6, hasID: true, typ: ResultData, data: `0`, err: "-"}},
		{"whitespace", " \t\r\n{ \"id\" : 7 , \"result\" : { \"type\" : \"data\" , \"data\" : [ 1 , 2 ] } } \n",
			want{id: 7, hasID: true, typ: ResultData, data: `[ 1 , 2 ]`, err: "-"}},
		{"escaped key", `{"\u0069d":8,"result":{"typ\u0065":"started"}}`,
			want{id: 8, hasID: true, typ: ResultStarted, data: "-", err: "-"}},
		{"escaped type", `{"id":9,"result":{"type":"d\u0061ta","data":"a\"b"}}`,
			want{id: 9, hasID: true, typ: ResultData, data: `"a\"b"`, err: "-"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := Decode([]byte(tt.frame))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			w := tt.want
			if r.ID != w.id || r.HasID != w.hasID || r.Method != w.method || r.Type != w.typ ||
				r.EventID != w.eventID || r.HasEventID != w.hasEvt {
				t.Errorf("got %+v\nwant %+v", r, w)
			}
			if got := bytesOrDash(r.Data); got != w.data {
				t.Errorf("Data = %s, want %s", got, w.data)
			}
			if got := bytesOrDash(r.Error); got != w.err {
				t.Errorf("Error = %s, want %s", got, w.err)
			}
		})
	}
}

func bytesOrDash(b []byte) string {
	if b == nil {
		return "-"
	}
	return string(b)
}

func TestDecodeMalformed(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	deepObj := strings.Repeat(`{"a":`, 600) + "1" + strings.Repeat("}", 600)
	frames := map[string]string{
		"empty":                  ``,
		"spaces":                 "   ",
		"PING-like":              `PINGS`,
		"not an object":          `[{"id":1,"result":{"type":"data"}}]`,
		"string":                 `"x"`,
		"number":                 `1`,
		"null":                   `null`,
		"empty object":           `{}`,
		"id only":                `{"id":1}`,
		"truncated":              `{"id":1,"result":{"type":"data","data":"hel`,
		"truncated after colon":  `{"id":1,"result":`,
		"truncated key":          `{"id`,
		"truncated escape":       `{"id":1,"method":"a\`,
		"missing brace":          `{"id":1,"result":{"type":"data"}`,
		"trailing garbage":       `{"id":1,"result":{"type":"data"}}x`,
		"two objects":            `{"id":1,"result":{"type":"data"}}{}`,
		"trailing comma":         `{"id":1,"result":{"type":"data"},}`,
		"missing colon":          `{"id" 1,"result":{"type":"data"}}`,
		"unquoted key":           `{id:1,"result":{"type":"data"}}`,
		"single quotes":          `{'id':1}`,
		"result is string":       `{"id":1,"result":"data"}`,
		"result is null":         `{"id":1,"result":null}`,
		"result without type":    `{"id":1,"result":{"data":1}}`,
		"empty result":           `{"id":1,"result":{}}`,
		"unknown result type":    `{"id":1,"result":{"type":"weird"}}`,
		"type is number":         `{"id":1,"result":{"type":1}}`,
		"error is string":        `{"id":1,"error":"nope"}`,
		"error is null":          `{"id":null,"error":null}`,
		"error is array":         `{"id":null,"error":[]}`,
		"method is number":       `{"id":null,"method":5}`,
		"id is object":           `{"id":{},"result":{"type":"data"}}`,
		"id is true":             `{"id":true,"result":{"type":"data"}}`,
		"id is bad literal":      `{"id":nul,"result":{"type":"data"}}`,
		"event id is object":     `{"id":1,"result":{"type":"data","id":{}}}`,
		"event id bad":           `{"id":1,"result":{"type":"data","id":tru}}`,
		"bad number":             `{"id":-,"result":{"type":"data"}}`,
		"bad fraction":           `{"id":1.,"result":{"type":"data"}}`,
		"bad exponent":           `{"id":1e,"result":{"type":"data"}}`,
		"leading plus":           `{"id":+1,"result":{"type":"data"}}`,
		"bad escape":             `{"id":1,"result":{"type":"data","data":"\x"}}`,
		"bad unicode escape":     `{"id":1,"result":{"type":"data","data":"\u12G4"}}`,
		"short unicode escape":   `{"id":1,"result":{"type":"data","data":"\u12"}}`,
		"control char in string": "{\"id\":1,\"result\":{\"type\":\"data\",\"data\":\"a\nb\"}}",
		"bad literal in data":    `{"id":1,"result":{"type":"data","data":tru}}`,
		"bad value in data":      `{"id":1,"result":{"type":"data","data":@}}`,
		"unterminated array":     `{"id":1,"result":{"type":"data","data":[1,2}}`,
		"array missing comma":    `{"id":1,"result":{"type":"data","data":[1 2]}}`,
		"object missing comma":   `{"id":1,"result":{"type":"data","data":{"a":1 "b":2}}}`,
		"object bad key":         `{"id":1,"result":{"type":"data","data":{1:2}}}`,
		"deep array nesting":     `{"id":1,"result":{"type":"data","data":` + deep + `}}`,
		"deep object nesting":    `{"id":1,"result":{"type":"data","data":` + deepObj + `}}`,
		"deep unknown field":     `{"x":` + deep + `,"id":1,"result":{"type":"data"}}`,
		"bad escape in key":      `{"\q":1}`,
		"truncated error":        `{"id":1,"error":{"message":"x"`,
		"nul byte":               "{\"id\":1,\x00\"result\":{\"type\":\"data\"}}",
		"trailing nul byte":      "{\"id\":1,\"result\":{\"type\":\"data\"}}\x00",
		"trailing space nul":     "{\"id\":1,\"result\":{\"type\":\"data\"}} \x00 ",
	}
	for name, f := range frames {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r, err := Decode([]byte(f))
			var fe *FrameError
			if !errors.As(err, &fe) {
				t.Fatalf("Decode(%.80q) = %+v, %v; want *FrameError", f, r, err)
			}
			if fe.Offset < 0 || fe.Offset > len(f) || fe.Reason == "" {
				t.Errorf("FrameError %+v for a %d-byte frame", fe, len(f))
			}
			if !strings.Contains(fe.Error(), "malformed server frame") || !strings.Contains(fe.Error(), fe.Reason) {
				t.Errorf("Error() = %q", fe.Error())
			}
			if r.HasID || r.Data != nil || r.Error != nil || r.Method != "" {
				t.Errorf("failed Decode returned a non-zero Response %+v", r)
			}
		})
	}
}

func TestDecodeNestingLimit(t *testing.T) {
	t.Parallel()
	// Nesting within the limit decodes.
	ok := strings.Repeat("[", 400) + strings.Repeat("]", 400)
	r, err := Decode([]byte(`{"id":1,"result":{"type":"data","data":` + ok + `}}`))
	if err != nil || string(r.Data) != ok {
		t.Fatalf("400 levels: %v", err)
	}
	if !Valid([]byte(ok)) {
		t.Errorf("Valid rejects 400 levels")
	}
	if Valid([]byte(strings.Repeat("[", 1000) + strings.Repeat("]", 1000))) {
		t.Errorf("Valid accepts 1000 levels")
	}
}

func TestValid(t *testing.T) {
	t.Parallel()
	good := []string{`0`, `-0`, `1.5e-3`, `-12E+4`, `""`, `"\u00e9\n\"\\\/"`, `true`, `false`, `null`, `[]`, `{}`,
		`[1,"a",{"b":[null]}]`, ` {"a" : 1 } `, `"😀"`, "\"\xff\""}
	bad := []string{``, ` `, `01`, `1.`, `.5`, `-`, `+1`, `1e`, `tru`, `nul`, `[1,]`, `{"a":1,}`, `{"a"}`, `{a:1}`,
		`"abc`, `"\x"`, `"\u12"`, "\"\t\"", "0\x00", "{}\x00", "\x00", `[1 2]`, `{} {}`, `1 2`, `[`, `}`, `NaN`, `'a'`}
	for _, g := range good {
		if !Valid([]byte(g)) {
			t.Errorf("Valid(%q) = false", g)
		}
		if !json.Valid([]byte(g)) && g != "\"\xff\"" {
			t.Errorf("test bug: %q is not valid JSON", g)
		}
	}
	for _, b := range bad {
		if Valid([]byte(b)) {
			t.Errorf("Valid(%q) = true", b)
		}
		if json.Valid([]byte(b)) {
			t.Errorf("test bug: %q is valid JSON", b)
		}
	}
}

func TestUnescape(t *testing.T) {
	t.Parallel()
	tests := []struct{ raw, want string }{
		{`plain`, "plain"},
		{`\"\\\/\b\f\n\r\t`, "\"\\/\b\f\n\r\t"},
		{`\u0041\u00e9\u20AC`, "Aé€"},
		{`\ud83d\ude00`, "😀"},
		{`x\uD83D\uDE00y`, "x😀y"},
		{`\ud83d`, "\uFFFD"},              // lone high surrogate
		{`\ude00`, "\uFFFD"},              // lone low surrogate
		{`\ud83dx`, "\uFFFDx"},            // high surrogate, then no escape
		{`\ud83d\u0041`, "\uFFFDA"},       // high surrogate, then a non-surrogate escape
		{`\ud83d\ud83d\ude00`, "\uFFFD😀"}, // two highs, then a low
		{`\ud83d\n`, "\uFFFD\n"},
		{`\u0000`, "\x00"},
	}
	for _, tt := range tests {
		got := unescape([]byte(tt.raw))
		if got != tt.want {
			t.Errorf("unescape(%s) = %q, want %q", tt.raw, got, tt.want)
		}
		// encoding/json agrees.
		var std string
		if err := json.Unmarshal([]byte(`"`+tt.raw+`"`), &std); err != nil || std != got {
			t.Errorf("encoding/json decodes %s as %q (%v), unescape as %q", tt.raw, std, err, got)
		}
	}
}

func TestAppendStringRoundTrip(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "a", "\x00\x1f\x7f", `"\`, "\u2028\u2029", "é😀", "<>&", strings.Repeat("\\\"", 50)} {
		enc := appendString(nil, s)
		var back string
		if err := json.Unmarshal(enc, &back); err != nil || back != s {
			t.Errorf("appendString(%q) = %s → %q, %v", s, enc, back, err)
		}
		r, err := Decode([]byte(`{"id":1,"result":{"type":"data","id":` + string(enc) + `}}`))
		if err != nil || r.EventID != s {
			t.Errorf("Decode event id %s = %q, %v", enc, r.EventID, err)
		}
	}
}

func TestParseError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  string
		want TRPCError
	}{
		{"full", `{"message":"nope","code":-32600,"data":{"code":"BAD_REQUEST","httpStatus":400,"path":"fail","stack":"..."}}`,
			TRPCError{Message: "nope", Code: "BAD_REQUEST", JSONRPCCode: -32600, HTTPStatus: 400, Path: "fail",
				Data: []byte(`{"code":"BAD_REQUEST","httpStatus":400,"path":"fail","stack":"..."}`)}},
		{"data first, spaces", `{ "data" : { "path" : "a.b" , "code" : "NOT_FOUND" } , "code" : -32004 , "message" : "m" }`,
			TRPCError{Message: "m", Code: "NOT_FOUND", JSONRPCCode: -32004, Path: "a.b",
				Data: []byte(`{ "path" : "a.b" , "code" : "NOT_FOUND" }`)}},
		{"code from JSON-RPC code", `{"message":"bad token","code":-32001}`,
			TRPCError{Message: "bad token", Code: "UNAUTHORIZED", JSONRPCCode: -32001}},
		{"custom formatter code wins", `{"message":"x","code":-32603,"data":{"code":"MY_CODE"}}`,
			TRPCError{Message: "x", Code: "MY_CODE", JSONRPCCode: -32603, Data: []byte(`{"code":"MY_CODE"}`)}},
		{"no message", `{"code":-32029}`,
			TRPCError{Message: "TOO_MANY_REQUESTS", Code: "TOO_MANY_REQUESTS", JSONRPCCode: -32029}},
		{"unknown code", `{"message":"x","code":-1}`,
			TRPCError{Message: "x", Code: "UNKNOWN", JSONRPCCode: -1}},
		{"escaped message", `{"message":"a\nb\u00e9","code":-32600}`,
			TRPCError{Message: "a\nbé", Code: "BAD_REQUEST", JSONRPCCode: -32600}},
		{"wrong types are skipped", `{"message":1,"code":"x","data":{"code":5,"httpStatus":"400","path":null}}`,
			TRPCError{Message: "UNKNOWN", Code: "UNKNOWN", Data: []byte(`{"code":5,"httpStatus":"400","path":null}`)}},
		{"data not an object", `{"message":"m","code":-32700,"data":"x"}`,
			TRPCError{Message: "m", Code: "PARSE_ERROR", JSONRPCCode: -32700}},
		{"fractional code", `{"message":"m","code":-32600.5}`,
			TRPCError{Message: "m", Code: "UNKNOWN"}},
		{"malformed", `{"message":"m","code":`,
			TRPCError{Message: "m", Code: "UNKNOWN"}},
		{"not an object", `"boom"`,
			TRPCError{Message: "UNKNOWN", Code: "UNKNOWN"}},
		{"superjson's shape", `{"json":{"message":"no","code":-32001,"data":{"code":"UNAUTHORIZED","httpStatus":401,"path":"secret"}},"meta":{"values":{}}}`,
			TRPCError{Message: "no", Code: "UNAUTHORIZED", JSONRPCCode: -32001, HTTPStatus: 401, Path: "secret",
				Data: []byte(`{"code":"UNAUTHORIZED","httpStatus":401,"path":"secret"}`)}},
		{"superjson's shape, meta first", `{"meta":{},"json":{"code":-32004}}`,
			TRPCError{Message: "NOT_FOUND", Code: "NOT_FOUND", JSONRPCCode: -32004}},
		{"json's fields read as the error's own", `{"message":"m","json":{"code":-32001}}`,
			TRPCError{Message: "m", Code: "UNAUTHORIZED", JSONRPCCode: -32001}},
		{"one level unwrapped", `{"json":{"json":{"code":-32001}}}`,
			TRPCError{Message: "UNKNOWN", Code: "UNKNOWN"}},
		{"json not an object", `{"json":"x"}`,
			TRPCError{Message: "UNKNOWN", Code: "UNKNOWN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := ParseError([]byte(tt.raw))
			w := tt.want
			if e.Message != w.Message || e.Code != w.Code || e.JSONRPCCode != w.JSONRPCCode ||
				e.HTTPStatus != w.HTTPStatus || e.Path != w.Path || string(e.Data) != string(w.Data) {
				t.Errorf("got  %+v (data %s)\nwant %+v (data %s)", *e, e.Data, w, w.Data)
			}
			if string(e.Raw) != tt.raw {
				t.Errorf("Raw = %s", e.Raw)
			}
			if e.Error() != "trpc: "+w.Code+": "+w.Message {
				t.Errorf("Error() = %q", e.Error())
			}
		})
	}
}

func TestCodeName(t *testing.T) {
	t.Parallel()
	codes := map[int]string{
		-32700: "PARSE_ERROR", -32600: "BAD_REQUEST", -32603: "INTERNAL_SERVER_ERROR", -32001: "UNAUTHORIZED",
		-32002: "PAYMENT_REQUIRED", -32003: "FORBIDDEN", -32004: "NOT_FOUND", -32005: "METHOD_NOT_SUPPORTED",
		-32008: "TIMEOUT", -32009: "CONFLICT", -32012: "PRECONDITION_FAILED", -32013: "PAYLOAD_TOO_LARGE",
		-32015: "UNSUPPORTED_MEDIA_TYPE", -32022: "UNPROCESSABLE_CONTENT", -32028: "PRECONDITION_REQUIRED",
		-32029: "TOO_MANY_REQUESTS", -32099: "CLIENT_CLOSED_REQUEST", 0: "UNKNOWN", -32000: "UNKNOWN",
	}
	for c, want := range codes {
		if got := CodeName(c); got != want {
			t.Errorf("CodeName(%d) = %q, want %q", c, got, want)
		}
	}
}

func TestClosedError(t *testing.T) {
	t.Parallel()
	cause := ParseError([]byte(`{"message":"bad token","code":-32001}`))
	e := &ClosedError{Message: "WebSocket closed", Code: 1006, Cause: cause}
	if !errors.Is(e, ErrConnectionClosed) {
		t.Error("errors.Is(ClosedError, ErrConnectionClosed) = false")
	}
	var te *TRPCError
	if !errors.As(e, &te) || te != cause {
		t.Error("errors.As does not reach the cause")
	}
	if got := e.Error(); got != "trpcws: WebSocket closed (code 1006): trpc: UNAUTHORIZED: bad token" {
		t.Errorf("Error() = %q", got)
	}
	if got := (&ClosedError{Message: "Closed before connection was established"}).Error(); got != "trpcws: Closed before connection was established" {
		t.Errorf("Error() = %q", got)
	}
	if errors.Is(cause, ErrConnectionClosed) {
		t.Error("a TRPCError matches ErrConnectionClosed")
	}
}

// isKeepAlive reports whether frame is the bare PING or PONG text.
func isKeepAlive(frame []byte) bool {
	return string(frame) == "PING" || string(frame) == "PONG"
}

// TestValidStringBytes puts each kind of byte at each offset of strings
// long enough for the word-at-a-time scan, and compares with encoding/json.
func TestValidStringBytes(t *testing.T) {
	t.Parallel()
	for _, c := range []byte{'"', '\\', 0, 0x01, 0x1f, ' ', '!', '#', '[', ']', 'a', 0x7f, 0x80, 0xa0, 0xdc, 0xff} {
		for n := 0; n <= 24; n++ {
			for p := 0; p <= n; p++ {
				body := bytes.Repeat([]byte{'x'}, n)
				body = append(body[:p], append([]byte{c}, body[p:]...)...)
				for _, doc := range [][]byte{
					append(append([]byte{'"'}, body...), '"'),
					append(append([]byte(`["`), body...), `"]`...),
					append([]byte{'"'}, body...),
				} {
					if got, want := Valid(doc), json.Valid(doc); got != want {
						t.Errorf("Valid(%q) = %v, encoding/json says %v", doc, got, want)
					}
				}
			}
		}
	}
}
