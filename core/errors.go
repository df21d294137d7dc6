package core

import (
	"errors"
	"strconv"
)

// FrameError reports a server frame that could not be decoded. The frame is
// dropped and the connection carries on.
type FrameError struct {
	Offset int    // byte offset where decoding stopped
	Reason string // what was wrong
}

func (e *FrameError) Error() string {
	return "trpcws: malformed server frame at byte " + strconv.Itoa(e.Offset) + ": " + e.Reason
}

// ErrConnectionClosed is matched (with errors.Is) by every error that ends a
// request because its WebSocket closed or the client was closed.
var ErrConnectionClosed = errors.New("trpcws: connection closed")

// ClosedError ends a request whose socket was lost, or that was still queued
// when the client was closed. errors.Is(err, ErrConnectionClosed) is true.
type ClosedError struct {
	// Message is the reference client's wording: "WebSocket closed",
	// "Closed before connection was established", "Initialization error".
	Message string
	// Code is the WebSocket close code, 0 when none was received.
	Code int
	// Cause is what closed the socket, when known (e.g. a *TRPCError the
	// server sent before closing, or a dial error).
	Cause error
}

func (e *ClosedError) Error() string {
	msg := "trpcws: " + e.Message
	if e.Code != 0 {
		msg += " (code " + strconv.Itoa(e.Code) + ")"
	}
	return withCause(msg, e.Cause)
}

// Is makes errors.Is(err, ErrConnectionClosed) true.
func (e *ClosedError) Is(target error) bool { return target == ErrConnectionClosed }

// Unwrap returns the cause.
func (e *ClosedError) Unwrap() error { return e.Cause }

// ErrQueueFull fails a call started while Config.MaxQueued calls already
// wait for a socket.
var ErrQueueFull = errors.New("trpcws: too many calls waiting for a connection")

// ErrNotResubscribed ends a subscription started with Call.NoResubscribe
// when it would be sent again: its socket was lost, or the server asked the
// client to move to a new socket.
var ErrNotResubscribed = errors.New("trpcws: subscription ended by a reconnect (resubscribe off)")

// ErrTimeout is matched (with errors.Is) by every *TimeoutError.
var ErrTimeout = errors.New("trpcws: timeout")

// TimeoutError ends a call (Config.RequestTimeoutMs) or a connection
// attempt (Config.ConnectTimeoutMs) that took too long.
type TimeoutError struct {
	// What timed out: "request" or "connect".
	What string
	// Ms is the limit that was exceeded.
	Ms int64
}

func (e *TimeoutError) Error() string {
	return "trpcws: " + e.What + " timed out after " + strconv.FormatInt(e.Ms, 10) + " ms"
}

// Is makes errors.Is(err, ErrTimeout) true.
func (e *TimeoutError) Is(target error) bool { return target == ErrTimeout }

// GaveUpError is why the client stopped reconnecting (Config.MaxAttempts,
// or the driver answered OutRetry with GiveUp): the state error, and the
// error of every call and subscription it ended.
// errors.Is(err, ErrConnectionClosed) is true.
type GaveUpError struct {
	// Attempts is how many attempts in a row failed.
	Attempts int
	// Cause is what ended the last socket or attempt, when known.
	Cause error
}

func (e *GaveUpError) Error() string {
	return withCause("trpcws: gave up reconnecting after "+strconv.Itoa(e.Attempts)+" failed attempts", e.Cause)
}

// Is makes errors.Is(err, ErrConnectionClosed) true.
func (e *GaveUpError) Is(target error) bool { return target == ErrConnectionClosed }

// Unwrap returns the cause.
func (e *GaveUpError) Unwrap() error { return e.Cause }

// TRPCError is an error sent by the server: the "error" object of a response
// frame. Use errors.As to get it from a failed call.
type TRPCError struct {
	// Message is error.message.
	Message string
	// Code is the tRPC error code from error.data.code (e.g. "BAD_REQUEST"),
	// or derived from JSONRPCCode when the server sent none.
	Code string
	// JSONRPCCode is error.code (e.g. -32600).
	JSONRPCCode int
	// HTTPStatus is error.data.httpStatus, 0 when absent.
	HTTPStatus int
	// Path is error.data.path, the procedure that failed, when sent.
	Path string
	// Data is the raw JSON of error.data (it may carry a stack trace or
	// fields added by the server's errorFormatter).
	Data []byte
	// Raw is the raw JSON of the whole error object.
	Raw []byte
}

func (e *TRPCError) Error() string {
	return "trpc: " + e.Code + ": " + e.Message
}

