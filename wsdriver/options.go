package wsdriver

import (
	"context"
	"net/http"

	"github.com/trpcws/trpcws/core"
	"github.com/trpcws/trpcws/sink"
)

// Options configures a Client. The functions are the owner's (the root
// package's): the driver calls them without holding its lock, and the
// hooks (Go and those after it) must not block.
type Options struct {
	// Config is the core's configuration.
	Config core.Config
	// URL is the server's WebSocket URL; URLFunc, when set, is called
	// before every connection attempt instead (a result CheckURL refuses
	// fails the attempt). ctx ends when the socket is given up.
	URL     string
	URLFunc func(ctx context.Context) (string, error)
	// ConnectionParams, when non-nil, or ConnectionParamsFunc's result is
	// sent as the first message on every socket.
	ConnectionParams     map[string]string
	ConnectionParamsFunc func(ctx context.Context) (map[string]string, error)
	// Header returns the headers of each WebSocket handshake; nil for
	// none. HTTPClient does the handshake; nil means http.DefaultClient.
	// Both are ignored on js/wasm, where the host's WebSocket sets its own.
	Header     func(ctx context.Context) (http.Header, error)
	HTTPClient *http.Client
	// ReadLimit bounds one inbound message in bytes; 0 means 32 MiB, -1
	// means no limit.
	ReadLimit int64

	// ErrClosed is the error of a Call or Subscribe made once Close has
	// begun; the errors of calls that Close ended match it (errors.Is).
	ErrClosed error

	// Go runs fn on a new goroutine that the owner waits for when it
	// closes: the sockets' readers and writers.
	Go func(fn func())
	// OnOpen is told that a socket opened, OnClose that one closed (with
	// its close code, 0 when none was received), OnError of a failed
	// socket, a frame that could not be decoded or a failed connection
	// params function.
	OnOpen  func()
	OnClose func(code int)
	OnError func(err error)
	// Note receives every core.OutState and core.OutNote output, after the
	// subscriptions were given the state.
	Note func(o core.Output)
	// Retry answers a core.OutRetry (Config.AskRetry); reason is the close
	// reason of the socket that ended, when one was received.
	Retry func(o core.Output, reason string) core.RetryAnswer
	// RefreshAuth is asked for a core.OutRefreshAuth (Config.RefreshAuth);
	// it reports the outcome later with Client.AuthRefreshed.
	RefreshAuth func(o core.Output)
}

// The hooks take core.Output by value: a pointer into the driver's
// effects would make them escape to the heap on every input.

// Sink receives one subscription's outputs (sink.Sink, the type
// httpdriver takes too). Complete(true) means completed by Close; after
// Cancel nothing more is delivered.
type Sink = sink.Sink
