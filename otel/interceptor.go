// Package trpcotel traces and measures a trpcws client's calls with
// OpenTelemetry: a trpcws.Interceptor that makes a client span per query,
// mutation and subscription, records call durations, calls in flight and
// reconnects, and, when asked, sends W3C trace context to the server.
//
// It is its own module, so that the trpcws module needs no OpenTelemetry
// dependency:
//
//	import trpcotel "github.com/trpcws/trpcws/otel"
//
//	ic, err := trpcotel.NewInterceptor(trpcotel.WithTraceContext())
//	client, err := trpcws.NewClient(trpcws.Options{URL: url, Interceptors: []trpcws.Interceptor{ic}})
//
// Spans are named after the procedure path and carry rpc.system "trpc",
// rpc.method (the path), trpc.type (query, mutation, subscription) and
// trpc.transport (websocket, http); a failed call has status Error and, for
// an error the server sent, trpc.error.code (e.g. "NOT_FOUND"). A
// subscription's span lasts until it ends, with events for its retries and
// resumes.
package trpcotel

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/trpcws/trpcws"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the tracer and meter.
const ScopeName = "github.com/trpcws/trpcws/otel"

// The metrics' names.
const (
	// MetricDuration is a histogram of call durations in seconds (a
	// subscription's from its start to its end).
	MetricDuration = "trpc.client.call.duration"
	// MetricInFlight counts the calls and subscriptions under way.
	MetricInFlight = "trpc.client.calls.active"
	// MetricReconnects counts retried connections: each subscription's
	// retries, and the client's own when Interceptor.OnStateChange is
	// installed (AttrScope tells them apart).
	MetricReconnects = "trpc.client.reconnects"
)

// The attribute keys set on spans and metrics.
const (
	AttrSystem    = attribute.Key("rpc.system")      // "trpc"
	AttrMethod    = attribute.Key("rpc.method")      // the procedure path
	AttrType      = attribute.Key("trpc.type")       // query, mutation, subscription
	AttrTransport = attribute.Key("trpc.transport")  // websocket, http
	AttrErrorCode = attribute.Key("trpc.error.code") // the server's error code
	AttrStatus    = attribute.Key("trpc.status")     // "ok" or "error" (metrics)
	AttrAttempt   = attribute.Key("trpc.retry.attempt")
	AttrEvents    = attribute.Key("trpc.subscription.events")
	// AttrScope tells what a reconnect counted: "subscription" (one
	// subscription's retry) or "connection" (the client's own, OnStateChange).
	AttrScope = attribute.Key("trpc.reconnect.scope")
)

// Option configures NewInterceptor.
type Option func(*config)

type config struct {
	tp      trace.TracerProvider
	mp      metric.MeterProvider
	prop    propagation.TextMapPropagator
	context bool
}

// WithTracerProvider sets where spans go; the default is the global one
// (otel.GetTracerProvider).
func WithTracerProvider(tp trace.TracerProvider) Option { return func(c *config) { c.tp = tp } }

// WithMeterProvider sets where metrics go; the default is the global one
// (otel.GetMeterProvider).
func WithMeterProvider(mp metric.MeterProvider) Option { return func(c *config) { c.mp = mp } }

// WithPropagator sets how trace context is written when WithTraceContext
// is given; the default is W3C Trace Context (traceparent, tracestate).
func WithPropagator(p propagation.TextMapPropagator) Option { return func(c *config) { c.prop = p } }

// WithTraceContext sends each call's trace context to the server in the
// headers of its HTTP request (the HTTP transport). Off by default: the
// headers tell the server about the client's traces. On the WebSocket a
// call has no headers of its own; use Interceptor.ConnectionParams to send
// trace context with each connection.
func WithTraceContext() Option { return func(c *config) { c.context = true } }

// Interceptor is the trpcws.Interceptor that traces and measures calls.
// Make it with NewInterceptor; it is safe for concurrent use by any number
// of clients.
type Interceptor struct {
	cfg        config
	tracer     trace.Tracer
	duration   metric.Float64Histogram
	inFlight   metric.Int64UpDownCounter
	reconnects metric.Int64Counter
}

var _ trpcws.Interceptor = (*Interceptor)(nil)

// NewInterceptor returns an Interceptor for opts. It fails only when an
// instrument cannot be created by the meter provider.
func NewInterceptor(opts ...Option) (*Interceptor, error) {
	cfg := config{prop: propagation.TraceContext{}}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.tp == nil {
		cfg.tp = otel.GetTracerProvider()
	}
	if cfg.mp == nil {
		cfg.mp = otel.GetMeterProvider()
	}
	meter := cfg.mp.Meter(ScopeName)
	i := &Interceptor{cfg: cfg, tracer: cfg.tp.Tracer(ScopeName)}
	var err, e error
	i.duration, e = meter.Float64Histogram(MetricDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of tRPC calls made by the client (subscriptions: start to end)."))
	err = errors.Join(err, e)
	i.inFlight, e = meter.Int64UpDownCounter(MetricInFlight, metric.WithUnit("{call}"),
		metric.WithDescription("tRPC calls and subscriptions under way."))
	err = errors.Join(err, e)
	i.reconnects, e = meter.Int64Counter(MetricReconnects, metric.WithUnit("{reconnect}"),
		metric.WithDescription("Lost connections of subscriptions, retried."))
	err = errors.Join(err, e)
	if err != nil {
		return nil, err
	}
	return i, nil
}

// start opens the span and counts the call in flight.
func (i *Interceptor) start(ctx context.Context, req *trpcws.Request) (context.Context, trace.Span, attribute.Set) {
	attrs := attribute.NewSet(AttrSystem.String("trpc"), AttrMethod.String(req.Path),
		AttrType.String(req.Type), AttrTransport.String(string(req.Transport)))
	ctx, span := i.tracer.Start(ctx, req.Path, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs.ToSlice()...))
	if i.cfg.context && req.Header != nil {
		i.cfg.prop.Inject(ctx, propagation.HeaderCarrier(req.Header))
	}
	i.inFlight.Add(ctx, 1, metric.WithAttributeSet(attrs))
	return ctx, span, attrs
}

