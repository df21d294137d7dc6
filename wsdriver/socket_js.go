//go:build js && wasm

package wsdriver

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync/atomic"

	"github.com/hack-pad/safejs"
	"github.com/trpcws/trpcws/core"
)

// socket is one host WebSocket the core asked for. The host calls its
// handlers (js.FuncOf) on the JavaScript event loop; they only copy what
// the event carries into a queue and return, and the socket's own goroutine
// (run) feeds the queue to the core, so neither the core, its lock nor a
// user callback ever runs on the event loop.
type socket struct {
	c      *Client
	id     core.SocketID
	ctx    context.Context
	cancel context.CancelFunc

	closeMark              // mu also guards the fields below
	ws        safejs.Value // set once created
	created   bool
	open      bool
	finished  bool // the close was reported; later host events are ignored
	queue     []hostEvent
	wake      chan struct{}
	funcs     []safejs.Func

	dirty   atomic.Bool // frames may be waiting in the core
	writing atomic.Bool // a goroutine is writing
}

type hostEventKind uint8

const (
	hostOpen hostEventKind = iota
	hostMessage
	hostError
	hostClose
)

type hostEvent struct {
	kind hostEventKind
	data []byte
	code int
	err  error
}

// newSocket registers socket id; c.mu is held.
func (c *Client) newSocket(id core.SocketID) *socket {
	ctx, cancel := context.WithCancel(context.Background())
	s := &socket{c: c, id: id, ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1)}
	c.sockets[id] = s
	return s
}

// post queues a host event for run. It never blocks: the JavaScript
// handlers call it.
func (s *socket) post(ev hostEvent) {
	s.mu.Lock()
	if s.finished {
		s.mu.Unlock()
		return
	}
	s.queue = append(s.queue, ev)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// run creates the host WebSocket and feeds its events to the core until it
// closes.
func (s *socket) run() {
	c := s.c
	defer s.cancel()
	url := c.opts.URL
	if c.opts.URLFunc != nil {
		var err error
		if url, err = c.opts.URLFunc(s.ctx); err == nil {
			err = CheckURL("Options.URLFunc", url)
		}
		if err != nil {
			c.opts.OnError(err)
			s.finish(0, err)
			return
		}
	}
	withParams := c.opts.ConnectionParams != nil || c.opts.ConnectionParamsFunc != nil
	if withParams {
		url = core.URLWithConnectionParams(url)
	}
	if err := s.create(url); err != nil {
		c.opts.OnError(err)
		s.finish(0, err)
		return
	}
	s.mu.Lock()
	closing, abort, code := s.closing, s.abort, s.code
	s.mu.Unlock()
	if closing {
		// Given up while the URL was resolved (e.g. the client was closed).
		s.close(code, abort)
	}
	for {
		ev, ok := s.next()
		if !ok {
			continue
		}
		switch ev.kind {
		case hostOpen:
			var params []byte
			if withParams {
				var err error
				if params, err = s.params(); err != nil {
					// Open, but its connection params failed: the core
					// closes it and counts a failed attempt.
					c.opts.OnError(err)
					c.do(func(now int64) { c.core.SetupFailed(now, s.id, err) })
					s.finish(0, err)
					return
				}
			}
			s.mu.Lock()
			s.open = true
			s.mu.Unlock()
			c.opts.OnOpen()
			c.do(func(now int64) { c.core.Opened(now, s.id, params) })
		case hostMessage:
			c.do(func(now int64) { c.core.Message(now, s.id, ev.data) })
		case hostError:
			if !s.wasClosing() {
				c.opts.OnError(ev.err)
			}
			s.mu.Lock()
			open := s.open
			s.mu.Unlock()
			if !open {
				// A socket that failed to connect is closed (1006), whether
				// or not the host fires its close event (Node's does not
				// always).
				s.closeHost(core.CloseNormal, "")
				s.finish(core.CloseAbnormal, ev.err)
				return
			}
		case hostClose:
			s.finish(ev.code, ev.err)
			return
		}
	}
}

// next waits for the next host event.
func (s *socket) next() (hostEvent, bool) {
	s.mu.Lock()
	if len(s.queue) > 0 {
		ev := s.queue[0]
		s.queue[0] = hostEvent{}
		s.queue = s.queue[1:]
		s.mu.Unlock()
		return ev, true
	}
	s.mu.Unlock()
	<-s.wake
	return hostEvent{}, false
}

// create makes the host WebSocket and its handlers.
func (s *socket) create(url string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("trpcws: cannot create a WebSocket: " + panicText(r))
		}
	}()
	ctor, err := safejs.Global().Get("WebSocket")
	if err != nil {
		return err
	}
	if ctor.Type() != safejs.TypeFunction {
		return errors.New("trpcws: this host has no global WebSocket (Node needs version 22 or later)")
	}
	ws, err := ctor.New(url)
	if err != nil {
		return errors.Join(errors.New("trpcws: cannot open a WebSocket to "+url), err)
	}
	if err := ws.Set("binaryType", "arraybuffer"); err != nil {
		return err
	}
	limit := s.c.opts.ReadLimit
	if limit == 0 {
		limit = 32 << 20
	}
	handlers := []struct {
		name string
		fn   func(args []safejs.Value)
	}{
		{"onopen", func([]safejs.Value) { s.post(hostEvent{kind: hostOpen}) }},
		{"onmessage", func(args []safejs.Value) { s.onMessage(args, limit) }},
		{"onerror", func([]safejs.Value) {
			s.post(hostEvent{kind: hostError, err: errors.New("trpcws: WebSocket error on " + url)})
		}},
		{"onclose", func(args []safejs.Value) { s.onClose(args) }},
	}
	funcs := make([]safejs.Func, 0, len(handlers))
	for _, h := range handlers {
		fn := h.fn
		f, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
			fn(args)
			return nil
		})
		if err != nil {
			return err
		}
		funcs = append(funcs, f)
		if err := ws.Set(h.name, f.Value()); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.ws, s.created, s.funcs = ws, true, funcs
	s.mu.Unlock()
	return nil
}

