package httpdriver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/trpcws/trpcws/core"
	"github.com/trpcws/trpcws/httpwire"
)

// Options configures a Client.
type Options struct {
	// URL is the tRPC endpoint, e.g. http://host/api/trpc.
	URL string
	// Header, when set, is called for every request (a batch, or each
	// connection of an event stream) and its headers are added, so that a
	// fresh token goes on each.
	Header func(ctx context.Context) (http.Header, error)
	// HTTPClient does the requests; nil means http.DefaultClient, and on
	// js/wasm a client over the host's global fetch (net/http's own
	// transport does not use fetch under Node).
	HTTPClient *http.Client
	// Limits bounds a batch (httpBatchLink's maxItems and maxURLLength);
	// the zero value, as the reference's default, has no bound.
	Limits httpwire.Limits
	// Stream asks for httpBatchStreamLink's streamed response (the
	// trpc-accept: application/jsonl header): each call of a batch is
	// answered as soon as the server has its result, not when the slowest
	// has finished. A server that does not stream answers as for
	// httpBatchLink, which is read as such.
	Stream bool

	// ReadLimit bounds, in bytes, a plain batch response (read whole), each
	// line of a streamed one, and each event (and each line) of an event
	// stream, as the WebSocket's ReadLimit bounds a message; 0 means 32
	// MiB, -1 means no limit. A batch response past it fails the calls it
	// had not answered with a *core.ClosedError whose Cause is the
	// *httpwire.LimitError; an event stream past it is reopened and
	// resumed as after a drop.
	ReadLimit int64

	// ErrClosed is the error of a call or subscription made once Close has
	// begun, and of a call that Close ended; nil means ErrClosed (this
	// package's).
	ErrClosed error
}

// DefaultReadLimit is Options.ReadLimit's 0: 32 MiB, the WebSocket's too.
const DefaultReadLimit = 32 << 20

// tooLarge is a call's error when its response broke Options.ReadLimit
// (err is the *httpwire.LimitError).
func tooLarge(err error) error {
	return &core.ClosedError{Message: "HTTP response too large", Cause: err}
}

// ErrClosed is Options.ErrClosed when the owner set none.
var ErrClosed = errors.New("httpdriver: client closed")

// Client calls one tRPC server over HTTP. It is safe for concurrent use.
type Client struct {
	opts Options
	hc   *http.Client
	// life ends when Close begins: every call's and stream's context is
	// merged with it.
	life context.Context
	end  context.CancelFunc

	mu      sync.Mutex
	pending [2][]*pendingCall // queries, mutations not yet sent
	closed  bool              // Close began
	live    int               // the driver's goroutines and Subscribes running
	idle    chan struct{}     // closed when live drops to 0
}

type pendingCall struct {
	ctx    context.Context
	call   httpwire.Call
	header http.Header
	key    string // header's canonical form: calls batch only with equal keys
	done   chan result
}

// Call is one query or mutation for Do.
type Call struct {
	// Query is true for a query, false for a mutation.
	Query bool
	// Path is the procedure.
	Path string
	// Input is JSON, nil for none.
	Input []byte
	// Header is added to the request that carries the call, after
	// Options.Header; a call goes in a batch only with calls whose Header is
	// the same.
	Header http.Header
}

type result struct {
	data json.RawMessage
	err  error
}

// New returns a client for opts.
func New(opts Options) (*Client, error) {
	if opts.URL == "" {
		return nil, errors.New("httpdriver: Options.URL is empty")
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = defaultClient()
	}
	if opts.ErrClosed == nil {
		opts.ErrClosed = ErrClosed
	}
	switch {
	case opts.ReadLimit == 0:
		opts.ReadLimit = DefaultReadLimit
	case opts.ReadLimit < 0:
		opts.ReadLimit = 0 // httpwire's "no limit"
	}
	c := &Client{opts: opts, hc: hc, idle: make(chan struct{})}
	close(c.idle)
	c.life, c.end = context.WithCancel(context.Background())
	return c, nil
}

// enter counts one more goroutine (or a running Subscribe) that Close
// waits for; c.mu is held.
func (c *Client) enter() {
	if c.live == 0 {
		c.idle = make(chan struct{})
	}
	c.live++
}

// leave is enter's end.
func (c *Client) leave() {
	c.mu.Lock()
	if c.live--; c.live == 0 {
		close(c.idle)
	}
	c.mu.Unlock()
}

// spawn runs fn on a goroutine Close waits for; the caller is one already
// counted, so that the count cannot drop to 0 in between.
func (c *Client) spawn(fn func()) {
	c.mu.Lock()
	c.enter()
	c.mu.Unlock()
	go func() {
		defer c.leave()
		fn()
	}()
}

