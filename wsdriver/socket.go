//go:build !js

package wsdriver

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

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

	closeMark                 // mu also guards conn and unsent
	conn      *websocket.Conn // nil until dialled
	unsent    bool            // a write was asked for before conn was set

	dirty   atomic.Bool // frames may be waiting in the core
	writing atomic.Bool // a goroutine is writing
	wmu     sync.Mutex  // held by writeAll: frames leave in the core's order

	// The closing handshake the core asked for: conn.Close, on a goroutine
	// of its own, may read the server's close frame before run does.
	handshake    sync.Once
	shaken       chan struct{} // closed when conn.Close has returned
	handshakeErr error         // what it returned; set before shaken closes
}

// newSocket registers socket id; c.mu is held.
func (c *Client) newSocket(id core.SocketID) *socket {
	ctx, cancel := context.WithCancel(context.Background())
	s := &socket{c: c, id: id, ctx: ctx, cancel: cancel, shaken: make(chan struct{})}
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
			c.opts.OnError(err)
			s.setConn(conn)
			c.do(func(now int64) { c.core.SetupFailed(now, s.id, err) })
		} else {
			c.opts.OnError(err)
		}
		s.finish(0, err)
		return
	}
	closing, abort, code := s.setConn(conn)
	if closing {
		// Given up while dialling (e.g. the client was closed).
		s.close(code, abort)
	}
	c.opts.OnOpen()
	c.do(func(now int64) { c.core.Opened(now, s.id, params) })
	for {
		typ, data, err := conn.Read(s.ctx)
		if err != nil {
			code := int(websocket.CloseStatus(err))
			if code < 0 {
				code, err = s.closedBy(err)
			}
			if code < 0 {
				code = core.CloseAbnormal
				if !s.wasClosing() {
					c.opts.OnError(err)
				}
			}
			conn.CloseNow()
			s.finish(code, err)
			return
		}
		if typ == websocket.MessageText && !utf8.Valid(data) {
			// A browser would fail the connection (1007); the frame is
			// dropped and reported, as any malformed frame.
			c.opts.OnError(&core.FrameError{Offset: invalidUTF8At(data), Reason: "text frame is not valid UTF-8"})
			continue
		}
		c.do(func(now int64) { c.core.Message(now, s.id, data) })
	}
}

