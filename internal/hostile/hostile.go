// Package hostile is a tRPC WebSocket server for tests that misbehaves on
// request: malformed, oversized, deeply nested and unexpected frames, and
// floods of PING and reconnect notifications.
//
// It speaks just enough of the protocol to be used as a client's server:
// the query or mutation "echo" answers its input, PING gets PONG, and the
// query "hostile" with a class name as input (see Classes) sends that
// class's frames on the caller's socket, then answers "sent". A client
// test calls "hostile" for each class, then "echo" to see that it
// survived.
package hostile

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Class is one kind of hostile frame.
type Class struct {
	// Name is what the client passes to the "hostile" query.
	Name string
	// Malformed tells whether a client must report at least one of the
	// frames as malformed (Go: a *FrameError to Options.OnError).
	Malformed bool
	// Drops tells whether the class makes the client lose its socket (the
	// "hostile" call itself may then fail): frames over the read limit.
	Drops bool
	// WebDrops tells whether a WebSocket as browsers implement it fails
	// the connection on these frames (invalid UTF-8 in a text frame: 1007).
	WebDrops bool
	// frames returns what to send: text frames, or binary ones prefixed
	// with binaryMark.
	frames func() [][]byte
}

const binaryMark = "\x00binary:"

func text(s ...string) func() [][]byte {
	return func() [][]byte {
		out := make([][]byte, len(s))
		for i, f := range s {
			out[i] = []byte(f)
		}
		return out
	}
}

func repeat(frame string, n int) func() [][]byte {
	return func() [][]byte {
		out := make([][]byte, n)
		for i := range out {
			out[i] = []byte(frame)
		}
		return out
	}
}

func nested(depth int) string {
	return `{"id":777001,"result":{"type":"data","data":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}}`
}

func big(size int, valid bool) func() [][]byte {
	return func() [][]byte {
		var b bytes.Buffer
		b.Grow(size + 64)
		b.WriteString(`{"id":777002,"result":{"type":"data","data":"`)
		b.Write(bytes.Repeat([]byte("x"), size))
		if valid {
			b.WriteString(`"}}`)
		}
		return [][]byte{b.Bytes()}
	}
}

// Classes are the hostile frame classes, in the order a suite runs them.
var Classes = []Class{
	{Name: "non-json", Malformed: true, frames: text(
		"hello", "{", "}{", `[1,2`, `{"id":1,"result":}`, "\x00\x01\x02", "PINGPONG", `{"id":1}{"id":2}`, "",
	)},
	{Name: "binary", Malformed: true, frames: text(
		binaryMark+`{"id":777003,"result":{"type":"data","data":1}}`,
		binaryMark+"\xff\xfe\x00garbage",
		binaryMark,
	)},
	{Name: "invalid-utf8", Malformed: true, WebDrops: true, frames: text(
		"{\"id\":777004,\"result\":{\"type\":\"data\",\"data\":\"\xff\xfe\"}}",
	)},
	{Name: "wrong-types", Malformed: true, frames: text(
		`null`, `[]`, `"str"`, `123`, `true`, `[null,1,"x"]`,
		`{"id":"abc","result":5}`, `{"id":[],"result":null}`, `{"id":{},"result":{}}`,
		`{"id":777005,"result":{"type":5}}`, `{"id":777006,"result":{"type":"nope"}}`,
		`{"id":777007,"error":"just a string"}`, `{"id":777008,"error":{"code":"x","message":7}}`,
		`{"id":true,"method":5}`, `{"id":null,"method":"reconnect","params":7}`,
		`{"id":null,"method":42}`, `{"id":null,"error":{"message":"bad","code":-32600}}`,
		`{"result":{"type":"data","data":1}}`,
	)},
	{Name: "unknown-ids", frames: text(
		`{"id":999999,"result":{"type":"data","data":1}}`,
		`{"id":999998,"result":{"type":"started"}}`,
		`{"id":999997,"result":{"type":"stopped"}}`,
		`{"id":999996,"error":{"message":"no such call","code":-32600,"data":{"code":"BAD_REQUEST"}}}`,
		`{"id":"999995","result":{"type":"data","data":1}}`,
	)},
	{Name: "huge-ids", frames: text(
		`{"id":123456789012345678901234567890,"result":{"type":"data","data":1}}`,
		`{"id":9223372036854775807,"result":{"type":"data","data":1}}`,
		`{"id":-9223372036854775808,"result":{"type":"data","data":1}}`,
		`{"id":1e400,"result":{"type":"data","data":1}}`,
		`{"id":-1,"result":{"type":"data","data":1}}`,
		`{"id":1.5,"result":{"type":"data","data":1}}`,
		`{"id":"`+strings.Repeat("9", 100000)+`","result":{"type":"data","data":1}}`,
	)},
	{Name: "deep-nesting", Malformed: true, frames: text(nested(100000), `{"a":`+strings.Repeat(`{"a":`, 100000)+`1`+strings.Repeat("}", 100001))},
	{Name: "big-valid", frames: big(8<<20, true)},
	{Name: "big-unterminated", Malformed: true, frames: big(8<<20, false)},
	{Name: "over-read-limit", Drops: true, frames: big(50<<20, true)},
	{Name: "ping-flood", frames: repeat("PING", 20000)},
	{Name: "pong-flood", frames: repeat("PONG", 20000)},
	{Name: "reconnect-flood", frames: repeat(`{"id":null,"method":"reconnect"}`, 2000)},
	{Name: "error-flood", Malformed: true, frames: repeat(`{"id":`, 20000)},
}

