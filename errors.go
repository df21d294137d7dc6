package trpcws

import (
	"context"
	"errors"

	"github.com/trpcws/trpcws/core"
)

// TRPCError is an error the server sent for a call: use errors.As to get it.
// It is core.TRPCError, with these fields:
//
//	Message     string // error.message
//	Code        string // tRPC's error code (error.data.code), e.g. "BAD_REQUEST" or "NOT_FOUND"
//	JSONRPCCode int    // error.code, e.g. -32600
//	HTTPStatus  int    // error.data.httpStatus, 0 when absent
//	Path        string // error.data.path: the procedure that failed, when sent
//	Data        []byte // the raw JSON of error.data (a stack, errorFormatter's fields)
//	Raw         []byte // the raw JSON of the whole error object
type TRPCError = core.TRPCError

// ClosedError ends a call whose socket was lost or that was still queued
// when the client closed. It matches ErrConnectionClosed with errors.Is.
// It is core.ClosedError, with these fields:
//
//	Message string // the reference's wording: "WebSocket closed", "Initialization error", ...
//	Code    int    // the WebSocket close code, 0 when none was received
//	Cause   error  // what closed the socket, when known (a *TRPCError, a dial error, a *URLError)
type ClosedError = core.ClosedError

// FrameError reports a server frame that could not be decoded; it reaches
// Options.OnError, and the connection carries on. It is core.FrameError,
// with these fields:
//
//	Offset int    // the byte offset where decoding stopped
//	Reason string // what was wrong
type FrameError = core.FrameError

// ErrConnectionClosed is matched by errors.Is for every call that ended
// because its socket closed or the client was closed.
var ErrConnectionClosed = core.ErrConnectionClosed

// ErrSubscriptionEnded is returned by Subscription.Err once a subscription
// ended normally: stopped by the server, unsubscribed, or completed by Close.
var ErrSubscriptionEnded = errors.New("trpcws: subscription ended")

// ErrNotResubscribed ends a subscription started with
// SubscribeOptions.NoResubscribe where it would have been sent again after
// a reconnect.
var ErrNotResubscribed = core.ErrNotResubscribed

// PanicError wraps a value recovered from a panicking user callback.
type PanicError struct {
	// Callback names the callback, e.g. "OnData".
	Callback string
	// Value is what the callback panicked with.
	Value any
}

func (e *PanicError) Error() string { return "trpcws: " + e.Callback + " panicked" }

// ErrClientClosed is matched by errors.Is for every call made after Close
// began (it fails at once, nothing is sent), for calls Close abandoned when
// its deadline passed, and for a second Close. It also matches
// ErrConnectionClosed.
var ErrClientClosed error = clientClosed{}

type clientClosed struct{}

func (clientClosed) Error() string { return "trpcws: client closed" }

// Is makes errors.Is(ErrClientClosed, ErrConnectionClosed) true.
func (clientClosed) Is(target error) bool { return target == ErrConnectionClosed }

// ErrSlowConsumer ends a subscription whose callbacks (or Events loop) fell
// SubscribeOptions.BufferSize events behind the server. The events received
// before it are delivered first; resubscribe with the last tracked event's
// id to resume where it stopped.
var ErrSlowConsumer = errors.New("trpcws: subscription ended: the consumer fell too far behind (buffer full)")

// TimeoutError ends a call that got no answer within Options.RequestTimeout
// (errors.Is(err, context.DeadlineExceeded) is true), or a connection
// attempt that did not open within Options.ConnectTimeout. It is
// core.TimeoutError, with these fields:
//
//	What string // "request" or "connect"
//	Ms   int64  // the limit that was exceeded, in milliseconds
type TimeoutError = core.TimeoutError

// GaveUpError is why the client stopped reconnecting (RetryOptions): the
// state's error, and the error of every call and subscription it ended.
// It names the cause, and matches ErrConnectionClosed. It is
// core.GaveUpError, with these fields:
//
//	Attempts int   // how many attempts in a row failed
//	Cause    error // what ended the last socket or attempt, when known
type GaveUpError = core.GaveUpError

// URLError is a WebSocket URL that can never be dialled (it does not parse,
// has no host, or its scheme is not ws or wss). NewClient returns it for
// Options.URL; a URL Options.URLFunc returns fails its attempt with it
// (reported to OnError), and the client gives up at once instead of
// retrying: the state's and the calls' *GaveUpError holds it (errors.As).
// The next call asks URLFunc again. It is core.URLError, with these fields:
//
//	Option string // where the URL came from: "Options.URL" or "Options.URLFunc"
//	URL    string // the URL as given
//	Reason string // what is wrong with it
//	Cause  error  // in the JavaScript module only: the TypeError that says it
type URLError = core.URLError

// ErrQueueFull fails a call made while Options.MaxQueued calls already wait
// for a connection.
var ErrQueueFull = core.ErrQueueFull

// deadlineError makes a request timeout match context.DeadlineExceeded.
type deadlineError struct{ err error }

func (e *deadlineError) Error() string        { return e.err.Error() }
func (e *deadlineError) Unwrap() error        { return e.err }
func (e *deadlineError) Is(target error) bool { return target == context.DeadlineExceeded }

// callError maps a core error for the caller.
func callError(err error) error {
	if errors.Is(err, core.ErrTimeout) {
		return &deadlineError{err}
	}
	return err
}
