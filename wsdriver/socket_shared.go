package wsdriver

import (
	"sync"

	"github.com/trpcws/trpcws/core"
)

// What both socket drivers (socket.go natively, socket_js.go on js/wasm)
// share: how the core's wish to close a socket is recorded, and how a
// closed socket is reported.

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

// socketEnded reports socket id closed to the core, then to the owner.
func (c *Client) socketEnded(id core.SocketID, code int, err error) {
	c.do(func(now int64) {
		delete(c.sockets, id)
		c.core.Closed(now, id, code, err)
	})
	c.opts.OnClose(code)
}