// Find returns the class called name.
func Find(name string) (Class, bool) {
	for _, c := range Classes {
		if c.Name == name {
			return c, true
		}
	}
	return Class{}, false
}

// Server is a running hostile server.
type Server struct {
	// URL is its WebSocket URL, ws://127.0.0.1:PORT.
	URL string

	srv  *http.Server
	ln   net.Listener
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
	mu   sync.Mutex
	sent map[string]int
}

// Start starts a server on loopback and a free port.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Server{URL: "ws://" + ln.Addr().String(), ln: ln, ctx: ctx, stop: stop, sent: map[string]int{}}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), BaseContext: func(net.Listener) context.Context { return ctx }}
	go s.srv.Serve(ln)
	return s, nil
}

// Close stops the server and every connection, and waits for them.
func (s *Server) Close() {
	s.stop()
	s.srv.Close()
	s.wg.Wait()
}

// Sent returns how many times each class was sent.
func (s *Server) Sent() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.sent))
	for k, v := range s.sent {
		out[k] = v
	}
	return out
}

type request struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params struct {
		Path  string          `json:"path"`
		Input json.RawMessage `json:"input"`
	} `json:"params"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	s.wg.Add(1)
	defer s.wg.Done()
	defer conn.CloseNow()
	conn.SetReadLimit(64 << 20)
	ctx := s.ctx
	var writers sync.WaitGroup
	defer writers.Wait()
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			return
		}
		switch string(data) {
		case "PING":
			conn.Write(ctx, websocket.MessageText, []byte("PONG"))
			continue
		case "PONG":
			continue
		}
		var reqs []request
		if len(data) > 0 && data[0] == '[' {
			json.Unmarshal(data, &reqs)
		} else {
			var one request
			if json.Unmarshal(data, &one) == nil {
				reqs = []request{one}
			}
		}
		for _, req := range reqs {
			if req.Method != "query" && req.Method != "mutation" {
				continue // subscriptions, stops and connection params are ignored
			}
			switch req.Params.Path {
			case "echo":
				reply(ctx, conn, req.ID, req.Params.Input)
			case "hostile":
				var name string
				json.Unmarshal(req.Params.Input, &name)
				class, ok := Find(name)
				if !ok {
					conn.Write(ctx, websocket.MessageText, []byte(`{"id":`+string(req.ID)+`,"error":{"message":"no such class","code":-32600,"data":{"code":"BAD_REQUEST","httpStatus":400}}}`))
					continue
				}
				s.mu.Lock()
				s.sent[name]++
				s.mu.Unlock()
				// Sent from another goroutine, so that this one goes on
				// reading (a flood of PINGs gets PONGs back).
				writers.Add(1)
				go func(id json.RawMessage) {
					defer writers.Done()
					for _, f := range class.frames() {
						typ := websocket.MessageText
						if b, ok := bytes.CutPrefix(f, []byte(binaryMark)); ok {
							typ, f = websocket.MessageBinary, b
						}
						wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
						err := conn.Write(wctx, typ, f)
						cancel()
						if err != nil {
							return
						}
					}
					reply(ctx, conn, id, json.RawMessage(strconv.Quote("sent")))
				}(req.ID)
			default:
				conn.Write(ctx, websocket.MessageText, []byte(`{"id":`+string(req.ID)+`,"error":{"message":"No procedure","code":-32004,"data":{"code":"NOT_FOUND","httpStatus":404}}}`))
			}
		}
	}
}

func reply(ctx context.Context, conn *websocket.Conn, id, data json.RawMessage) {
	var b bytes.Buffer
	b.WriteString(`{"id":`)
	b.Write(id)
	b.WriteString(`,"result":{"type":"data"`)
	if len(data) > 0 {
		b.WriteString(`,"data":`)
		b.Write(data)
	}
	b.WriteString(`}}`)
	conn.Write(ctx, websocket.MessageText, b.Bytes())
}