// finish ends the span with err's status and records the duration.
func (i *Interceptor) finish(ctx context.Context, span trace.Span, attrs attribute.Set, began time.Time, err error) {
	status := "ok"
	kvs := attrs.ToSlice()
	if err != nil {
		status = "error"
		var te *trpcws.TRPCError
		if errors.As(err, &te) {
			span.SetAttributes(AttrErrorCode.String(te.Code))
			kvs = append(kvs, AttrErrorCode.String(te.Code))
		}
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
	i.inFlight.Add(ctx, -1, metric.WithAttributeSet(attrs))
	i.duration.Record(ctx, time.Since(began).Seconds(), metric.WithAttributes(append(kvs, AttrStatus.String(status))...))
}

// WrapUnary traces and measures a query or mutation.
func (i *Interceptor) WrapUnary(next trpcws.UnaryFunc) trpcws.UnaryFunc {
	return func(ctx context.Context, req *trpcws.Request) (json.RawMessage, error) {
		began := time.Now()
		ctx, span, attrs := i.start(ctx, req)
		out, err := next(ctx, req)
		i.finish(ctx, span, attrs, began, err)
		return out, err
	}
}

// WrapSubscription traces and measures a subscription, from its start to
// its end: span events "started" and "resumed" (after a lost connection,
// resuming after the last tracked event, whose id is trpc.last_event_id)
// and "retry" (with the attempt and the error), and the reconnects metric.
func (i *Interceptor) WrapSubscription(next trpcws.SubscriptionFunc) trpcws.SubscriptionFunc {
	return func(ctx context.Context, req *trpcws.Request) error {
		began := time.Now()
		ctx, span, attrs := i.start(ctx, req)
		events := 0
		lastID := req.LastEventID
		req.Observe(trpcws.SubscriptionObserver{
			OnStarted: func(resumed bool) {
				if resumed {
					span.AddEvent("resumed", trace.WithAttributes(attribute.String("trpc.last_event_id", lastID)))
				} else {
					span.AddEvent("started")
				}
			},
			OnEvent: func(ev trpcws.Event) {
				events++
				if ev.Tracked {
					lastID = ev.ID
				}
			},
			OnRetry: func(attempt int, err error) {
				span.AddEvent("retry", trace.WithAttributes(AttrAttempt.Int(attempt), attribute.String("error", err.Error())))
				i.reconnects.Add(ctx, 1, metric.WithAttributes(append(attrs.ToSlice(), AttrScope.String("subscription"))...))
			},
			OnEnd: func(err error) {
				span.SetAttributes(AttrEvents.Int(events))
				i.finish(ctx, span, attrs, began, err)
			},
		})
		if err := next(ctx, req); err != nil {
			i.finish(ctx, span, attrs, began, err)
			return err
		}
		return nil
	}
}

// ConnectionParams wraps a trpcws.Options.ConnectionParamsFunc (nil for
// none) so that every connection also sends trace context in its
// connection params (traceparent, tracestate: the server's createContext
// sees them in info.connectionParams): each WebSocket, and each connection
// of a subscription's event stream over HTTP (SSE; reconnects too). Each
// connection gets a short client span "trpc connect" whose context is
// sent, with trpc.transport "websocket" or "http" (what
// trpcws.ConnectionTransport tells of the ctx the client passes), a child
// of the span in that ctx: none for a socket (a new trace), the
// subscription's span for an event stream. This is the opt-in for the
// WebSocket, where a call has no headers of its own.
//
//	Options{ConnectionParamsFunc: ic.ConnectionParams(nil)}
func (i *Interceptor) ConnectionParams(base func(ctx context.Context) (map[string]string, error)) func(ctx context.Context) (map[string]string, error) {
	return func(ctx context.Context) (map[string]string, error) {
		var params map[string]string
		if base != nil {
			p, err := base(ctx)
			if err != nil {
				return nil, err
			}
			params = p
		}
		out := make(map[string]string, len(params)+2)
		for k, v := range params {
			out[k] = v
		}
		sctx, span := i.tracer.Start(ctx, "trpc connect", trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(AttrSystem.String("trpc"), AttrTransport.String(string(trpcws.ConnectionTransport(ctx)))))
		i.cfg.prop.Inject(sctx, propagation.MapCarrier(out))
		span.End()
		return out, nil
	}
}

// OnStateChange wraps a trpcws.Options.OnStateChange (nil for none) so
// that the client's own reconnects are counted in MetricReconnects (with
// AttrScope "connection"): every change to connecting after a lost
// connection, whether or not subscriptions are live.
//
//	Options{OnStateChange: ic.OnStateChange(nil)}
func (i *Interceptor) OnStateChange(next func(trpcws.ConnectionState)) func(trpcws.ConnectionState) {
	return func(st trpcws.ConnectionState) {
		if st.State == trpcws.StateConnecting && st.Err != nil {
			i.reconnects.Add(context.Background(), 1, metric.WithAttributes(AttrSystem.String("trpc"), AttrScope.String("connection")))
		}
		if next != nil {
			next(st)
		}
	}
}