// Close ends the client for good: calls in flight fail with
// Options.ErrClosed, every subscription's stream is closed and its sink
// gets Complete(true), and later calls and subscriptions fail with
// Options.ErrClosed. It then waits until the driver's goroutines and the
// Subscribe calls still running have returned, or until ctx ends (a sink
// or an Options.Header that calls Close waits for itself: give that Close
// a deadline). It returns false, doing nothing, when Close had begun
// already.
func (c *Client) Close(ctx context.Context) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	c.closed = true
	idle := c.idle
	c.mu.Unlock()
	c.end()
	select {
	case <-idle:
	case <-ctx.Done():
	}
	return true
}

// Closed tells whether Close has begun.
func (c *Client) Closed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// withLife returns ctx ending also when Close begins.
func (c *Client) withLife(ctx context.Context) (context.Context, func() bool) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(c.life, cancel)
	return ctx, func() bool { cancel(); return stop() }
}

// Call runs a query (query true) or a mutation. input is JSON, nil for
// none. Calls started while a batch of the same type waits to be sent go
// in that batch. A failed call returns the server's *core.TRPCError, an
// error of the request, ctx's error, or Options.ErrClosed once Close has
// begun.
func (c *Client) Call(ctx context.Context, query bool, path string, input []byte) (json.RawMessage, error) {
	return c.Do(ctx, Call{Query: query, Path: path, Input: input})
}

// Do runs call; see Call.
func (c *Client) Do(ctx context.Context, call Call) (json.RawMessage, error) {
	kind := 1
	if call.Query {
		kind = 0
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lctx, stop := c.withLife(ctx)
	defer stop()
	p := &pendingCall{ctx: lctx, call: httpwire.Call{Path: call.Path, Input: call.Input}, header: call.Header,
		key: headerKey(call.Header), done: make(chan result, 1)}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, c.opts.ErrClosed
	}
	c.pending[kind] = append(c.pending[kind], p)
	first := len(c.pending[kind]) == 1
	if first {
		c.enter() // counted under the lock that Close takes to begin
	}
	c.mu.Unlock()
	if first {
		go func() {
			defer c.leave()
			c.flush(kind)
		}()
	}
	var r result
	select {
	case r = <-p.done:
	case <-lctx.Done():
		r.err = lctx.Err() // ctx's own error, unless Close ended it
	}
	// Ended by Close (the request was cancelled, or the call abandoned).
	if r.err != nil && lctx.Err() != nil && c.life.Err() != nil {
		return nil, c.opts.ErrClosed
	}
	return r.data, r.err
}

// flush sends what is pending of one kind, once the goroutines that started
// calls with it had a chance to add theirs.
func (c *Client) flush(kind int) {
	yield()
	c.mu.Lock()
	calls := c.pending[kind]
	c.pending[kind] = nil
	c.mu.Unlock()
	// Calls with different headers go in different requests, each group in
	// the order its first call was made.
	var keys []string
	groups := map[string][]*pendingCall{}
	for _, p := range calls {
		if p.ctx.Err() != nil {
			continue
		}
		if _, ok := groups[p.key]; !ok {
			keys = append(keys, p.key)
		}
		groups[p.key] = append(groups[p.key], p)
	}
	for _, k := range keys {
		c.flushGroup(kind, groups[k])
	}
}

// flushGroup sends calls of one kind and one header in batches within the
// limits.
func (c *Client) flushGroup(kind int, live []*pendingCall) {
	wire := make([]httpwire.Call, len(live))
	for i, p := range live {
		wire[i] = p.call
	}
	batches, tooBig := httpwire.Group(c.opts.URL, kind == 0, wire, c.opts.Limits)
	for _, i := range tooBig {
		live[i].done <- result{err: httpwire.ErrTooBig}
	}
	for _, idx := range batches {
		ps := make([]*pendingCall, len(idx))
		for i, j := range idx {
			ps[i] = live[j]
		}
		c.spawn(func() { c.send(kind == 0, ps) })
	}
}

