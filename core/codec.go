package core

import "strconv"

// Method is the kind of a client request, as named on the wire.
type Method uint8

// The request methods of tRPC's WebSocket protocol.
const (
	Query Method = iota + 1
	Mutation
	Subscription
)

// String returns the method's wire name ("query", "mutation", "subscription").
func (m Method) String() string {
	switch m {
	case Query:
		return "query"
	case Mutation:
		return "mutation"
	case Subscription:
		return "subscription"
	}
	return "unknown"
}

// ResultType is the "type" of a server result envelope.
type ResultType uint8

// The result types a server sends.
const (
	ResultNone    ResultType = iota // the frame carries no result (an error or a server request)
	ResultData                      // {"type":"data"}: a query/mutation answer or a subscription event
	ResultStarted                   // {"type":"started"}: a subscription is running
	ResultStopped                   // {"type":"stopped"}: a subscription ended on the server
)

// String returns the type's wire name ("data", "started", "stopped"), as
// Decode reads it; "" for ResultNone.
func (t ResultType) String() string {
	switch t {
	case ResultData:
		return "data"
	case ResultStarted:
		return "started"
	case ResultStopped:
		return "stopped"
	}
	return ""
}

// Ping and Pong are the keep-alive frames, sent as bare text.
var (
	Ping = []byte("PING")
	Pong = []byte("PONG")
)

// Request is one outgoing call, as encoded by AppendRequest.
type Request struct {
	// WireID is the frame's "id": what the server's answers carry. It is
	// not the id the core's outputs name a request by (Output.ID), which
	// stays the same when a subscription is sent again under a new WireID.
	WireID int64
	Method Method
	Path   string
	// Input is the raw JSON of params.input; nil leaves the field out, as
	// the reference client does for an undefined input.
	Input []byte
	// LastEventID, when HasLastEventID is set, is sent as
	// params.lastEventId (subscriptions only).
	LastEventID    string
	HasLastEventID bool
}

// AppendRequest appends the JSON encoding of r to dst, in the reference
// client's field order: {"id":1,"method":"query","params":{"input":…,"path":"…"}}.
func AppendRequest(dst []byte, r *Request) []byte {
	dst = append(dst, `{"id":`...)
	dst = strconv.AppendInt(dst, r.WireID, 10)
	dst = append(dst, `,"method":"`...)
	dst = append(dst, r.Method.String()...)
	dst = append(dst, `","params":{`...)
	if r.Input != nil {
		dst = append(dst, `"input":`...)
		dst = append(dst, r.Input...)
		dst = append(dst, ',')
	}
	dst = append(dst, `"path":`...)
	dst = appendString(dst, r.Path)
	if r.HasLastEventID {
		dst = append(dst, `,"lastEventId":`...)
		dst = appendString(dst, r.LastEventID)
	}
	return append(dst, "}}"...)
}

// AppendStop appends a subscription.stop message for id.
func AppendStop(dst []byte, id int64) []byte {
	dst = append(dst, `{"id":`...)
	dst = strconv.AppendInt(dst, id, 10)
	return append(dst, `,"method":"subscription.stop"}`...)
}

// AppendConnectionParams appends the connectionParams message; params is
// the raw JSON of a string record or null (nil is sent as null).
func AppendConnectionParams(dst []byte, params []byte) []byte {
	dst = append(dst, `{"method":"connectionParams","data":`...)
	if params == nil {
		params = []byte("null")
	}
	dst = append(dst, params...)
	return append(dst, '}')
}

// Response is one decoded server frame. Payloads are slices of the frame
// passed to Decode and are only valid as long as it is.
type Response struct {
	// ID is the wire id (Request.WireID) the frame answers; HasID is false
	// for id:null (connection-level) frames. A non-numeric id decodes as
	// HasID with ID -1.
	ID    int64
	HasID bool
	// Method is set for server requests, e.g. "reconnect".
	Method string
	// Type is the result type; ResultNone when the frame has no result.
	Type ResultType
	// Data is the raw JSON of result.data, nil when absent (a void result).
	Data []byte
	// EventID is result.id of a tracked event; HasEventID tells whether it was present.
	EventID    string
	HasEventID bool
	// Error is the raw JSON of the error object, nil when absent.
	Error []byte
}

// Decode parses a server frame. It never panics; a frame that is not a
// well-formed JSON object with a result, an error or a method gives a
// *FrameError.
func Decode(frame []byte) (Response, error) {
	var r Response
	s := scanner{buf: frame}
	hasResult := false
	s.object(func(key []byte) {
		switch string(key) {
		case "id":
			switch s.peek() {
			case 'n':
				s.literal("null")
			case '"':
				r.HasID = true
				id, ok := parseInt([]byte(s.str()))
				r.ID = -1
				if ok {
					r.ID = id
				}
			default:
				r.HasID = true
				n := s.number()
				r.ID = -1
				if id, ok := parseInt(n); ok {
					r.ID = id
				}
			}
		case "method":
			r.Method = s.str()
		case "result":
			hasResult = true
			if s.peek() != '{' {
				s.fail("result is not an object")
				return
			}
			s.object(func(key []byte) {
				switch string(key) {
				case "type":
					switch string(s.strBytes()) {
					case "data":
						r.Type = ResultData
					case "started":
						r.Type = ResultStarted
					case "stopped":
						r.Type = ResultStopped
					default:
						s.fail("unknown result type")
					}
				case "data":
					r.Data = s.value()
				case "id":
					switch s.peek() {
					case '"':
						r.EventID, r.HasEventID = s.str(), true
					case 'n':
						s.literal("null")
					default:
						r.EventID, r.HasEventID = string(s.number()), true
					}
				default:
					s.skipValue(1)
				}
			})
			if s.err == nil && r.Type == ResultNone {
				s.fail("result has no type")
			}
		case "error":
			if s.peek() != '{' {
				s.fail("error is not an object")
				return
			}
			r.Error = s.value()
		default:
			s.skipValue(1)
		}
	})
	s.end()
	if s.err != nil {
		return Response{}, s.err
	}
	if !hasResult && r.Error == nil && r.Method == "" {
		return Response{}, &FrameError{Reason: "frame has no result, error or method"}
	}
	return r, nil
}
