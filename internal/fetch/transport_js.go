//go:build js && wasm

package fetch

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/hack-pad/safejs"
)

// Client is an *http.Client whose requests go through Transport.
var Client = &http.Client{Transport: Transport{}}

// Transport sends requests with the host's global fetch. Its zero value is
// ready to use.
type Transport struct{}

// settled is a promise's outcome.
type settled struct {
	value safejs.Value
	err   error
}

// await calls then on promise with handlers that send its outcome on the
// returned channel and release themselves: whichever runs first is the
// only one to run, so nothing is left registered once it has settled, and
// a promise given up on still finds its handler.
func await(promise safejs.Value) <-chan settled {
	ch := make(chan settled, 1)
	var ok, fail safejs.Func
	release := func() { ok.Release(); fail.Release() }
	var err error
	ok, err = safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		release()
		ch <- settled{value: arg0(args)}
		return nil
	})
	if err == nil {
		fail, err = safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
			release()
			ch <- settled{err: jsError(arg0(args))}
			return nil
		})
		if err != nil {
			ok.Release()
		}
	}
	if err == nil {
		if _, err = promise.Call("then", ok.Value(), fail.Value()); err != nil {
			release()
		}
	}
	if err != nil {
		ch <- settled{err: err}
	}
	return ch
}

func arg0(args []safejs.Value) safejs.Value {
	if len(args) == 0 {
		return safejs.Undefined()
	}
	return args[0]
}

// jsError is a rejection's reason as an error: its message, and its
// cause's (Node's fetch says "fetch failed", its cause why).
func jsError(reason safejs.Value) error {
	msg := describe(reason)
	if cause, err := reason.Get("cause"); err == nil && !cause.IsUndefined() && !cause.IsNull() {
		if m := describe(cause); m != "" && m != msg {
			msg += ": " + m
		}
	}
	return errors.New("fetch: " + msg)
}

func describe(v safejs.Value) string {
	if v.Type() == safejs.TypeObject {
		if m, err := v.Get("message"); err == nil && m.Type() == safejs.TypeString {
			s, _ := m.String()
			return s
		}
	}
	s, err := v.Call("toString")
	if err != nil {
		return "unknown error"
	}
	str, _ := s.String()
	return str
}

// ignore is a rejection handler that does nothing, for promises whose
// outcome does not matter (a host may end the program on an unhandled
// rejection). It is never released.
var ignore = func() safejs.Value {
	f, err := safejs.FuncOf(func(safejs.Value, []safejs.Value) any { return nil })
	if err != nil {
		return safejs.Undefined()
	}
	return f.Value()
}()

// RoundTrip sends req with fetch. The request is aborted when req's
// context ends, before or while its body is read.
func (Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	init, abort, err := requestInit(req)
	if err != nil {
		return nil, err
	}
	fetch, err := safejs.Global().Get("fetch")
	if err != nil || fetch.Type() != safejs.TypeFunction {
		return nil, errors.New("fetch: the host has no global fetch")
	}
	promise, err := fetch.Invoke(req.URL.String(), init)
	if err != nil {
		return nil, err
	}
	var s settled
	select {
	case s = <-await(promise):
	case <-ctx.Done():
		abort()
		return nil, ctx.Err()
	}
	if s.err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, s.err
	}
	return response(req, s.value, abort)
}

// requestInit is fetch's second argument for req, and the function that
// aborts the request.
func requestInit(req *http.Request) (safejs.Value, func(), error) {
	g := safejs.Global()
	obj, err := g.Get("Object")
	if err != nil {
		return safejs.Value{}, nil, err
	}
	init, err := obj.New()
	if err != nil {
		return safejs.Value{}, nil, err
	}
	hdrs, err := obj.New()
	if err != nil {
		return safejs.Value{}, nil, err
	}
	for k, vs := range req.Header {
		if len(vs) == 0 {
			continue
		}
		v := vs[0]
		for _, more := range vs[1:] {
			v += ", " + more
		}
		if err := hdrs.Set(k, v); err != nil {
			return safejs.Value{}, nil, err
		}
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	if err := errors.Join(init.Set("method", method), init.Set("headers", hdrs)); err != nil {
		return safejs.Value{}, nil, err
	}
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return safejs.Value{}, nil, err
		}
		if len(b) > 0 {
			u8, err := g.Get("Uint8Array")
			if err != nil {
				return safejs.Value{}, nil, err
			}
			arr, err := u8.New(len(b))
			if err != nil {
				return safejs.Value{}, nil, err
			}
			if _, err := safejs.CopyBytesToJS(arr, b); err != nil {
				return safejs.Value{}, nil, err
			}
			if err := init.Set("body", arr); err != nil {
				return safejs.Value{}, nil, err
			}
		}
	}
	abort := func() {}
	if ac, err := g.Get("AbortController"); err == nil && ac.Type() == safejs.TypeFunction {
		if ctl, err := ac.New(); err == nil {
			if sig, err := ctl.Get("signal"); err == nil && init.Set("signal", sig) == nil {
				var once sync.Once
				abort = func() { once.Do(func() { ctl.Call("abort") }) }
			}
		}
	}
	return init, abort, nil
}

