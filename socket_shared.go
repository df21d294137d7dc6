package trpcws

import (
	"context"
	"sync"

	"github.com/trpcws/trpcws/core"
)

// What both socket drivers (socket.go natively, socket_js.go on js/wasm)
// share: how the core's wish to close a socket is recorded, how a closed
// socket is reported, and how the user's URL and connection params
// functions are called.

// closeMark records, under mu, whether and how the core asked to close a
// socket. Each platform's socket embeds it and guards its own fields with
// the same mu.
type closeMark struct {
	mu      sync.Mutex
	closing bool // the core asked to close it
	abort   bool // drop it without a closing handshake
	code    int  // the close code the core asked for
}

// markClosing records that the core gave the socket up; c.mu is held.
func (m *closeMark) markClosing(abort bool) {
	m.mu.Lock()
	m.closing = true
	m.abort = m.abort || abort
	m.mu.Unlock()
}

// wasClosing reports whether the core asked to close the socket.
func (m *closeMark) wasClosing() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closing
}

// socketEnded reports socket id closed to the core, then to OnClose (on
// the callbacks' goroutine).
func (c *Client) socketEnded(id core.SocketID, code int, err error) {
	c.do(func(now int64) {
		delete(c.sockets, id)
		c.core.Closed(now, id, code, err)
	})
	if c.opts.OnClose != nil {
		c.notes.add(note{kind: noteClose, code: code})
	}
}

// callURL calls Options.URLFunc, turning a panic into a *PanicError.
func callURL(ctx context.Context, f func(context.Context) (string, error)) (url string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Callback: "URLFunc", Value: r}
		}
	}()
	return f(ctx)
}

// callParams calls Options.ConnectionParamsFunc, turning a panic into a
// *PanicError.
func callParams(ctx context.Context, f func(context.Context) (map[string]string, error)) (p map[string]string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Callback: "ConnectionParamsFunc", Value: r}
		}
	}()
	return f(ctx)
}
