// Package wsdriver carries out tRPC over a WebSocket: it drives a
// core.Client (the protocol and every policy, sans-I/O) with goroutines,
// a mutex and Go's clock, and does the socket I/O, with
// github.com/coder/websocket natively (socket.go) and the host's WebSocket
// through safejs under GOOS=js (socket_js.go). It is the WebSocket twin of
// package httpdriver, and the root package's Client uses it for ws(s)://
// URLs: calls with Call, subscriptions with Subscribe delivering to a Sink
// (package sink's, the type httpdriver takes too), Close. What concerns the user goes to the root package's hooks
// (Options) and Sinks, which only queue: the driver runs no user callback
// but the functions it is given for dialling (URL, connection params,
// headers), and never one under its lock.
//
// One effect loop (client.go) serves every input: run the input on the
// core under the lock, drain the core's outputs into effects, then carry
// them out without the lock (wake a socket's writer, close a socket,
// answer a call, push to a Sink, call a hook).
package wsdriver
