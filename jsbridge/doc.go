//go:build js && wasm

// Package jsbridge drives the sans-I/O [core.Client] from JavaScript: it is
// the WebAssembly build's driver, the counterpart of the native driver in
// the root package. web/lib (dispatch.js reads its records) is its only caller.
//
// # The boundary
//
// JavaScript owns every host object: the WebSocket objects and their event
// listeners, the timers, the microtask that flushes writes, the user's
// callbacks and observers. Go owns the protocol state (one [core.Client] per
// JS client). JavaScript calls Go through //go:wasmexport functions (about
// 0.3 µs a call, against 15–30 µs for a js.FuncOf callback): one call per
// event, each taking only numbers plus, where needed, UTF-8 bytes that
// JavaScript wrote into a Go buffer (see trpcws_alloc). Each call returns a
// compact list of outputs in Go memory, which JavaScript reads in place and
// carries out:
//
//   - nums: float64 records [kind, fields...], see the rec* constants;
//   - bytes: UTF-8 text the records point into (frames to send, event ids,
//     error descriptions as small JSON objects).
//
// The address of the header describing both lives at a fixed place
// (trpcws_header) and holds [numsPtr, numsLen, bytesPtr, bytesLen].
//
// Payloads never make a round trip:
//   - a request's input stays in JavaScript; Go puts a marker
//     "\x00<handle>\x00" where the input goes and JavaScript splices the
//     JSON text into the frame just before ws.send (the connection params
//     likewise, as "\x00p<socket>\x00"). JSON text never holds a raw NUL, so
//     the marker cannot collide with real content;
//   - an inbound frame crosses into Go once (Go must route it); the result
//     data it carries comes back as UTF-16 offsets into the frame string
//     JavaScript still holds, so JavaScript calls JSON.parse on a slice of
//     its own string. Go only finds where the data is, never decodes it.
//     Every frame takes this one path, whatever its length;
//   - with experimental_encoder, JavaScript decodes the frame and Go gets
//     the message's envelope as JSON text with 0 where result.data was; the
//     data the user sees is the decoded value.
//
// # Rules every exported function follows
//
//   - It returns at once: no channel operations, no locks, no sleeping, no
//     goroutines. (A //go:wasmexport function that blocks corrupts the
//     runtime.)
//   - Every panic is recovered and reported as a failure (return value -1,
//     the message in bytes), which web/index.js turns into a thrown Error
//     or a rejected request; the instance keeps working (trpcws_panic
//     exists to prove it).
//   - Go never calls JavaScript: user code (retryDelayMs included: the core
//     asks with recRetry and JavaScript answers with trpcws_retry) runs
//     between Go calls. JavaScript defers any call into Go made while it
//     carries out a call's records, so Go is never re-entered.
//
// No js.Func is ever created, so there is nothing to release when a client
// ends; [Bridge.Free] drops its state.
package jsbridge
