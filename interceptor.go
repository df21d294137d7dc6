package trpcws

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/trpcws/trpcws/core"
)

// An Interceptor wraps the client's calls, as connect-go's interceptors
// do: for authentication, logging, metrics, tracing or retries. Set them
// in Options.Interceptors; the first one is the outermost (it sees a call
// first and its result last). They apply to both transports alike.
//
// WrapUnary wraps queries and mutations; WrapSubscription wraps
// subscriptions (Subscribe, Events and the typed Events). An interceptor
// that has nothing to do for one kind returns next unchanged; see
// UnaryInterceptorFunc.
type Interceptor interface {
	WrapUnary(next UnaryFunc) UnaryFunc
	WrapSubscription(next SubscriptionFunc) SubscriptionFunc
}

// UnaryFunc runs a query or a mutation: the result is the raw JSON of the
// procedure's return value, as Client.Query returns it (after
// Options.Transformer's Deserialize). An interceptor may
// change ctx and req before calling next, and the result and error after.
type UnaryFunc func(ctx context.Context, req *Request) (json.RawMessage, error)

// SubscriptionFunc starts a subscription and returns once it is started
// on the client's side (not yet on the server's); a non-nil error means it
// did not start. What happens to it afterwards is seen through
// Request.Observe, called before next. ctx bounds the subscription's life,
// as the ctx given to Subscribe does.
type SubscriptionFunc func(ctx context.Context, req *Request) error

// Transport names the transport that carries a call.
type Transport string

// The transports.
const (
	TransportWebSocket Transport = "websocket"
	TransportHTTP      Transport = "http" // httpBatchLink for calls, SSE for subscriptions
)

// transportKey is the key of the Transport a ConnectionParamsFunc's ctx
// carries.
type transportKey struct{}

// ConnectionTransport tells, in an Options.ConnectionParamsFunc, which
// transport the connection it is called for uses: TransportWebSocket for a
// socket, TransportHTTP for an event stream (SSE) of a subscription over
// HTTP. For a ctx that is not a ConnectionParamsFunc's it returns
// TransportWebSocket, the only transport with connection params before
// SSE had them.
func ConnectionTransport(ctx context.Context) Transport {
	if t, ok := ctx.Value(transportKey{}).(Transport); ok {
		return t
	}
	return TransportWebSocket
}

// Request is one call as interceptors see it. They may change Path, Input
// and Header; the changed values are what is sent (and checked as Query
// checks its arguments: a path or input that is not valid UTF-8 or JSON is
// an error, and nothing is sent).
type Request struct {
	// Type is tRPC's name for the call: "query", "mutation" or
	// "subscription". It cannot be changed.
	Type string
	// Path is the procedure, e.g. "post.byId".
	Path string
	// Input is the JSON sent as the procedure's input; nil for none. With
	// Options.Transformer it is the input before Serialize.
	Input json.RawMessage
	// LastEventID is where a subscription resumes (its SubscribeOptions'
	// LastEventID or Events' lastEventID); empty for calls.
	LastEventID string
	// Header is added to the HTTP request that carries the call (after
	// Options.HTTPHeader and HTTPHeaderFunc), on the HTTP transport only:
	// there, calls with different headers are not batched together. On the
	// WebSocket, headers and connection params belong to the socket, not to
	// a call (use Options.HTTPHeader or ConnectionParamsFunc), and Header is
	// ignored.
	Header http.Header
	// Transport is the transport that will carry the call.
	Transport Transport

	observers []SubscriptionObserver
	sub       *Subscription
	method    core.Method
}

// SubscriptionObserver is told what happens to a subscription, for an
// interceptor to watch it (Request.Observe). Every field may be nil. The
// functions are called in order, on the goroutine that delivers the
// subscription's events (before the subscriber sees each), never under the
// client's lock; a panic in one is recovered and reported to
// Options.OnError, like a panic in a subscription callback.
type SubscriptionObserver struct {
	// OnStarted is called when the server has started the subscription;
	// resumed is true when it is started again after a lost connection
	// (resuming after the last tracked event).
	OnStarted func(resumed bool)
	// OnEvent is called for every event.
	OnEvent func(Event)
	// OnRetry is called when the connection carrying the subscription was
	// lost and will be retried: attempt counts from 1 since the last start,
	// err is why.
	OnRetry func(attempt int, err error)
	// OnEnd is called once, last, when the subscription ends: nil when it
	// completed or was unsubscribed (or the loop over Events stopped),
	// otherwise the error that ended it (as Subscription.Err gives it, or
	// ctx's error for Events). It is called only when the SubscriptionFunc
	// returned nil.
	OnEnd func(err error)
}