// send does one batch's request and answers its calls.
func (c *Client) send(query bool, ps []*pendingCall) {
	calls := make([]httpwire.Call, len(ps))
	for i, p := range ps {
		calls[i] = p.call
	}
	// The request ends when every call of the batch was abandoned.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	left := len(ps)
	var lmu sync.Mutex
	for _, p := range ps {
		stop := context.AfterFunc(p.ctx, func() {
			lmu.Lock()
			left--
			if left == 0 {
				cancel()
			}
			lmu.Unlock()
		})
		defer stop()
	}
	res, err := c.request(ctx, ps[0].ctx, httpwire.Build(c.opts.URL, query, calls), ps[0].header)
	if err != nil {
		for _, p := range ps {
			p.done <- result{err: err}
		}
		return
	}
	defer res.Body.Close()
	if c.opts.Stream && res.StatusCode == http.StatusOK {
		c.readStream(res, ps)
		return
	}
	rs, err := readAll(res, len(ps), c.opts.ReadLimit)
	for i, p := range ps {
		if err != nil {
			p.done <- result{err: err}
		} else if rs[i].Err != nil {
			p.done <- result{err: rs[i].Err}
		} else {
			p.done <- result{data: rs[i].Data}
		}
	}
}

// request sends one batch's request.
func (c *Client) request(ctx, hctx context.Context, r httpwire.Request, header http.Header) (*http.Response, error) {
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return nil, err
	}
	if r.Body != nil {
		req.Header.Set("Content-Type", httpwire.ContentType)
	}
	if c.opts.Stream {
		req.Header.Set(httpwire.TRPCAcceptHeader, httpwire.JSONL)
	}
	if err := c.addHeaders(hctx, req, header); err != nil {
		return nil, err
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, &core.ClosedError{Message: "HTTP request failed", Cause: err}
	}
	return res, nil
}

// readAll reads an httpBatchLink response, of at most limit bytes (0: no
// limit).
func readAll(res *http.Response, n int, limit int64) ([]httpwire.Result, error) {
	var body io.Reader = res.Body
	if limit > 0 {
		body = io.LimitReader(res.Body, limit+1)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, &core.ClosedError{Message: "HTTP request failed", Cause: err}
	}
	if limit > 0 && int64(len(b)) > limit {
		return nil, tooLarge(&httpwire.LimitError{What: "response body", Limit: limit})
	}
	rs, err := httpwire.Parse(b, n)
	if err != nil {
		return nil, errors.Join(errors.New("httpdriver: HTTP "+strconv.Itoa(res.StatusCode)), err)
	}
	return rs, nil
}

// readStream answers the calls of a streamed response as their results
// arrive; those still unanswered when it breaks or ends fail.
func (c *Client) readStream(res *http.Response, ps []*pendingCall) {
	d := httpwire.NewStreamDecoder(len(ps))
	d.Limit = c.opts.ReadLimit
	answered := make([]bool, len(ps))
	deliver := func(rs []httpwire.StreamResult) {
		for _, r := range rs {
			if r.Index < 0 || r.Index >= len(ps) || answered[r.Index] {
				continue
			}
			answered[r.Index] = true
			switch {
			case r.Fail != nil:
				ps[r.Index].done <- result{err: r.Fail}
			case r.Err != nil:
				ps[r.Index].done <- result{err: r.Err}
			default:
				ps[r.Index].done <- result{data: r.Data}
			}
		}
	}
	buf := make([]byte, 32<<10)
	var rs []httpwire.StreamResult
	var fail error
	for {
		n, rerr := res.Body.Read(buf)
		var err error
		rs, err = d.Feed(rs[:0], buf[:n])
		deliver(rs)
		if err != nil {
			fail = err
			if _, ok := err.(*httpwire.LimitError); ok {
				fail = tooLarge(err)
			}
			break
		}
		if rerr == io.EOF {
			rs, fail = d.End(rs[:0])
			deliver(rs)
			break
		}
		if rerr != nil {
			fail = &core.ClosedError{Message: "HTTP request failed", Cause: rerr}
			break
		}
	}
	if fail == nil {
		fail = errors.New("httpdriver: the streamed response left a call unanswered")
	}
	for i, p := range ps {
		if !answered[i] {
			p.done <- result{err: fail}
		}
	}
}

// addHeaders sets Options.Header's headers on req, then extra's.
func (c *Client) addHeaders(ctx context.Context, req *http.Request, extra http.Header) error {
	if c.opts.Header != nil {
		h, err := c.opts.Header(ctx)
		if err != nil {
			return err
		}
		setHeaders(req, h)
	}
	setHeaders(req, extra)
	return nil
}

func setHeaders(req *http.Request, h http.Header) {
	for k, vs := range h {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
}

// headerKey is h in a canonical form, "" for no header.
func headerKey(h http.Header) string {
	if len(h) == 0 {
		return ""
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		return strings.Compare(http.CanonicalHeaderKey(a), http.CanonicalHeaderKey(b))
	})
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(http.CanonicalHeaderKey(k))
		for _, v := range h[k] {
			b.WriteByte(0)
			b.WriteString(v)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