// ParseError decodes the raw JSON of a server error object. A malformed
// object still yields a usable error carrying the raw bytes.
//
// A server with a transformer sends the error as the transformer's output;
// superjson's is {"json": <the error>, "meta": ...}. The fields of a "json"
// object (one level) are read as the error's own, so its code is known
// before the client deserializes it: Config.RefreshAuth sees UNAUTHORIZED
// through superjson. Raw stays the whole object.
func ParseError(raw []byte) *TRPCError {
	e := &TRPCError{Raw: raw}
	s := scanner{buf: raw}
	inner := false
	var field func(key []byte)
	field = func(key []byte) {
		switch string(key) {
		case "json":
			if !inner && s.peek() == '{' {
				inner = true
				s.object(field)
				return
			}
		case "message":
			if s.peek() == '"' {
				e.Message = s.str()
				return
			}
		case "code":
			if c := s.peek(); c == '-' || c >= '0' && c <= '9' {
				if n, ok := parseInt(s.number()); ok {
					e.JSONRPCCode = int(n)
				}
				return
			}
		case "data":
			if s.peek() == '{' {
				start := s.pos
				s.object(func(key []byte) {
					switch string(key) {
					case "code":
						if s.peek() == '"' {
							e.Code = s.str()
							return
						}
					case "httpStatus":
						if c := s.peek(); c >= '0' && c <= '9' {
							n, _ := parseInt(s.number())
							e.HTTPStatus = int(n)
							return
						}
					case "path":
						if s.peek() == '"' {
							e.Path = s.str()
							return
						}
					}
					s.skipValue(1)
				})
				if s.err == nil {
					e.Data = raw[start:s.pos]
				}
				return
			}
		}
		s.skipValue(1)
	}
	s.object(field)
	if e.Code == "" {
		e.Code = CodeName(e.JSONRPCCode)
	}
	if e.Message == "" {
		e.Message = e.Code
	}
	return e
}

// CodeName maps a JSON-RPC error code to tRPC's error code name, as
// @trpc/server 11 defines them; unknown codes give "UNKNOWN".
func CodeName(code int) string {
	switch code {
	case -32700:
		return "PARSE_ERROR"
	case -32600:
		return "BAD_REQUEST"
	case -32603:
		return "INTERNAL_SERVER_ERROR"
	case -32001:
		return "UNAUTHORIZED"
	case -32002:
		return "PAYMENT_REQUIRED"
	case -32003:
		return "FORBIDDEN"
	case -32004:
		return "NOT_FOUND"
	case -32005:
		return "METHOD_NOT_SUPPORTED"
	case -32008:
		return "TIMEOUT"
	case -32009:
		return "CONFLICT"
	case -32012:
		return "PRECONDITION_FAILED"
	case -32013:
		return "PAYLOAD_TOO_LARGE"
	case -32015:
		return "UNSUPPORTED_MEDIA_TYPE"
	case -32022:
		return "UNPROCESSABLE_CONTENT"
	case -32028:
		return "PRECONDITION_REQUIRED"
	case -32029:
		return "TOO_MANY_REQUESTS"
	case -32099:
		return "CLIENT_CLOSED_REQUEST"
	}
	return "UNKNOWN"
}

// prefix starts every error message of the module, once.
const prefix = "trpcws: "

// withCause appends cause's text to msg, without cause's own prefix: one
// "trpcws: " per message, however deep the chain.
func withCause(msg string, cause error) string {
	if cause == nil {
		return msg
	}
	text := cause.Error()
	if len(text) >= len(prefix) && text[:len(prefix)] == prefix {
		text = text[len(prefix):]
	}
	return msg + ": " + text
}

// URLError is a WebSocket URL that can never be dialled: it does not parse,
// or it is not a ws:// or wss:// URL with a host. A driver reports it as
// the cause of a failed attempt (Closed); the core does not retry it: the
// client gives up at once (a *GaveUpError whose cause chain holds it), and
// the next request starts over, so a URL function is asked again.
type URLError struct {
	// Option names where the URL came from, e.g. "Options.URL" or
	// "Options.URLFunc" (in JavaScript "url"); empty: not said.
	Option string
	// URL is the URL as given (what the URL function returned, when one is
	// used).
	URL string
	// Reason is what is wrong with it.
	Reason string
	// Cause, when not nil, is the error the driver's platform made of it
	// and speaks for it: in JavaScript, the TypeError the client threw,
	// worded from the fields above (URL and Reason may then be empty).
	Cause error
}

func (e *URLError) Error() string {
	if e.Cause != nil && e.URL == "" && e.Reason == "" {
		return withCause(prefix+"invalid WebSocket URL", e.Cause)
	}
	msg := prefix
	if e.Option != "" {
		msg += e.Option + ": "
	}
	return msg + "invalid WebSocket URL \"" + e.URL + "\": " + e.Reason
}

// Unwrap returns Cause.
func (e *URLError) Unwrap() error { return e.Cause }
