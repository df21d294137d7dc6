package trpcws

import (
	"encoding/json"
	"errors"
	"unicode/utf8"

	"github.com/trpcws/trpcws/core"
)

// A Transformer converts what the client sends and receives for a tRPC
// server created with a data transformer (initTRPC.create({transformer}),
// most often superjson: package github.com/trpcws/trpcws/superjson
// implements it). Set it in Options.Transformer; nil sends and returns the
// JSON as it is.
//
// As tRPC's own client applies its transformer, Serialize is called for
// every call's and subscription's input, on every transport, and
// Deserialize for every result, every subscription event and every error
// the server sent (the whole error object: tRPC serializes its message,
// code and data together). Both run on the calling goroutine, on the
// goroutine delivering the subscription's events or (an SSE subscription
// resuming after a drop) on its stream's, never under the client's lock,
// and may be called concurrently. Interceptors see the values before
// Serialize and after Deserialize. Options.HTTPBatchStream does not take
// a transformer yet.
type Transformer interface {
	// Serialize turns an input (the JSON Query, Mutation or Subscribe was
	// given, after the interceptors) into what is sent. input is nil for a
	// call without input (JavaScript's undefined, which the transformer
	// may still need to send: superjson does); a nil result sends none.
	Serialize(input json.RawMessage) (json.RawMessage, error)
	// Deserialize turns what the server sent into the plain JSON the
	// caller gets. It is not called when the server sent nothing (a
	// procedure that returned nothing without a transformer); a nil result
	// means the procedure returned nothing.
	Deserialize(data json.RawMessage) (json.RawMessage, error)
}

// TransformError fails a call or ends a subscription when
// Options.Transformer returned an error, panicked (Err is then the
// *PanicError, also logged and passed to Options.OnError) or returned
// something that is not JSON. The client goes on serving other calls.
type TransformError struct {
	// Path is the procedure of the call or subscription.
	Path string
	// Method is "Serialize" or "Deserialize".
	Method string
	// Data is what the server sent, when Deserialize failed.
	Data json.RawMessage
	// Err is the transformer's error, or the *PanicError.
	Err error
}

func (e *TransformError) Error() string {
	return withCause("trpcws: "+e.Path+": Options.Transformer."+e.Method+" failed", e.Err)
}

// Unwrap returns the transformer's error.
func (e *TransformError) Unwrap() error { return e.Err }

// withCause appends cause's text to msg, without a second "trpcws: ".
func withCause(msg string, cause error) string {
	if cause == nil {
		return msg
	}
	s := cause.Error()
	if len(s) > 8 && s[:8] == "trpcws: " {
		s = s[8:]
	}
	return msg + ": " + s
}

var errNotJSON = errors.New("trpcws: it returned invalid JSON or UTF-8")

// serialize passes a call's input through Options.Transformer.
func (c *Client) serialize(path string, input []byte) ([]byte, error) {
	t := c.opts.Transformer
	if t == nil {
		return input, nil
	}
	var out json.RawMessage
	var err error
	if pe := c.try("Transformer.Serialize", func() { out, err = t.Serialize(input) }); pe != nil {
		err = pe
	} else if c.gone.Load() {
		return nil, ErrClientClosed
	}
	if err == nil && out != nil && (!core.Valid(out) || !utf8.Valid(out)) {
		err = errNotJSON
	}
	if err != nil {
		return nil, &TransformError{Path: path, Method: "Serialize", Err: err}
	}
	return out, nil
}

// deserialize passes what the server sent through Options.Transformer.
func (c *Client) deserialize(path string, data json.RawMessage) (json.RawMessage, error) {
	t := c.opts.Transformer
	if t == nil || data == nil {
		return data, nil
	}
	var out json.RawMessage
	var err error
	if pe := c.try("Transformer.Deserialize", func() { out, err = t.Deserialize(data) }); pe != nil {
		err = pe
	} else if c.gone.Load() {
		return nil, ErrClientClosed
	}
	if err == nil && out != nil && !json.Valid(out) {
		err = errNotJSON
	}
	if err != nil {
		return nil, &TransformError{Path: path, Method: "Deserialize", Data: data, Err: err}
	}
	return out, nil
}

