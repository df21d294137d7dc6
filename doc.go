// Package trpcws is a tRPC v11 WebSocket client for Go: the same wire
// protocol and connection behaviour as @trpc/client's wsLink and
// createWSClient (11.25), for Go programs that talk to a tRPC server.
//
// A [Client] keeps one WebSocket to the server, opened at once or on first
// use ([LazyOptions]). Queries and mutations made while the previous ones are
// being written leave together as one batch frame, with no timer delay.
// Subscriptions survive lost sockets: they are re-sent on the next socket
// with the id of the last tracked event they delivered, so the server can
// resume without gaps.
//
//	c, err := trpcws.NewClient(trpcws.Options{URL: "ws://127.0.0.1:3001"})
//	if err != nil { ... }
//	defer c.Close(context.Background())
//	res, err := c.Query(ctx, "greeting", map[string]string{"name": "go"})
//	var tErr *trpcws.TRPCError
//	if errors.As(err, &tErr) && tErr.Code == "NOT_FOUND" { ... }
//
// # Reconnect semantics
//
// When the socket is lost, queries and mutations in flight on it fail with
// an error matching [ErrConnectionClosed] (never retried: they may have run);
// subscriptions wait and are re-sent once a new socket is open.
// Options.RetryDelay (default [ExponentialBackoff]: 0, 2 s, 4 s, … 30 s) is
// waited before each attempt; when the server rejected the connection (an
// id:null error, e.g. bad connection params) the attempt index keeps growing
// instead of restarting at 0. When the server asks clients to reconnect
// (before a deploy), the client opens the new socket first, moves the
// subscriptions there and closes the old one once it has drained: no events
// are lost or delivered twice, and in-flight calls on the old socket still
// complete.
//
// # Network hints
//
// The client finds a closed socket on its own, and with KeepAlive a silent
// one. A program that knows more can pass it on, optionally:
// [Client.SetOnline] when the operating system or a mobile host reports the
// network down or back, [Client.Wake] when the machine resumed from sleep or
// the network changed under the socket. Back online or awake, a client
// waiting out its retry delay attempts at once and a connected one with
// KeepAlive checks its socket with a PING; while offline no attempt is made
// or counted against RetryOptions.MaxAttempts.
//
// # Concurrency
//
// A Client is safe for concurrent use. Subscription callbacks for one
// subscription run one at a time, in order, on a goroutine of their own;
// the client-wide callbacks (OnOpen, OnClose, OnError, OnStateChange) run
// in order on another. No callback runs under the client's lock or on the
// goroutine that reads a socket, so a callback may call any method of the
// client. A callback that panics is recovered and reported through
// Options.OnError. A subscription buffers at most
// SubscribeOptions.BufferSize events for a slow consumer, then ends with
// [ErrSlowConsumer].
//
// A call returns when its context ends, whatever the socket is doing.
// [Client.Close] is final: calls made after it began fail with
// [ErrClientClosed]. It waits for in-flight calls and every goroutine the
// client started, and returns by its context's deadline in every case.
//
// The core state machine lives in package [github.com/trpcws/trpcws/core];
// package [github.com/trpcws/trpcws/wsdriver] drives it with goroutines and
// Go's clock for ws(s):// URLs, and package
// [github.com/trpcws/trpcws/httpdriver] carries http(s):// URLs; this
// package is the API over both (docs/architecture.md). On every platform
// but js/wasm the socket is github.com/coder/websocket. In a Go program
// compiled with GOOS=js GOARCH=wasm (a browser front end, or Node 22 and
// later) the same API drives the host's WebSocket through
// github.com/hack-pad/safejs; calls block the calling goroutine, never the
// JavaScript event loop, so make them from a goroutine, not directly inside
// a js.FuncOf callback. There Options has no HTTPHeader or HTTPClient (a
// host WebSocket sets its own handshake headers).
//
// The WebAssembly build for JavaScript users (web/, built from ./wasm) does
// not use this package: it drives the same core through package jsbridge,
// so that neither net/http nor encoding/json ends up in its .wasm.
package trpcws
