//go:build js && wasm

package jsbridge

import "github.com/trpcws/trpcws/core"

// jsCause is a cause JavaScript holds (a close or error event, a thrown
// constructor error): Go only keeps its handle, JavaScript resolves it.
type jsCause struct{ handle int64 }

func (e *jsCause) Error() string {
	return "trpcws: JavaScript cause #" + string(appendNumber(nil, e.handle))
}

// bridgeError is a failure of a call itself (bad arguments, a recovered
// panic); JavaScript throws it as an Error.
type bridgeError string

func (e bridgeError) Error() string { return string(e) }

// appendError appends err as a small JSON object web/index.js turns into
// the reference client's error values:
//
//	{"t":"trpc","error":<the server's error object>}
//	{"t":"closed","message":"WebSocket closed","code":1006,"cause":<error>|null}
//	{"t":"js","h":<cause handle>}
//	{"t":"timeout","what":"request"|"connect","ms":5000,"message":"..."}
//	{"t":"gaveUp","attempts":3,"message":"...","cause":<error>|null}
//	{"t":"queueFull","message":"..."}
//	{"t":"notResubscribed","message":"..."}
//	{"t":"go","message":"..."}
func appendError(dst []byte, err error, depth int) []byte {
	if err == nil || depth > 8 {
		return append(dst, "null"...)
	}
	switch e := err.(type) {
	case *core.TRPCError:
		if e.Raw != nil {
			dst = append(dst, `{"t":"trpc","error":`...)
			dst = append(dst, e.Raw...)
			return append(dst, '}')
		}
		dst = append(dst, `{"t":"trpc","error":{"message":`...)
		dst = appendJSONString(dst, e.Message)
		dst = append(dst, `,"code":`...)
		dst = appendNumber(dst, int64(e.JSONRPCCode))
		dst = append(dst, `,"data":{"code":`...)
		dst = appendJSONString(dst, e.Code)
		return append(dst, "}}}"...)
	case *core.ClosedError:
		dst = append(dst, `{"t":"closed","message":`...)
		dst = appendJSONString(dst, e.Message)
		dst = append(dst, `,"code":`...)
		dst = appendNumber(dst, int64(e.Code))
		dst = append(dst, `,"cause":`...)
		dst = appendError(dst, e.Cause, depth+1)
		return append(dst, '}')
	case *core.URLError:
		if e.Cause != nil {
			// JavaScript's own TypeError says it.
			return appendError(dst, e.Cause, depth)
		}
	case *jsCause:
		dst = append(dst, `{"t":"js","h":`...)
		dst = appendNumber(dst, e.handle)
		return append(dst, '}')
	case *core.TimeoutError:
		dst = append(dst, `{"t":"timeout","what":`...)
		dst = appendJSONString(dst, e.What)
		dst = append(dst, `,"ms":`...)
		dst = appendNumber(dst, e.Ms)
		dst = append(dst, `,"message":`...)
		dst = appendJSONString(dst, e.Error())
		return append(dst, '}')
	case *core.GaveUpError:
		// The message leaves the cause out: a JavaScript cause is only a
		// handle here, and JavaScript appends the text of the real one.
		dst = append(dst, `{"t":"gaveUp","attempts":`...)
		dst = appendNumber(dst, int64(e.Attempts))
		dst = append(dst, `,"message":`...)
		dst = appendJSONString(dst, (&core.GaveUpError{Attempts: e.Attempts}).Error())
		dst = append(dst, `,"cause":`...)
		dst = appendError(dst, e.Cause, depth+1)
		return append(dst, '}')
	case *core.AuthRefreshError:
		// Err is the handle of the TRPCWebSocketAuthRefreshError JavaScript
		// made when refreshAuth failed (see Bridge.AuthRefreshed): it holds
		// both what refreshAuth threw and the reason already.
		return appendError(dst, e.Err, depth)
	}
	switch {
	case isError(err, core.ErrQueueFull):
		dst = append(dst, `{"t":"queueFull","message":`...)
	case isError(err, core.ErrNotResubscribed):
		dst = append(dst, `{"t":"notResubscribed","message":`...)
	default:
		dst = append(dst, `{"t":"go","message":`...)
	}
	dst = appendJSONString(dst, err.Error())
	return append(dst, '}')
}

// panicMessage turns a recovered panic value into text, without fmt.
func panicMessage(r any) (msg string) {
	defer func() {
		if recover() != nil {
			msg = "trpcws: panic (unprintable value)"
		}
	}()
	switch v := r.(type) {
	case error:
		return "trpcws: panic: " + v.Error()
	case string:
		return "trpcws: panic: " + v
	}
	return "trpcws: panic"
}