// deserializeError passes a *TRPCError the server sent (alone, or as the
// cause of a *ClosedError) through Options.Transformer, and parses what it
// returns. As in the reference client, that must be an error object with
// a numeric code, or the call fails with a *TransformError.
func (c *Client) deserializeError(path string, err error) error {
	if c.opts.Transformer == nil || err == nil {
		return err
	}
	switch e := err.(type) {
	case *TRPCError:
		return c.plainError(path, e)
	case *ClosedError:
		if te, ok := e.Cause.(*TRPCError); ok {
			ce := *e
			ce.Cause = c.plainError(path, te)
			return &ce
		}
	}
	return err
}

func (c *Client) plainError(path string, e *TRPCError) error {
	if e.Raw == nil {
		return e // made by the client, not sent by the server
	}
	plain, err := c.deserialize(path, e.Raw)
	if err != nil {
		return err
	}
	var shape struct {
		Code json.RawMessage `json:"code"`
	}
	if plain == nil || json.Unmarshal(plain, &shape) != nil || len(shape.Code) == 0 || (shape.Code[0] != '-' && (shape.Code[0] < '0' || shape.Code[0] > '9')) {
		return &TransformError{Path: path, Method: "Deserialize", Data: e.Raw,
			Err: errors.New("trpcws: the error it returned is not an object with a numeric code")}
	}
	return core.ParseError(plain)
}

// transformEvent passes a subscription event through Options.Transformer.
// On the WebSocket the server serialized the event's whole data ({"id",
// "data"} for a tracked event); over SSE only the value, the driver adding
// the tracked event's {"id", "data"} around it.
func (s *Subscription) transformEvent(ev *Event) error {
	c := s.c
	if !s.sse || !ev.Tracked {
		d, err := c.deserialize(s.path, ev.Data)
		ev.Data = d
		return err
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(ev.Data, &env); err != nil {
		return &TransformError{Path: s.path, Method: "Deserialize", Data: ev.Data, Err: err}
	}
	d, err := c.deserialize(s.path, env.Data)
	if err != nil {
		return err
	}
	id, _ := json.Marshal(ev.ID)
	out := make([]byte, 0, len(id)+len(d)+16)
	out = append(out, `{"id":`...)
	out = append(out, id...)
	if d != nil {
		out = append(out, `,"data":`...)
		out = append(out, d...)
	}
	ev.Data = append(out, '}')
	return nil
}

// transformItem applies Options.Transformer to an item about to be
// delivered: an event's data, or the *TRPCError that ends it.
func (s *Subscription) transformItem(it *subItem) error {
	if s.c.opts.Transformer == nil {
		return nil
	}
	switch it.kind {
	case itemData:
		return s.transformEvent(&it.ev)
	case itemError:
		it.err = s.c.deserializeError(s.path, it.err)
	}
	return nil
}

// serializeSubscription serializes a subscription's input. On the
// WebSocket lastEventID goes beside the input (params.lastEventId) and the
// server adds it to the input it deserialized; over SSE it goes inside the
// input, which httpSubscriptionLink adds before serializing: so does this.
func (c *Client) serializeSubscription(s *Subscription, raw []byte, lastEventID string) ([]byte, string, error) {
	if s.sse && lastEventID != "" {
		obj := map[string]json.RawMessage{}
		if raw != nil && string(raw) != "null" {
			if err := json.Unmarshal(raw, &obj); err != nil {
				return nil, "", errors.New("trpcws: a subscription resumed with lastEventId needs an object input")
			}
		}
		id, _ := json.Marshal(lastEventID)
		obj["lastEventId"] = id
		raw, _ = json.Marshal(obj)
		lastEventID = ""
	}
	out, err := c.serialize(s.path, raw)
	return out, lastEventID, err
}

// resumeInput is the serialized input of an SSE stream resuming after the
// tracked event lastEventID (httpdriver's SubscribeOptions.Resume).
func (s *Subscription) resumeInput(lastEventID string) ([]byte, error) {
	raw, _, err := s.c.serializeSubscription(s, s.input, lastEventID)
	return raw, err
}
