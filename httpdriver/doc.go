// Package httpdriver carries out tRPC over plain HTTP with net/http: queries
// and mutations batched as httpBatchLink sends them, and subscriptions over
// Server-Sent Events as httpSubscriptionLink reads them, resumed after the
// last tracked event with the WebSocket client's backoff, and delivered to
// a Sink (package sink's, the type package wsdriver takes too) as wsdriver
// delivers a WebSocket subscription. Close ends it for good, as wsdriver's
// Close does. The bytes are built and parsed by package httpwire; this
// package only does the I/O.
package httpdriver
