// Package sink defines Sink, through which a transport driver (package
// wsdriver for the WebSocket, package httpdriver for Server-Sent Events)
// hands one subscription's life to its owner: the connection state, the
// server's start, each event, and the one end (an error or a completion).
// It is its own package so that both drivers accept the same type without
// one depending on the other, and so that core, which calls no one, stays
// free of it.
package sink

import (
	"encoding/json"

	"github.com/trpcws/trpcws/core"
)

// Sink receives one subscription's outputs, in order, one at a time.
// A driver calls it without holding its lock (wsdriver's Subscribe, which
// calls State under its lock, says so). Its methods must not block: they
// queue for delivery. Error or Complete comes once, last.
type Sink interface {
	// State is the connection state: at Subscribe, then on every change.
	State(st core.State, err error)
	// Started: the server started the subscription (again after a new
	// socket or event stream).
	Started()
	// Event is one event; id is its tracked id, when tracked.
	Event(data json.RawMessage, id string, tracked bool)
	// Error ends the subscription with err.
	Error(err error)
	// Complete ends it without error; closed tells that it was ended from
	// this side (by the driver's Close, or over HTTP by the end of the
	// subscription's context), so what is still queued need not be
	// delivered.
	Complete(closed bool)
}
