package trpcws

import (
	"context"
	"encoding/json"
	"iter"
	"reflect"
)

// DecodeError reports a result or an event whose JSON does not decode into
// the Go type a typed call asked for ([Query], [Mutation], [Events]). Get it
// with errors.As; Unwrap returns encoding/json's error.
type DecodeError struct {
	// Path is the procedure that sent the value.
	Path string
	// Type is the Go type the value was decoded into.
	Type reflect.Type
	// EventID is the tracked event's id, when the value was one (Events).
	EventID string
	// Data is the raw JSON that did not decode.
	Data json.RawMessage
	// Err is encoding/json's error.
	Err error
}

func (e *DecodeError) Error() string {
	msg := "trpcws: " + e.Path + ": cannot decode "
	if e.EventID != "" {
		msg += "event " + e.EventID + " "
	}
	return msg + "into " + e.Type.String() + ": " + e.Err.Error()
}

// Unwrap returns encoding/json's error.
func (e *DecodeError) Unwrap() error { return e.Err }

// Query calls the query procedure path with input (encoded as for
// [Client.Query]) and decodes its result into an Out with encoding/json. A
// result that does not decode gives a *DecodeError, never a zero Out with a
// nil error. A procedure that returned nothing decodes as JSON null (Out
// keeps its zero value; use a pointer type to tell null apart). A nil ctx
// panics, as for [Client.Query].
//
//	post, err := trpcws.Query[Post](ctx, client, "post.byId", map[string]int{"id": 1})
func Query[Out any](ctx context.Context, c *Client, path string, input any) (Out, error) {
	raw, err := c.Query(ctx, path, input)
	if err != nil {
		var zero Out
		return zero, err
	}
	return decode[Out](path, "", raw)
}

// Mutation calls the mutation procedure path and decodes its result; see
// [Query]. A nil ctx panics, as for [Client.Query].
func Mutation[Out any](ctx context.Context, c *Client, path string, input any) (Out, error) {
	raw, err := c.Mutation(ctx, path, input)
	if err != nil {
		var zero Out
		return zero, err
	}
	return decode[Out](path, "", raw)
}

// TypedEvent is one event of a typed subscription ([Events]).
type TypedEvent[T any] struct {
	// Data is the event's value. For a tracked event it is the value the
	// server passed to tracked(id, value), without the id wrapper.
	Data T
	// ID is the tracked event's id; Tracked tells whether there was one.
	ID      string
	Tracked bool
}

// Events subscribes to path like [Client.Events] and decodes every event
// into a T. A tracked event's value is decoded without its id wrapper and
// its id is kept in TypedEvent.ID, so a loop can save it and resume later
// with lastEventID.
//
// An event that does not decode is yielded as a *DecodeError (with the
// event's id, which the subscription has still passed: it resumes after
// it); the subscription goes on if the loop does. Otherwise errors end the
// iteration as for Client.Events, and breaking out of the loop
// unsubscribes. opts are as for Client.Events. A nil ctx panics when
// Events is called, as for [Client.Events].
func Events[T any](ctx context.Context, c *Client, path string, input any, lastEventID string, opts ...SubscribeOptions) iter.Seq2[TypedEvent[T], error] {
	mustContext(ctx, "Events")
	return func(yield func(TypedEvent[T], error) bool) {
		for ev, err := range c.Events(ctx, path, input, lastEventID, opts...) {
			if err != nil {
				yield(TypedEvent[T]{}, err)
				return
			}
			te, err := decodeEvent[T](path, ev)
			if !yield(te, err) {
				return
			}
		}
	}
}

func decodeEvent[T any](path string, ev Event) (TypedEvent[T], error) {
	te := TypedEvent[T]{ID: ev.ID, Tracked: ev.Tracked}
	data := ev.Data
	if ev.Tracked {
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(ev.Data, &env); err != nil {
			return te, &DecodeError{Path: path, Type: reflect.TypeFor[T](), EventID: ev.ID, Data: ev.Data, Err: err}
		}
		data = env.Data
	}
	v, err := decode[T](path, ev.ID, data)
	te.Data = v
	return te, err
}

func decode[T any](path, eventID string, raw json.RawMessage) (T, error) {
	var v T
	data := raw
	if len(data) == 0 {
		data = json.RawMessage("null")
	}
	if err := json.Unmarshal(data, &v); err != nil {
		var zero T
		return zero, &DecodeError{Path: path, Type: reflect.TypeFor[T](), EventID: eventID, Data: raw, Err: err}
	}
	return v, nil
}