// setConn records the dialled conn and returns how the core asked to close
// the socket meanwhile, if it did. Frames the core had for the socket before
// (none today: it writes only to sockets reported open, after this) are
// written now, as writeAll leaves them in the core while conn is nil.
func (s *socket) setConn(conn *websocket.Conn) (closing, abort bool, code int) {
	s.mu.Lock()
	s.conn = conn
	closing, abort, code = s.closing, s.abort, s.code
	unsent := s.unsent
	s.unsent = false
	s.mu.Unlock()
	if unsent {
		s.kick()
	}
	return closing, abort, code
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// handshakeFloor is the shortest time a handshake is given with keep-alive on.
const handshakeFloor = 10 * time.Second

// dial resolves the URL, opens the WebSocket and resolves the connection
// params, as the reference client does for every attempt.
func (s *socket) dial() (*websocket.Conn, []byte, error) {
	o := &s.c.opts
	url := o.URL
	if o.URLFunc != nil {
		var err error
		if url, err = o.URLFunc(s.ctx); err != nil {
			return nil, nil, err
		}
		if err := CheckURL("Options.URLFunc", url); err != nil {
			return nil, nil, err
		}
	}
	withParams := o.ConnectionParams != nil || o.ConnectionParamsFunc != nil
	if withParams {
		url = core.URLWithConnectionParams(url)
	}
	dialCtx := s.ctx
	if cfg := &o.Config; cfg.KeepAlive {
		// A handshake that stalls (a half-open network) is given up after
		// the patience keep-alive has for a silent open socket, and never
		// before handshakeFloor (a busy server may be slow to answer).
		patience := time.Duration(cmp.Or(cfg.KeepAliveIntervalMs, core.DefaultKeepAliveIntervalMs)+
			cmp.Or(cfg.PongTimeoutMs, core.DefaultPongTimeoutMs)) * time.Millisecond
		var cancel context.CancelFunc
		dialCtx, cancel = context.WithTimeout(s.ctx, max(patience, handshakeFloor))
		defer cancel()
	}
	var header http.Header
	if o.Header != nil {
		var err error
		if header, err = o.Header(s.ctx); err != nil {
			return nil, nil, err
		}
	}
	conn, _, err := websocket.Dial(dialCtx, url, &websocket.DialOptions{
		HTTPHeader: header,
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
		if params, err = o.ConnectionParamsFunc(s.ctx); err != nil {
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

// finish reports the socket closed to the core and to OnClose.
func (s *socket) finish(code int, err error) { s.c.socketEnded(s.id, code, err) }

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
		// Still dialling: nothing to close gracefully, and a handshake
		// may never end. run sees closing if the dial won the race.
		s.cancel()
		return
	}
	if abort {
		s.cancel()
		conn.CloseNow()
		return
	}
	// Reading goes on in run until the closing handshake ends.
	s.handshake.Do(func() {
		s.c.opts.Go(func() {
			// The frames the core queued before the close (e.g. the
			// subscription.stop frames of Cancel or Close) leave first.
			s.writeAll()
			err := conn.Close(websocket.StatusCode(code), "")
			s.handshakeErr = err
			close(s.shaken)
		})
	})
}

// closedBy tells how a socket whose read failed with err (not a close
// frame) was closed. When the core closed it gracefully, conn.Close may have
// read the server's close frame itself, then closed the connection under
// run's next read: the handshake's outcome is then the close code (the
// core's own code when the server echoed it). Otherwise it returns -1 and
// err.
func (s *socket) closedBy(err error) (int, error) {
	s.mu.Lock()
	graceful := s.closing && !s.abort && s.conn != nil
	s.mu.Unlock()
	if !graceful {
		return -1, err
	}
	// closing is set before close starts the handshake (markClosing, or
	// close itself a moment earlier): it is on its way.
	select {
	case <-s.shaken: // conn.Close is bounded by its own timeouts
	case <-s.ctx.Done(): // dropped meanwhile
		return -1, err
	}
	s.mu.Lock()
	code := s.code
	s.mu.Unlock()
	switch herr := s.handshakeErr; {
	case herr == nil:
		return code, websocket.CloseError{Code: websocket.StatusCode(code)}
	case websocket.CloseStatus(herr) >= 0:
		return int(websocket.CloseStatus(herr)), herr
	}
	return -1, err
}

// kick makes sure a writer goroutine sends every frame the core has for
// this socket. The caller never writes: it can leave when its ctx ends
// while a frame is on its way (the socket finishes it, or is dropped).
// Requests made while a frame is being written leave together in the next
// one.
func (s *socket) kick() {
	s.dirty.Store(true)
	if s.writing.CompareAndSwap(false, true) {
		s.c.opts.Go(s.writeLoop)
	}
}

func (s *socket) writeLoop() {
	for {
		for s.dirty.Swap(false) {
			s.writeAll()
		}
		s.writing.Store(false)
		// A kick between the last Swap and the Store found writing set
		// and left the frames to us.
		if !s.dirty.Load() || !s.writing.CompareAndSwap(false, true) {
			return
		}
	}
}

func (s *socket) writeAll() {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	c := s.c
	s.mu.Lock()
	conn := s.conn
	s.unsent = conn == nil
	s.mu.Unlock()
	if conn == nil {
		// Not dialled yet: the frames stay in the core (a frame polled is
		// gone from it) until setConn kicks again.
		return
	}
	for {
		c.mu.Lock()
		frame, ok := c.core.PollTransmit(s.id)
		c.mu.Unlock()
		if !ok {
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

// closeReason returns the reason of the close frame that ended a socket, if
// err carries one.
func closeReason(err error) string {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Reason
	}
	return ""
}
