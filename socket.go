//go:build !js

package trpcws

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"
	"github.com/trpcws/trpcws/core"
)

// socket is one WebSocket the core asked for: dialled, read and written by
// the driver, its events fed back to the core.
type socket struct {
	c      *Client
	id     core.SocketID
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	conn    *websocket.Conn // nil until dialled
	closing bool            // the core asked to close it
	abort   bool
	code    int

	dirty   atomic.Bool // frames may be waiting in the core
	writing atomic.Bool // a goroutine is writing
}

// newSocket registers socket id; c.mu is held.
func (c *Client) newSocket(id core.SocketID) *socket {
	ctx, cancel := context.WithCancel(context.Background())
	s := &socket{c: c, id: id, ctx: ctx, cancel: cancel}
	c.sockets[id] = s
	return s
}

// run dials, reports the socket open and reads until it closes.
func (s *socket) run() {
	c := s.c
	defer s.cancel()
	conn, params, err := s.dial()
	if err != nil {
		var se *setupError
		if errors.As(err, &se) {
			// Open, but its connection params failed: the core closes it.
			err = se.err
			c.report(err)
			s.mu.Lock()
			s.conn = conn
			s.mu.Unlock()
			c.do(func(now int64) { c.core.SetupFailed(now, s.id, err) })
		} else {
			c.report(err)
		}
		s.finish(0, err)
		return
	}
	s.mu.Lock()
	s.conn = conn
	closing, abort, code := s.closing, s.abort, s.code
	s.mu.Unlock()
	if closing {
		// Given up while dialling (e.g. the client was closed).
		s.close(code, abort)
	}
	if f := c.opts.OnOpen; f != nil {
		c.guard("OnOpen", f)
	}
	c.do(func(now int64) { c.core.Opened(now, s.id, params) })
	for {
		_, data, err := conn.Read(s.ctx)
		if err != nil {
			code := int(websocket.CloseStatus(err))
			if code < 0 {
				code = core.CloseAbnormal
				if !s.wasClosing() {
					c.report(err)
				}
			}
			conn.CloseNow()
			s.finish(code, err)
			return
		}
		c.do(func(now int64) { c.core.Message(now, s.id, data) })
	}
}

// dial resolves the URL, opens the WebSocket and resolves the connection
// params, as the reference client does for every attempt.
func (s *socket) dial() (*websocket.Conn, []byte, error) {
	o := &s.c.opts
	url := o.URL
	if o.URLFunc != nil {
		var err error
		if url, err = callURL(s.ctx, o.URLFunc); err != nil {
			return nil, nil, err
		}
	}
	withParams := o.ConnectionParams != nil || o.ConnectionParamsFunc != nil
	if withParams {
		url = core.URLWithConnectionParams(url)
	}
	conn, _, err := websocket.Dial(s.ctx, url, &websocket.DialOptions{
		HTTPHeader: o.HTTPHeader,
		HTTPClient: o.HTTPClient,
	})
	if err != nil {
		return nil, nil, err
	}
	switch {
	case o.ReadLimit == 0:
		conn.SetReadLimit(32 << 20)
	default:
		conn.SetReadLimit(o.ReadLimit)
	}
	if !withParams {
		return conn, nil, nil
	}
	params := o.ConnectionParams
	if o.ConnectionParamsFunc != nil {
		if params, err = callParams(s.ctx, o.ConnectionParamsFunc); err != nil {
			return conn, nil, &setupError{err}
		}
	}
	raw, err := json.Marshal(params)
	if err != nil {
		conn.CloseNow()
		return nil, nil, err
	}
	return conn, raw, nil
}

// setupError is a connection params failure on an open socket.
type setupError struct{ err error }

func (e *setupError) Error() string { return e.err.Error() }
func (e *setupError) Unwrap() error { return e.err }

func callURL(ctx context.Context, f func(context.Context) (string, error)) (url string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Callback: "URLFunc", Value: r}
		}
	}()
	return f(ctx)
}

func callParams(ctx context.Context, f func(context.Context) (map[string]string, error)) (p map[string]string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Callback: "ConnectionParamsFunc", Value: r}
		}
	}()
	return f(ctx)
}

// finish reports the socket closed to the core and to OnClose.
func (s *socket) finish(code int, err error) {
	c := s.c
	c.do(func(now int64) {
		delete(c.sockets, s.id)
		c.core.Closed(now, s.id, code, err)
	})
	if f := c.opts.OnClose; f != nil {
		c.guard("OnClose", func() { f(code) })
	}
}

// markClosing records that the core gave the socket up; c.mu is held.
func (s *socket) markClosing(abort bool) {
	s.mu.Lock()
	s.closing = true
	s.abort = s.abort || abort
	s.mu.Unlock()
}

func (s *socket) wasClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// close closes the socket with code, or drops it at once when abort is set.
// It never blocks.
func (s *socket) close(code int, abort bool) {
	s.mu.Lock()
	s.closing = true
	s.abort = s.abort || abort
	s.code = code
	conn := s.conn
	s.mu.Unlock()
	if conn == nil {
		if abort {
			s.cancel()
		}
		return // run closes it once dialled
	}
	if abort {
		s.cancel()
		conn.CloseNow()
		return
	}
	// Reading goes on in run until the closing handshake ends.
	s.c.goLive(func() { conn.Close(websocket.StatusCode(code), "") })
}

// kick writes every frame the core has for this socket. The caller becomes
// the writer unless another goroutine already is, in which case that one
// picks the frames up: requests made while a frame is being written leave
// together in the next one.
func (s *socket) kick() {
	s.dirty.Store(true)
	for s.writing.CompareAndSwap(false, true) {
		for s.dirty.Swap(false) {
			s.writeAll()
		}
		s.writing.Store(false)
		if !s.dirty.Load() {
			return
		}
	}
}

func (s *socket) writeAll() {
	c := s.c
	s.mu.Lock()
	conn := s.conn
	s.mu.Unlock()
	for {
		c.mu.Lock()
		frame, ok := c.core.PollTransmit(s.id)
		c.mu.Unlock()
		if !ok || conn == nil {
			return
		}
		if err := conn.Write(s.ctx, websocket.MessageText, frame); err != nil {
			if !errors.Is(err, context.Canceled) {
				conn.CloseNow()
			}
			return
		}
	}
}
