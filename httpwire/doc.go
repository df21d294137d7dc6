// Package httpwire is the sans-I/O wire code of tRPC v11 over plain HTTP:
// the requests and responses of httpBatchLink (batch.go) and the
// Server-Sent Events stream of httpSubscriptionLink (sse.go). It builds
// bytes and parses bytes; it opens no connection, starts no goroutine and
// reads no clock, so the HTTP driver carries out what it returns. The
// format is written down in docs/http.md.
package httpwire
