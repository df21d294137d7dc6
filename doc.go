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
// # Concurrency
//
// A Client is safe for concurrent use. Subscription callbacks for one
// subscription run one at a time, in order, on a goroutine of their own; a
// callback that panics is recovered and reported through Options.OnError.
// Close waits for in-flight calls and every goroutine the client started.
//
// The core state machine lives in package [github.com/trpcws/trpcws/core];
// this package is its native driver (github.com/coder/websocket) and builds
// on every platform but js/wasm. The WebAssembly build uses the same core
// through package jsbridge and the JavaScript package in web/ instead, so
// that neither net/http nor coder/websocket ends up in the .wasm.
package trpcws