// Observe adds o to the subscription's observers; call it before calling
// next. Observers added by later (inner) interceptors are called first,
// as a response travels from the wire outwards. On a query or mutation it
// does nothing: the UnaryFunc's result is there to see.
func (r *Request) Observe(o SubscriptionObserver) {
	r.observers = append(r.observers, o)
}

// UnaryInterceptorFunc is an Interceptor for queries and mutations only:
// subscriptions pass through.
type UnaryInterceptorFunc func(next UnaryFunc) UnaryFunc

// WrapUnary calls f.
func (f UnaryInterceptorFunc) WrapUnary(next UnaryFunc) UnaryFunc { return f(next) }

// WrapSubscription returns next.
func (f UnaryInterceptorFunc) WrapSubscription(next SubscriptionFunc) SubscriptionFunc { return next }

// chains builds the interceptors' chains around the client's own call and
// subscribe, once, in NewClient.
func (c *Client) chains() {
	ics := c.opts.Interceptors
	if len(ics) == 0 {
		return
	}
	u := UnaryFunc(c.unaryBase)
	s := SubscriptionFunc(c.subscriptionBase)
	for i := len(ics) - 1; i >= 0; i-- {
		u = ics[i].WrapUnary(u)
		s = ics[i].WrapSubscription(s)
	}
	c.unary, c.subscription = u, s
}

// transport tells what carries calls of method m.
func (c *Client) transport(m core.Method) Transport {
	if c.hc != nil && (m != core.Subscription || c.httpSubs) {
		return TransportHTTP
	}
	return TransportWebSocket
}

// intercepted runs a query or mutation through the interceptors.
func (c *Client) intercepted(ctx context.Context, m core.Method, path string, raw []byte) (json.RawMessage, error) {
	req := &Request{Type: m.String(), Path: path, Input: raw, Header: http.Header{}, Transport: c.transport(m), method: m}
	return c.unary(ctx, req)
}

// recheck validates what the interceptors left in req.
func recheck(req *Request, m core.Method) ([]byte, error) {
	if req.Type != m.String() {
		return nil, errors.New("trpcws: an interceptor changed Request.Type")
	}
	if err := checkPath(req.Path); err != nil {
		return nil, err
	}
	return marshalInput(req.Input)
}

// unaryBase is the innermost UnaryFunc: the call itself.
func (c *Client) unaryBase(ctx context.Context, req *Request) (json.RawMessage, error) {
	mustContext(ctx, "an interceptor's next")
	raw, err := recheck(req, req.method)
	if err != nil {
		return nil, err
	}
	return c.send(ctx, req.method, req.Path, raw, req.Header)
}

// subscriptionBase is the innermost SubscriptionFunc: it starts req.sub.
func (c *Client) subscriptionBase(ctx context.Context, req *Request) error {
	mustContext(ctx, "an interceptor's next")
	raw, err := recheck(req, core.Subscription)
	if err != nil {
		return err
	}
	s := req.sub
	if s.stop != nil {
		return errors.New("trpcws: an interceptor called next twice for one subscription")
	}
	s.observers = make([]SubscriptionObserver, len(req.observers))
	for i, o := range req.observers { // innermost first
		s.observers[len(req.observers)-1-i] = o
	}
	return c.start(ctx, s, req.Path, raw, req.LastEventID, req.Header)
}

// observe tells the subscription's observers about it; it runs where the
// subscription's items are delivered, before the subscriber sees it.
func (s *Subscription) observe(it *subItem) {
	if len(s.observers) == 0 || s.observed {
		return
	}
	for _, o := range s.observers {
		switch it.kind {
		case itemStarted:
			if f := o.OnStarted; f != nil {
				s.c.guard("SubscriptionObserver.OnStarted", func() { f(s.starts > 0) })
			}
		case itemData:
			if f := o.OnEvent; f != nil {
				s.c.guard("SubscriptionObserver.OnEvent", func() { f(it.ev) })
			}
		case itemState:
			if f := o.OnRetry; f != nil && it.state.State == StateConnecting && it.state.Err != nil {
				s.c.guard("SubscriptionObserver.OnRetry", func() { f(s.retries+1, it.state.Err) })
			}
		}
	}
	switch it.kind {
	case itemStarted:
		s.starts++
		s.retries = 0
	case itemState:
		if it.state.State == StateConnecting && it.state.Err != nil {
			s.retries++
		}
	case itemError:
		s.observeEnd(it.err)
	case itemComplete:
		s.observeEnd(nil)
	}
}

// observeEnd calls the observers' OnEnd, once.
func (s *Subscription) observeEnd(err error) {
	if len(s.observers) == 0 || s.observed {
		return
	}
	s.observed = true
	for _, o := range s.observers {
		if f := o.OnEnd; f != nil {
			s.c.guard("SubscriptionObserver.OnEnd", func() { f(err) })
		}
	}
}
