package httpwire

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/trpcws/trpcws/core"
)

// SSEEvent is one event of a text/event-stream, dispatched as the HTML
// standard's EventSource does.
type SSEEvent struct {
	// Type is the event field, "message" when there was none.
	Type string
	// Data is the data lines joined by "\n".
	Data string
	// LastEventID is the stream's last event id when the event was
	// dispatched (an id field sets it for this and later events).
	LastEventID string
}

// SSEParser splits a text/event-stream into events. Feed it the response
// body in chunks of any size; it keeps a partial line between calls.
type SSEParser struct {
	// Limit bounds a line (one without end too) and an event's data, in
	// bytes; 0 means no limit. Past it Feed returns a *LimitError.
	Limit int64

	line    []byte
	typ     string
	data    strings.Builder
	hasData bool
	lastID  string
	skipLF  bool // the previous chunk ended in \r: a leading \n belongs to it
}

// LastEventID is the last id the stream set.
func (p *SSEParser) LastEventID() string { return p.lastID }

// Feed parses chunk and appends the events it completed to evs. An error
// (a *LimitError) ends the stream: the parser is not to be fed again.
func (p *SSEParser) Feed(evs []SSEEvent, chunk []byte) ([]SSEEvent, error) {
	for len(chunk) > 0 {
		if p.skipLF {
			p.skipLF = false
			if chunk[0] == '\n' {
				chunk = chunk[1:]
				continue
			}
		}
		i := bytes.IndexAny(chunk, "\r\n")
		if i < 0 {
			i = len(chunk)
		}
		if over(len(p.line)+i, p.Limit) {
			return evs, &LimitError{What: "SSE line", Limit: p.Limit}
		}
		p.line = append(p.line, chunk[:i]...)
		if i == len(chunk) {
			return evs, nil
		}
		if chunk[i] == '\r' {
			if i+1 < len(chunk) {
				if chunk[i+1] == '\n' {
					i++
				}
			} else {
				p.skipLF = true
			}
		}
		chunk = chunk[i+1:]
		var err error
		if evs, err = p.lineDone(evs); err != nil {
			return evs, err
		}
	}
	return evs, nil
}

func (p *SSEParser) lineDone(evs []SSEEvent) ([]SSEEvent, error) {
	line := p.line
	p.line = p.line[:0]
	if len(line) == 0 {
		if p.hasData {
			typ := p.typ
			if typ == "" {
				typ = "message"
			}
			evs = append(evs, SSEEvent{Type: typ, Data: p.data.String(), LastEventID: p.lastID})
		}
		p.typ, p.hasData = "", false
		p.data.Reset()
		return evs, nil
	}
	if line[0] == ':' {
		return evs, nil // comment
	}
	field, value, _ := bytes.Cut(line, []byte{':'})
	value = bytes.TrimPrefix(value, []byte{' '})
	switch string(field) {
	case "event":
		p.typ = string(value)
	case "data":
		n := p.data.Len() + len(value)
		if p.hasData {
			n++ // the "\n" between data lines
		}
		if over(n, p.Limit) {
			return evs, &LimitError{What: "SSE event", Limit: p.Limit}
		}
		if p.hasData {
			p.data.WriteByte('\n')
		}
		p.data.Write(value)
		p.hasData = true
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			p.lastID = string(value)
		}
	}
	return evs, nil
}

// The event types tRPC's SSE stream uses.
const (
	EventConnected       = "connected"
	EventPing            = "ping"
	EventReturn          = "return"
	EventSerializedError = "serialized-error"
	EventRestoreID       = "restore-id"
	EventMessage         = "message"
)

// Kind is what a tRPC SSE event means to a subscription.
type Kind uint8

const (
	// KindIgnore is an event without meaning here (restore-id, unknown types).
	KindIgnore Kind = iota
	// KindStarted is "connected": the server started the subscription.
	KindStarted
	// KindData is a value the subscription yielded.
	KindData
	// KindPing is the server's keep-alive.
	KindPing
	// KindDone is "return": the subscription completed; do not reconnect.
	KindDone
	// KindError is "serialized-error". Retry tells whether the reference
	// reconnects on it instead of ending the subscription.
	KindError
)