// onMessage copies an inbound frame out of JavaScript; it runs on the
// event loop.
func (s *socket) onMessage(args []safejs.Value, limit int64) {
	if len(args) == 0 {
		return
	}
	data, err := args[0].Get("data")
	if err != nil {
		return
	}
	var b []byte
	if data.Type() == safejs.TypeString {
		str, err := data.String()
		if err != nil {
			return
		}
		b = []byte(str)
	} else {
		arr, err := safejs.Global().Get("Uint8Array")
		if err != nil {
			return
		}
		view, err := arr.New(data)
		if err != nil {
			return
		}
		n, err := view.Length()
		if err != nil {
			return
		}
		b = make([]byte, n)
		if _, err := safejs.CopyBytesToGo(b, view); err != nil {
			return
		}
	}
	if limit > 0 && int64(len(b)) > limit {
		// Dropped as coder/websocket does, with the code it sends.
		s.drop(1009, errors.New("trpcws: message of "+strconv.Itoa(len(b))+" bytes exceeds ReadLimit"))
		return
	}
	s.post(hostEvent{kind: hostMessage, data: b})
}

// onClose reports the host's close event; it runs on the event loop.
func (s *socket) onClose(args []safejs.Value) {
	code := core.CloseAbnormal
	reason := ""
	if len(args) > 0 {
		if v, err := args[0].Get("code"); err == nil && v.Type() == safejs.TypeNumber {
			if n, err := v.Int(); err == nil {
				code = n
			}
		}
		if v, err := args[0].Get("reason"); err == nil && v.Type() == safejs.TypeString {
			reason, _ = v.String()
		}
	}
	msg := "trpcws: WebSocket closed with code " + strconv.Itoa(code)
	if reason != "" {
		msg += ": " + reason
	}
	s.post(hostEvent{kind: hostClose, code: code, err: errors.New(msg)})
}

// params resolves the connection params as JSON.
func (s *socket) params() ([]byte, error) {
	o := &s.c.opts
	params := o.ConnectionParams
	if o.ConnectionParamsFunc != nil {
		var err error
		if params, err = o.ConnectionParamsFunc(s.ctx); err != nil {
			return nil, err
		}
	}
	return json.Marshal(params)
}

// finish reports the socket closed to the core and to OnClose, and
// detaches the host handlers.
func (s *socket) finish(code int, err error) {
	c := s.c
	s.mu.Lock()
	s.finished, s.open = true, false
	ws, created, funcs := s.ws, s.created, s.funcs
	s.funcs, s.queue = nil, nil
	s.mu.Unlock()
	if created {
		for _, name := range []string{"onopen", "onmessage", "onerror", "onclose"} {
			_ = ws.Set(name, safejs.Null())
		}
		for _, f := range funcs {
			f.Release()
		}
	}
	c.socketEnded(s.id, code, err)
}

// close closes the socket with code, or drops it at once when abort is set.
// It never blocks.
func (s *socket) close(code int, abort bool) {
	s.mu.Lock()
	s.closing = true
	s.abort = s.abort || abort
	s.code = code
	created := s.created
	s.mu.Unlock()
	if !created {
		if abort {
			s.cancel()
		}
		return // run closes it once created
	}
	if abort {
		// The host's close handshake may never end on a dead network: the
		// socket counts as closed now, and its late events are ignored.
		s.drop(core.CloseAbnormal, errors.New("trpcws: WebSocket dropped"))
		return
	}
	s.closeHost(code, "")
}

// drop closes the host socket without waiting for its close event.
func (s *socket) drop(code int, err error) {
	s.closeHost(core.CloseNormal, "")
	s.post(hostEvent{kind: hostClose, code: code, err: err})
	s.mu.Lock()
	s.finished = true // run still sees the queued close
	s.mu.Unlock()
}

// closeHost calls the host WebSocket's close(code, reason); a code the host
// refuses (only 1000 and 3000–4999 are allowed) becomes 1000.
func (s *socket) closeHost(code int, reason string) {
	s.mu.Lock()
	ws, created := s.ws, s.created
	s.mu.Unlock()
	if !created {
		return
	}
	if code != 1000 && (code < 3000 || code > 4999) {
		code = 1000
	}
	if _, err := ws.Call("close", code, reason); err != nil {
		_, _ = ws.Call("close")
	}
}

// kick sends every frame the core has for this socket; see the native
// driver. The host's send never blocks, so frames leave in order.
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
	ws, open := s.ws, s.open && !s.finished
	s.mu.Unlock()
	if !open {
		return
	}
	for {
		c.mu.Lock()
		frame, ok := c.core.PollTransmit(s.id)
		c.mu.Unlock()
		if !ok {
			return
		}
		if _, err := ws.Call("send", string(frame)); err != nil {
			return
		}
	}
}

func panicText(r any) string {
	if err, ok := r.(error); ok {
		return err.Error()
	}
	if s, ok := r.(string); ok {
		return s
	}
	return "panic"
}

// closeReason returns the reason of the close that ended a socket; the
// host's close event reason is not kept.
func closeReason(error) string { return "" }