// response is the *http.Response of fetch's Response res.
func response(req *http.Request, res safejs.Value, abort func()) (*http.Response, error) {
	status, err := getInt(res, "status")
	if err != nil {
		abort()
		return nil, err
	}
	statusText := ""
	if v, err := res.Get("statusText"); err == nil && v.Type() == safejs.TypeString {
		statusText, _ = v.String()
	}
	header := http.Header{}
	if h, err := res.Get("headers"); err == nil {
		if it, err := h.Call("entries"); err == nil {
			for {
				next, err := it.Call("next")
				if err != nil {
					break
				}
				if done, _ := get(next, "done").Bool(); done {
					break
				}
				kv := get(next, "value")
				k, _ := index(kv, 0).String()
				v, _ := index(kv, 1).String()
				header.Add(k, v)
			}
		}
	}
	length := int64(-1)
	if n, err := strconv.ParseInt(header.Get("Content-Length"), 10, 64); err == nil {
		length = n
	}
	body := &body{ctx: req.Context(), abort: abort}
	if b, err := res.Get("body"); err == nil && b.Type() == safejs.TypeObject {
		if r, err := b.Call("getReader"); err == nil && r.Type() == safejs.TypeObject {
			body.reader, body.stream = r, true
		}
	}
	if !body.stream {
		body.reader = res // no stream (an old host): read whole on the first Read
	}
	if statusText == "" {
		statusText = http.StatusText(status)
	}
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + statusText,
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		ContentLength: length,
		Body:          body,
		Request:       req,
	}, nil
}

func get(v safejs.Value, p string) safejs.Value {
	x, err := v.Get(p)
	if err != nil {
		return safejs.Undefined()
	}
	return x
}

func index(v safejs.Value, i int) safejs.Value {
	x, err := v.Index(i)
	if err != nil {
		return safejs.Undefined()
	}
	return x
}

func getInt(v safejs.Value, p string) (int, error) {
	x, err := v.Get(p)
	if err != nil {
		return 0, err
	}
	return x.Int()
}

// body reads a fetch Response's body chunk by chunk.
type body struct {
	ctx    context.Context // its end aborts a read
	abort  func()
	reader safejs.Value // the ReadableStream's reader, or the Response
	stream bool         // reader is a ReadableStream's reader

	mu     sync.Mutex // held by Read while it waits (Close does not take it)
	buf    []byte     // the rest of the last chunk
	err    error      // the end: io.EOF or why it broke
	closed atomic.Bool
}

// Read returns the next bytes of the body, waiting for a chunk when none
// is left.
func (b *body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.buf) == 0 {
		if b.closed.Load() {
			return 0, errClosed
		}
		if b.err != nil {
			return 0, b.err
		}
		b.buf, b.err = b.next()
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

var errClosed = errors.New("fetch: read on a closed response body")

// Close ends the body: the request is aborted, which ends a Read waiting
// for a chunk.
func (b *body) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	b.abort()
	if b.stream {
		if p, err := b.reader.Call("cancel"); err == nil && p.Type() == safejs.TypeObject {
			p.Call("catch", ignore)
		}
	}
	return nil
}

// next waits for the next chunk (with io.EOF when it is the last); b.mu
// is held.
func (b *body) next() ([]byte, error) {
	method := "read"
	if !b.stream {
		method = "arrayBuffer"
	}
	promise, err := b.reader.Call(method)
	if err != nil {
		return nil, err
	}
	var s settled
	select {
	case s = <-await(promise):
	case <-b.ctx.Done():
		b.abort()
		return nil, b.ctx.Err()
	}
	switch {
	case s.err != nil && b.ctx.Err() != nil:
		return nil, b.ctx.Err()
	case s.err != nil && b.closed.Load():
		return nil, errClosed
	case s.err != nil:
		return nil, s.err
	}
	chunk, last := s.value, !b.stream
	if b.stream {
		if done, _ := get(chunk, "done").Bool(); done {
			return nil, io.EOF
		}
		chunk = get(chunk, "value")
	} else {
		u8, err := safejs.Global().Get("Uint8Array")
		if err != nil {
			return nil, err
		}
		if chunk, err = u8.New(chunk); err != nil {
			return nil, err
		}
	}
	n, err := chunk.Length()
	if err != nil {
		return nil, err
	}
	out := make([]byte, n)
	if _, err := safejs.CopyBytesToGo(out, chunk); err != nil {
		return nil, err
	}
	if last {
		return out, io.EOF
	}
	return out, nil
}
