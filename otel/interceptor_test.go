package trpcotel_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trpcws/trpcws"
	"github.com/trpcws/trpcws/internal/testserver"
	trpcotel "github.com/trpcws/trpcws/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

type rig struct {
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	ic     *trpcotel.Interceptor
}

func newRig(t *testing.T, opts ...trpcotel.Option) *rig {
	t.Helper()
	r := &rig{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	ic, err := trpcotel.NewInterceptor(append([]trpcotel.Option{trpcotel.WithTracerProvider(tp), trpcotel.WithMeterProvider(mp)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	r.ic = ic
	return r
}

func (r *rig) span(t *testing.T, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	var found []sdktrace.ReadOnlySpan
	for _, s := range r.spans.Ended() {
		if s.Name() == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d ended spans named %q, want 1", len(found), name)
	}
	return found[0]
}

func attr(s sdktrace.ReadOnlySpan, k attribute.Key) string {
	for _, kv := range s.Attributes() {
		if kv.Key == k {
			return kv.Value.Emit()
		}
	}
	return ""
}

func (r *rig) metrics(t *testing.T) map[string]metricdata.Aggregation {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Aggregation{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m.Data
		}
	}
	return out
}

// Over HTTP with trace context on: a span per call with its path, type,
// transport, status and error code; traceparent sent in the call's own
// request; a subscription's span with started, retry and resumed events;
// the metrics.
func TestHTTPSpansMetricsAndTraceContext(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	r := newRig(t, trpcotel.WithTraceContext())
	c, err := trpcws.NewClient(trpcws.Options{URL: srv.HTTP + "/trpc", Interceptors: []trpcws.Interceptor{r.ic}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tp, err := trpcws.Query[string](ctx, c, "header", map[string]string{"name": "traceparent"})
	if err != nil {
		t.Fatal(err)
	}
	hs := r.span(t, "header")
	if want := "00-" + hs.SpanContext().TraceID().String() + "-" + hs.SpanContext().SpanID().String() + "-01"; tp != want {
		t.Fatalf("traceparent the server got %q, want the call's span %q", tp, want)
	}
	if attr(hs, trpcotel.AttrType) != "query" || attr(hs, trpcotel.AttrTransport) != "http" || attr(hs, trpcotel.AttrMethod) != "header" ||
		attr(hs, trpcotel.AttrSystem) != "trpc" || hs.Status().Code != codes.Unset {
		t.Fatalf("header span: %v %v", hs.Attributes(), hs.Status())
	}
	if _, err := c.Mutation(ctx, "add", map[string]int{"a": 1, "b": 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Query(ctx, "fail", map[string]string{"code": "NOT_FOUND"}); err == nil {
		t.Fatal("fail: no error")
	}
	fs := r.span(t, "fail")
	if fs.Status().Code != codes.Error || attr(fs, trpcotel.AttrErrorCode) != "NOT_FOUND" {
		t.Fatalf("fail span: status %v, attrs %v", fs.Status(), fs.Attributes())
	}
	if attr(r.span(t, "add"), trpcotel.AttrType) != "mutation" {
		t.Fatal("add span is not a mutation")
	}

	dropAndResume(t, srv, c)
	es := r.span(t, "events")
	var names []string
	for _, ev := range es.Events() {
		names = append(names, ev.Name)
	}
	if got := strings.Join(names, ","); got != "started,retry,resumed" {
		t.Fatalf("subscription span events %q, want started,retry,resumed", got)
	}
	if attr(es, trpcotel.AttrEvents) == "0" || es.Status().Code != codes.Unset || attr(es, trpcotel.AttrType) != "subscription" {
		t.Fatalf("events span: %v %v", es.Attributes(), es.Status())
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}

	ms := r.metrics(t)
	h, ok := ms[trpcotel.MetricDuration].(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("no duration histogram: %v", ms)
	}
	var calls uint64
	var errorPoints int
	for _, p := range h.DataPoints {
		calls += p.Count
		if v, _ := p.Attributes.Value(trpcotel.AttrStatus); v.AsString() == "error" {
			errorPoints++
			if code, _ := p.Attributes.Value(trpcotel.AttrErrorCode); code.AsString() != "NOT_FOUND" {
				t.Fatalf("error point without its code: %v", p.Attributes)
			}
		}
	}
	if calls != 4 || errorPoints != 1 {
		t.Fatalf("duration: %d calls recorded (want 4), %d error points (want 1)", calls, errorPoints)
	}
	inflight := ms[trpcotel.MetricInFlight].(metricdata.Sum[int64])
	for _, p := range inflight.DataPoints {
		if p.Value != 0 {
			t.Fatalf("calls in flight after all ended: %v", p)
		}
	}
	rc := ms[trpcotel.MetricReconnects].(metricdata.Sum[int64])
	if len(rc.DataPoints) != 1 || rc.DataPoints[0].Value != 1 {
		t.Fatalf("reconnects: %+v", rc.DataPoints)
	}
}

// Without WithTraceContext nothing is sent; on the WebSocket the opt-in is
// ConnectionParams, which sends a connection span's context with every
// connection; a subscription's retry and resume are seen there too.
func TestWebSocketConnectionParamsAndOptIn(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()

	r := newRig(t)
	hc, err := trpcws.NewClient(trpcws.Options{URL: srv.HTTP + "/trpc", Interceptors: []trpcws.Interceptor{r.ic}})
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Close(ctx)
	if tp, err := trpcws.Query[*string](ctx, hc, "header", map[string]string{"name": "traceparent"}); err != nil || tp != nil {
		t.Fatalf("traceparent sent without WithTraceContext: %v %v", tp, err)
	}

	r = newRig(t)
	var mu sync.Mutex
	calls := 0
	base := func(context.Context) (map[string]string, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		return map[string]string{"user": "ada"}, nil
	}
	states := make(chan trpcws.ConnectionState, 16)
	c, err := trpcws.NewClient(trpcws.Options{URL: srv.URL, ConnectionParamsFunc: r.ic.ConnectionParams(base),
		Interceptors: []trpcws.Interceptor{r.ic}, OnStateChange: r.ic.OnStateChange(func(st trpcws.ConnectionState) {
			select {
			case states <- st:
			default:
			}
		})})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	who, err := trpcws.Query[map[string]string](ctx, c, "whoami", nil)
	if err != nil {
		t.Fatal(err)
	}
	cs := r.span(t, "trpc connect")
	if want := "00-" + cs.SpanContext().TraceID().String() + "-" + cs.SpanContext().SpanID().String() + "-01"; who["traceparent"] != want || who["user"] != "ada" {
		t.Fatalf("connection params %v, want user ada and traceparent %s", who, want)
	}
	if ws := r.span(t, "whoami"); attr(ws, trpcotel.AttrTransport) != "websocket" {
		t.Fatalf("whoami span: %v", ws.Attributes())
	}
	if attr(cs, trpcotel.AttrTransport) != "websocket" || cs.Parent().IsValid() {
		t.Fatalf("a socket's connect span: %v, parent %v", cs.Attributes(), cs.Parent())
	}

	dropAndResume(t, srv, c)
	var names []string
	for _, ev := range r.span(t, "events").Events() {
		names = append(names, ev.Name)
	}
	if got := strings.Join(names, ","); got != "started,retry,resumed" {
		t.Fatalf("subscription span events %q", got)
	}
	// The client's own reconnect, counted once OnStateChange has seen it
	// (the wrapped callback still runs).
	for st := range states {
		if st.State == trpcws.StateConnecting && st.Err != nil {
			break
		}
	}
	var conn, sub int64
	for _, p := range r.metrics(t)[trpcotel.MetricReconnects].(metricdata.Sum[int64]).DataPoints {
		switch v, _ := p.Attributes.Value(trpcotel.AttrScope); v.AsString() {
		case "connection":
			conn += p.Value
		case "subscription":
			sub += p.Value
		}
	}
	if conn != 1 || sub != 1 {
		t.Fatalf("reconnects: connection %d, subscription %d; want 1 and 1", conn, sub)
	}
	// A failing ConnectionParamsFunc fails the connection as it would alone.
	errParams := errors.New("no params")
	f := r.ic.ConnectionParams(func(context.Context) (map[string]string, error) { return nil, errParams })
	if _, err := f(ctx); !errors.Is(err, errParams) {
		t.Fatalf("base error: %v", err)
	}
}

// dropAndResume runs an events subscription, drops the server's
// connections after its first event, and unsubscribes once it has been
// started again (resumed), whenever the drop lands.
func dropAndResume(t *testing.T, srv *testserver.Server, c *trpcws.Client) {
	t.Helper()
	var mu sync.Mutex
	starts, events := 0, 0
	var dropErr error
	resumed := make(chan struct{})
	var sub *trpcws.Subscription
	sub, err := c.Subscribe(context.Background(), "events", map[string]int{"intervalMs": 5}, trpcws.SubscribeOptions{
		OnStarted: func() {
			mu.Lock()
			defer mu.Unlock()
			if starts++; starts == 2 {
				close(resumed)
			}
		},
		OnData: func(trpcws.Event) {
			mu.Lock()
			events++
			first := events == 1
			mu.Unlock()
			if first {
				err := srv.Control(context.Background(), "drop", nil, nil)
				mu.Lock()
				dropErr = err
				mu.Unlock()
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-resumed:
	case <-sub.Done():
		t.Fatalf("the subscription ended before it resumed: %v (drop: %v)", sub.Err(), dropErr)
	}
	sub.Unsubscribe()
	<-sub.Done()
	mu.Lock()
	defer mu.Unlock()
	if dropErr != nil {
		t.Fatal(dropErr)
	}
}

// ConnectionParams on a subscription over HTTP: each connection of the
// event stream (the first and, after a drop, the reconnect) gets its own
// "trpc connect" span with trpc.transport "http", a child of the
// subscription's span, and sends its trace context in the stream's
// connection params.
func TestSSEConnectionParams(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	r := newRig(t)
	c, err := trpcws.NewClient(trpcws.Options{URL: srv.HTTP + "/trpc", Interceptors: []trpcws.Interceptor{r.ic},
		ConnectionParamsFunc: r.ic.ConnectionParams(nil), RetryDelay: func(int) time.Duration { return 10 * time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	// The traceparent each event's stream carried, one per connection.
	var sent []string
	for ev, err := range trpcws.Events[struct {
		N                int
		ConnectionParams map[string]string
	}](ctx, c, "events", map[string]any{"max": 40, "intervalMs": 20, "whoami": true}, "") {
		if err != nil {
			t.Fatal(err)
		}
		tp := ev.Data.ConnectionParams["traceparent"]
		if len(sent) == 0 || sent[len(sent)-1] != tp {
			sent = append(sent, tp)
			if len(sent) == 2 {
				break
			}
			if err := srv.Control(ctx, "drop", nil, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	sub := r.span(t, "events")
	var connects []string
	for _, s := range r.spans.Ended() {
		if s.Name() != "trpc connect" {
			continue
		}
		if attr(s, trpcotel.AttrTransport) != "http" || s.Parent().SpanID() != sub.SpanContext().SpanID() {
			t.Fatalf("an event stream's connect span: %v, parent %v (the subscription's is %v)", s.Attributes(), s.Parent().SpanID(), sub.SpanContext().SpanID())
		}
		connects = append(connects, "00-"+s.SpanContext().TraceID().String()+"-"+s.SpanContext().SpanID().String()+"-01")
	}
	if strings.Join(connects, " ") != strings.Join(sent, " ") {
		t.Fatalf("connect spans %v, traceparents sent %v", connects, sent)
	}
}
