//go:build js && wasm

package trpcws

import (
	"context"
	"log/slog"
	"time"

	"github.com/trpcws/trpcws/wsdriver"
)

// Options configures a Client. They mirror the reference client's options.
//
// This is the js/wasm declaration: the same fields as on every other
// platform but HTTPHeader and HTTPClient, which a host WebSocket cannot
// use (a browser sends its own handshake headers), so that a program that
// sets them fails to compile instead of silently losing them. HTTP requests
// (an http(s):// URL, HTTPURL) go through the host's fetch, and the socket
// is the host's global WebSocket (browsers, Node 22 or later, Deno, Bun).
type Options struct {
	// URL is the server's WebSocket URL, e.g. "ws://127.0.0.1:3001", or its
	// HTTP endpoint, e.g. "http://host/api/trpc": calls then go as
	// httpBatchLink sends them and subscriptions over Server-Sent Events
	// (docs/http.md), with no WebSocket.
	// NewClient returns a *URLError when URL cannot be dialled.
	URL string
	// HTTPURL, with a WebSocket URL (or URLFunc), splits the transports as
	// tRPC's splitLink is usually set up: queries and mutations go over
	// HTTP to this tRPC endpoint (as httpBatchLink sends them, e.g.
	// "https://host/api/trpc") and subscriptions over the WebSocket. Set
	// Lazy too to open the socket only while subscriptions need it.
	HTTPURL string
	// HTTPBatchStream makes the HTTP transport's calls as
	// httpBatchStreamLink does rather than httpBatchLink: with the header
	// trpc-accept: application/jsonl, the server streams the batch's
	// results as JSON lines and each call returns as soon as its own result
	// arrives, not with the slowest of its batch. A server that does not
	// stream answers as for httpBatchLink, which works as well. A
	// procedure returning an async iterable fails its call (not read).
	HTTPBatchStream bool
	// URLFunc, when set, is called before every connection attempt instead
	// of using URL; ctx ends when the client is closed. A result that
	// cannot be dialled fails the attempt with a *URLError and is not
	// retried: the client gives up (see URLError).
	URLFunc func(ctx context.Context) (string, error)

	// ConnectionParams, when non-nil, is sent as the first message on every
	// socket, or as the connectionParams query parameter of every SSE
	// event stream (the server's createContext sees it as
	// info.connectionParams).
	ConnectionParams map[string]string
	// ConnectionParamsFunc, when set, is called on every connection instead
	// of using ConnectionParams: each socket, and each connection of an SSE
	// event stream (reconnects too; ctx then ends with the subscription).
	// ConnectionTransport(ctx) tells which of the two it is called for.
	// Returning nil sends null. It runs outside the client's lock; an
	// error or panic (a *PanicError) fails that connection attempt, which
	// is reported to OnError and retried after the retry delay.
	ConnectionParamsFunc func(ctx context.Context) (map[string]string, error)

	// RetryDelay returns how long to wait before reconnect attempt number
	// attempt (from 0). Nil means ExponentialBackoff; see also Backoff. It
	// runs outside the client's lock and may call the client; a panic
	// means ExponentialBackoff.
	RetryDelay func(attempt int) time.Duration
	// Retry limits reconnecting; the zero value retries forever.
	Retry RetryOptions

	// RefreshAuth, when set, renews credentials the server refused: it is
	// called when a call fails with tRPC code UNAUTHORIZED, when the server
	// closes the socket with a code of RefreshAuthCloseCodes, or when it
	// rejects the connection params with UNAUTHORIZED. Once it returns nil
	// the client opens a new socket (ConnectionParamsFunc is called again:
	// have it return the fresh token) and moves to it make-before-break
	// (subscriptions resume after their last event id; calls in flight on
	// the old socket finish there), and retries there, once, the queries
	// and subscriptions that failed with UNAUTHORIZED. Concurrent failures
	// share one call. An error fails the calls that waited with an
	// *AuthRefreshError (also passed to OnError); when the refresh stood for
	// a connection attempt (the socket was closed) it counts as a failed
	// attempt (Retry.MaxAttempts), with the retry delay before the next.
	// It runs on its own goroutine, outside the client's lock, and may call
	// the client; ctx ends when Close begins. A panic is a failed refresh.
	// Nil: refusals reach the callers, as in the reference.
	RefreshAuth func(ctx context.Context, reason AuthReason) error
	// RefreshAuthCloseCodes are the close codes that start RefreshAuth; nil
	// means DefaultAuthCloseCodes (4401, 4403, 1008), an empty slice none.
	RefreshAuthCloseCodes []int
	// RefreshAuthRetryMutations also retries, after RefreshAuth, a mutation
	// that failed with UNAUTHORIZED (set it when the server checks auth
	// before a mutation runs). Off: such a mutation's error goes to its
	// caller, though it still starts the refresh.
	RefreshAuthRetryMutations bool

	// ConnectTimeout abandons a connection attempt that has not opened
	// (and resolved its connection params) within this time; it counts as
	// a failed attempt. 0: no limit (the reference).
	ConnectTimeout time.Duration
	// RequestTimeout fails a query or mutation with no answer within this
	// time with a *TimeoutError matching context.DeadlineExceeded; the
	// socket and other calls are untouched, and a call's own ctx deadline
	// still applies. Subscriptions have none. 0: no limit (the reference).
	RequestTimeout time.Duration
	// MaxConnectionAge moves to a new socket once the open one is this old,
	// plus a random jitter of up to a tenth of it (so that many clients do
	// not move at once): make-before-break, as for the server's reconnect
	// request (subscriptions resume from their last event id on the new
	// socket, calls in flight finish on the old one). A Lazy client with
	// nothing in flight and no subscription closes its socket instead. For
	// platforms and load balancers that end connections on a schedule. 0:
	// no limit (the reference).
	MaxConnectionAge time.Duration
	// MaxQueued bounds the calls waiting for a connection (not yet sent):
	// one more fails at once with ErrQueueFull. Calls made while a socket
	// is open are never refused. 0: no bound (the reference).
	MaxQueued int
	// Logger, when set, receives the client's debug events at
	// slog.LevelDebug: state changes, connection attempts with their delay
	// and cause, opens and closes, give-up, timeouts and refused calls.
	Logger *slog.Logger

	// OnOpen is called whenever a socket opens.
	OnOpen func()
	// OnClose is called whenever a socket closes, with its close code (0
	// when none was received), including closes the client chose.
	OnClose func(code int)
	// OnError is called when a socket fails, when the server sends a frame
	// that cannot be decoded (a *FrameError), and when a callback panics (a
	// *PanicError; a panic in OnError itself is only logged to Logger).
	OnError func(err error)
	// OnStateChange is called with every connection state change.
	OnStateChange func(ConnectionState)

	// Interceptors wrap every query, mutation and subscription, on either
	// transport, the first one outermost: they may change a call's context,
	// input and HTTP headers and see its result (see Interceptor).
	Interceptors []Interceptor
	// Transformer, for a server created with a data transformer
	// (initTRPC.create({transformer: superjson})), serializes every input
	// and deserializes every result, event and error, on every transport;
	// superjson.Transformer{} (package github.com/trpcws/trpcws/superjson)
	// is superjson's. Nil sends and returns the JSON as it is. Not with
	// HTTPBatchStream (NewClient refuses it).
	Transformer Transformer

	// Lazy opens the socket only on the first request and closes it after
	// a period without activity.
	Lazy LazyOptions
	// KeepAlive pings the server when it has been silent for a while and
	// drops the socket when it does not answer.
	KeepAlive KeepAliveOptions

	// ReadLimit bounds the size of one inbound message in bytes; 0 means
	// 32 MiB, -1 means no limit. A larger WebSocket message drops the
	// socket (close code 1009) and the client reconnects. Over HTTP it
	// bounds a batch response (read whole), each line of a streamed batch
	// response (HTTPBatchStream) and each event or line of an event stream:
	// a response past it fails the calls it had not answered with a
	// *ClosedError whose Cause is an *httpwire.LimitError naming the limit,
	// and an event stream past it is reopened and resumed after its last
	// tracked event, as after a drop.
	ReadLimit int64
}

// dialOptions sets what the WebSocket takes from opts: nothing more on
// js/wasm, where the host's WebSocket makes its own handshake.
func (o *Options) dialOptions(*wsdriver.Options) {}