// Message is a tRPC SSE event, interpreted.
type Message struct {
	Kind Kind
	// Data is the value as the subscriber gets it: for a tracked event
	// {"id":…,"data":…}, as over the WebSocket.
	Data json.RawMessage
	// ID is the tracked event's id; Tracked tells whether there was one.
	ID      string
	Tracked bool
	// InactivityMs is the connected event's reconnectAfterInactivityMs (0:
	// none): reopen the stream when no event came for that long.
	InactivityMs int64
	// Err is the server's error (KindError).
	Err *core.TRPCError
	// Retry is set for a KindError whose code the reference retries
	// (BAD_GATEWAY, SERVICE_UNAVAILABLE, GATEWAY_TIMEOUT,
	// INTERNAL_SERVER_ERROR).
	Retry bool
}

// Interpret turns a stream event into what it means for the subscription.
// An event whose data is not the JSON it should be is an error.
func Interpret(ev SSEEvent) (Message, error) {
	switch ev.Type {
	case EventConnected:
		var opts struct {
			ReconnectAfterInactivityMs float64 `json:"reconnectAfterInactivityMs"`
		}
		if ev.Data != "" {
			if err := json.Unmarshal([]byte(ev.Data), &opts); err != nil {
				return Message{}, errors.Join(errors.New("httpwire: bad connected event"), err)
			}
		}
		return Message{Kind: KindStarted, InactivityMs: int64(opts.ReconnectAfterInactivityMs)}, nil
	case EventPing:
		return Message{Kind: KindPing}, nil
	case EventReturn:
		return Message{Kind: KindDone}, nil
	case EventSerializedError:
		if !json.Valid([]byte(ev.Data)) {
			return Message{}, errors.New("httpwire: serialized-error event is not JSON")
		}
		e := core.ParseError([]byte(ev.Data))
		return Message{Kind: KindError, Err: e, Retry: Retryable(e.Code)}, nil
	case EventMessage:
		if !json.Valid([]byte(ev.Data)) {
			return Message{}, errors.New("httpwire: event data is not JSON")
		}
		if ev.LastEventID == "" {
			return Message{Kind: KindData, Data: json.RawMessage(ev.Data)}, nil
		}
		id, _ := json.Marshal(ev.LastEventID)
		data := make([]byte, 0, len(ev.Data)+len(id)+16)
		data = append(data, `{"id":`...)
		data = append(data, id...)
		data = append(data, `,"data":`...)
		data = append(data, ev.Data...)
		data = append(data, '}')
		return Message{Kind: KindData, Data: data, ID: ev.LastEventID, Tracked: true}, nil
	}
	return Message{Kind: KindIgnore}, nil
}

// Retryable reports whether httpSubscriptionLink reconnects, rather than
// ending the subscription, after a serialized-error event with this tRPC
// code.
func Retryable(code string) bool {
	switch code {
	case "BAD_GATEWAY", "SERVICE_UNAVAILABLE", "GATEWAY_TIMEOUT", "INTERNAL_SERVER_ERROR":
		return true
	}
	return false
}

// SubscriptionURL is the URL of the event stream of a subscription to path
// with input (nil for none), resuming after lastEventID when it is not
// empty: as httpSubscriptionLink, it is put into the input object as
// "lastEventId". connectionParams, when not nil, goes in the query string.
// An input that is not an object cannot carry lastEventId: an error.
func SubscriptionURL(base, path string, input []byte, lastEventID string, connectionParams []byte) (string, error) {
	if lastEventID != "" {
		var err error
		if input, err = withLastEventID(input, lastEventID); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	base, own, _ := strings.Cut(base, "?")
	b.WriteString(strings.TrimSuffix(base, "/"))
	b.WriteByte('/')
	b.WriteString(path)
	sep := byte('?')
	part := func(s string) {
		b.WriteByte(sep)
		sep = '&'
		b.WriteString(s)
	}
	if own != "" {
		part(own)
	}
	if connectionParams != nil {
		part("connectionParams=")
		appendURIComponent(&b, connectionParams)
	}
	if input != nil {
		part("input=")
		appendURIComponent(&b, input)
	}
	return b.String(), nil
}

func withLastEventID(input []byte, id string) ([]byte, error) {
	obj := map[string]json.RawMessage{}
	if input != nil && string(bytes.TrimSpace(input)) != "null" {
		if err := json.Unmarshal(input, &obj); err != nil {
			return nil, errors.New("httpwire: a subscription resumed with lastEventId needs an object input")
		}
	}
	raw, _ := json.Marshal(id)
	obj["lastEventId"] = raw
	return json.Marshal(obj)
}
