//go:build !js

package trpcws_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trpcws/trpcws"
	"github.com/trpcws/trpcws/internal/testserver"
	"github.com/trpcws/trpcws/superjson"
)

// sjServer is one real @trpc/server created with transformer: superjson
// (testserver's --transformer superjson) for the transformer tests.
var sjServer = sync.OnceValue(func() *testserver.Server {
	srv, stop, err := testserver.Run(context.Background(), testserver.Options{Transformer: "superjson"})
	if err != nil {
		panic("cannot start the superjson test server: " + err.Error())
	}
	sjStop = stop
	return srv
})

var sjStop func()

// transports are the ways a client reaches the superjson server: every
// transformer test runs over each.
func transports(srv *testserver.Server) map[string]trpcws.Options {
	return map[string]trpcws.Options{
		"ws":           {URL: srv.URL},
		"http":         {URL: srv.HTTP + "/trpc"},
		"fetchadapter": {URL: srv.HTTP + "/fetch"},
		"split":        {URL: srv.URL, HTTPURL: srv.HTTP + "/trpc"},
	}
}

// rich is testserver's richValues as a Go program decodes it.
type rich struct {
	At     time.Time         `json:"at"`
	Big    int64             `json:"big"`
	Tags   []string          `json:"tags"`
	Scores map[string]int    `json:"scores"`
	ByDate map[string]string `json:"byDate"`
	List   []*int            `json:"list"`
	Nested struct {
		When time.Time  `json:"when"`
		IDs  []*big.Int `json:"ids"`
	} `json:"nested"`
}

// TestTransformerSuperjson: with Options.Transformer superjson.Transformer{},
// a superjson server's results, errors and events arrive as plain JSON and
// its procedures get the inputs as they were meant, over the WebSocket,
// HTTP batch, the streamed batch, the fetch adapter, SSE and the split.
func TestTransformerSuperjson(t *testing.T) {
	t.Parallel()
	srv := sjServer()
	for name, opts := range transports(srv) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			opts.Transformer = superjson.Transformer{}
			c := newClient(t, opts)
			ctx := ctxT(t)

			raw, err := c.Query(ctx, "richValues", nil)
			const want = `{"at":"2024-05-01T12:30:00.250Z","big":9007199254740993,"tags":["a","b"],"scores":{"x":1,"y":2},` +
				`"byDate":{"1970-01-01T00:00:00.000Z":"epoch"},"list":[null,1],"nested":{"when":"1970-01-02T00:00:00.000Z","ids":[1,2]}}`
			if err != nil || string(raw) != want {
				t.Fatalf("richValues = %s, %v\nwant %s", raw, err, want)
			}
			v, err := trpcws.Query[rich](ctx, c, "richValues", nil)
			if err != nil {
				t.Fatal(err)
			}
			if !v.At.Equal(time.Date(2024, 5, 1, 12, 30, 0, 250e6, time.UTC)) || v.Big != 9007199254740993 ||
				v.Scores["y"] != 2 || v.ByDate["1970-01-01T00:00:00.000Z"] != "epoch" || len(v.List) != 2 || v.List[0] != nil ||
				*v.List[1] != 1 || !v.Nested.When.Equal(time.Unix(86400, 0)) || v.Nested.IDs[1].Int64() != 2 {
				t.Fatalf("richValues decoded: %+v", v)
			}

			// The server's procedure sees the inputs as sent; no input is undefined.
			for in, want := range map[string]string{
				`{"a":1,"s":"x<&>","l":[1,null,true]}`: `{"a":1,"s":"x<&>","l":[1,null,true]}`,
				`null`:                                 `null`,
				`"2024-05-01T12:30:00Z"`:               `"2024-05-01T12:30:00Z"`, // a time.Time is its string
			} {
				got, err := trpcws.Query[string](ctx, c, "describeInput", json.RawMessage(in))
				if err != nil || got != want {
					t.Errorf("describeInput(%s) = %q, %v; want %q", in, got, err, want)
				}
			}
			if got, err := trpcws.Query[string](ctx, c, "describeInput", nil); err != nil || got != "undefined" {
				t.Errorf("describeInput() = %q, %v; want undefined", got, err)
			}
			if sum, err := trpcws.Mutation[int](ctx, c, "add", map[string]int{"a": 2, "b": 3}); err != nil || sum != 5 {
				t.Errorf("add = %d, %v", sum, err)
			}
			if got, err := c.Mutation(ctx, "voidMutation", nil); err != nil || got != nil {
				t.Errorf("voidMutation = %s, %v; want nothing", got, err)
			}

			// An error's whole shape is serialized: decoded, it is the same
			// *TRPCError as without a transformer.
			_, err = c.Query(ctx, "fail", map[string]string{"code": "FORBIDDEN", "message": "no entry"})
			var te *trpcws.TRPCError
			if !errors.As(err, &te) || te.Code != "FORBIDDEN" || te.Message != "no entry" || te.JSONRPCCode != -32003 ||
				te.HTTPStatus != 403 || te.Path != "fail" || bytes.Contains(te.Raw, []byte(`"json"`)) {
				t.Fatalf("fail: %v (%+v)", err, te)
			}

			// Tracked events: the value without superjson's envelope, the id
			// kept; resuming after 1 starts at 2.
			var got []string
			for ev, err := range trpcws.Events[struct {
				N   int       `json:"n"`
				At  time.Time `json:"at"`
				Big *big.Int  `json:"big"`
			}](ctx, c, "richEvents", map[string]int{"max": 3}, "1") {
				if err != nil {
					t.Fatal(err)
				}
				if !ev.Tracked || ev.Data.At.Unix() != int64(ev.Data.N) || ev.Data.Big.String() != ev.ID+"00000000000000000000" {
					t.Fatalf("richEvents event %+v", ev)
				}
				got = append(got, ev.ID)
			}
			if strings.Join(got, ",") != "2,3" {
				t.Fatalf("richEvents after 1: %v", got)
			}
			for ev, err := range c.Events(ctx, "richEvents", map[string]int{"max": 1}, "") {
				if err != nil || string(ev.Data) != `{"id":"1","data":{"n":1,"at":"1970-01-01T00:00:01.000Z","big":100000000000000000000}}` {
					t.Fatalf("richEvents raw: %s, %v", ev.Data, err)
				}
			}
			// Plain events, and a subscription's error.
			var n []string
			for ev, err := range c.Events(ctx, "counter", map[string]int{"count": 3, "intervalMs": 1}, "") {
				if err != nil {
					t.Fatal(err)
				}
				n = append(n, string(ev.Data))
			}
			if strings.Join(n, ",") != "0,1,2" {
				t.Fatalf("counter: %v", n)
			}
			for _, err := range c.Events(ctx, "failingSub", map[string]int{"after": 1}, "") {
				if err != nil {
					if !errors.As(err, &te) || te.Code != "BAD_REQUEST" || te.Message != "sub failed" {
						t.Fatalf("failingSub: %v", err)
					}
				}
			}
			if te.Message != "sub failed" {
				t.Fatal("failingSub did not fail")
			}
		})
	}
}

// TestTransformerNotWithBatchStream: httpBatchStreamLink's stream is
// transformed line by line, which the HTTP driver does not undo yet:
// NewClient says so rather than return envelopes.
func TestTransformerNotWithBatchStream(t *testing.T) {
	t.Parallel()
	_, err := trpcws.NewClient(trpcws.Options{URL: "http://127.0.0.1:1/trpc", HTTPBatchStream: true, Transformer: superjson.Transformer{}})
	if err == nil || !strings.Contains(err.Error(), "Options.HTTPBatchStream") {
		t.Fatalf("NewClient: %v", err)
	}
}

// faulty is superjson, failing or panicking where the data holds a marker.
type faulty struct{ superjson.Transformer }

var errMarked = errors.New("marked to fail")

func (f faulty) Serialize(in json.RawMessage) (json.RawMessage, error) {
	switch {
	case bytes.Contains(in, []byte("fail-serialize")):
		return nil, errMarked
	case bytes.Contains(in, []byte("panic-serialize")):
		panic("serialize panicked")
	case bytes.Contains(in, []byte("junk-serialize")):
		return json.RawMessage(`{"json":`), nil
	}
	return f.Transformer.Serialize(in)
}

func (f faulty) Deserialize(data json.RawMessage) (json.RawMessage, error) {
	switch {
	case bytes.Contains(data, []byte("fail-deserialize")):
		return nil, errMarked
	case bytes.Contains(data, []byte("panic-deserialize")):
		panic("deserialize panicked")
	case bytes.Contains(data, []byte("junk-deserialize")):
		return json.RawMessage(`{"x":`), nil
	case bytes.Contains(data, []byte("codeless")):
		return json.RawMessage(`{"message":"no code"}`), nil
	}
	return f.Transformer.Deserialize(data)
}

// TestTransformerFailures: a transformer that fails, panics or returns
// junk fails that call (or ends that subscription) with a *TransformError
// saying so, and the client goes on serving others.
func TestTransformerFailures(t *testing.T) {
	t.Parallel()
	srv := sjServer()
	for name, opts := range transports(srv) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var reported []error
			opts.Transformer = faulty{}
			opts.OnError = func(err error) {
				mu.Lock()
				reported = append(reported, err)
				mu.Unlock()
			}
			opts.HTTPHeader = http.Header{"X-Mark": {"panic-deserialize"}}
			c := newClient(t, opts)
			ctx := ctxT(t)
			healthy := func(what string) {
				t.Helper()
				if got, err := c.Query(ctx, "echo", map[string]int{"ok": 1}); err != nil || string(got) != `{"ok":1}` {
					t.Fatalf("after %s: echo = %s, %v", what, got, err)
				}
			}
			check := func(what, method string, err error, cause func(error) bool) {
				t.Helper()
				var fe *trpcws.TransformError
				if !errors.As(err, &fe) || fe.Method != method || fe.Path == "" || !cause(fe.Err) ||
					!strings.Contains(err.Error(), "Options.Transformer."+method+" failed") {
					t.Fatalf("%s: %v (%#v)", what, err, fe)
				}
				if method == "Deserialize" && fe.Data == nil {
					t.Fatalf("%s: no Data", what)
				}
				healthy(what)
			}
			isMarked := func(err error) bool { return errors.Is(err, errMarked) }
			isPanic := func(err error) bool { var pe *trpcws.PanicError; return errors.As(err, &pe) }
			anyErr := func(err error) bool { return err != nil }

			_, err := c.Query(ctx, "echo", "fail-serialize")
			check("Serialize error", "Serialize", err, isMarked)
			_, err = c.Mutation(ctx, "add", "panic-serialize")
			check("Serialize panic", "Serialize", err, isPanic)
			_, err = c.Query(ctx, "echo", "junk-serialize")
			check("Serialize junk", "Serialize", err, anyErr)
			_, err = c.Query(ctx, "echo", "fail-deserialize")
			check("Deserialize error", "Deserialize", err, isMarked)
			_, err = c.Query(ctx, "echo", "panic-deserialize")
			check("Deserialize panic", "Deserialize", err, isPanic)
			_, err = c.Query(ctx, "echo", "junk-deserialize")
			check("Deserialize junk", "Deserialize", err, anyErr)
			_, err = c.Query(ctx, "fail", map[string]string{"message": "fail-deserialize"})
			check("Deserialize error of an error", "Deserialize", err, isMarked)
			_, err = c.Query(ctx, "fail", map[string]string{"message": "codeless"})
			check("an error without a code", "Deserialize", err, anyErr)

			// A subscription's input, and an event (headerSub yields the
			// X-Mark header, which the handshake carries on the WebSocket).
			for _, err := range c.Events(ctx, "headerSub", "panic-serialize", "") {
				check("Serialize panic of a subscription", "Serialize", err, isPanic)
			}
			n := 0
			for _, err := range c.Events(ctx, "headerSub", map[string]string{"name": "x-mark"}, "") {
				n++
				check("Deserialize panic of an event", "Deserialize", err, isPanic)
			}
			if n != 1 {
				t.Fatalf("headerSub yielded %d times, want the one error", n)
			}
			done := make(chan error, 1)
			sub, err := c.Subscribe(ctx, "headerSub", map[string]string{"name": "x-mark"}, trpcws.SubscribeOptions{
				OnData:  func(ev trpcws.Event) { t.Errorf("OnData(%s)", ev.Data) },
				OnError: func(err error) { done <- err },
			})
			if err != nil {
				t.Fatal(err)
			}
			check("Deserialize panic of an event, with callbacks", "Deserialize", <-done, isPanic)
			<-sub.Done()
			mu.Lock()
			defer mu.Unlock()
			panics := 0
			for _, err := range reported {
				if isPanic(err) {
					panics++
				}
			}
			if panics != 5 {
				t.Fatalf("OnError got %d panics, want 5: %v", panics, reported)
			}
		})
	}
}

// TestTransformerResume: a subscription whose connection drops resumes
// after its last tracked event with a transformer too: on the WebSocket
// lastEventId goes beside the serialized input, over SSE inside it.
func TestTransformerResume(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{Transformer: "superjson"})
	for _, name := range []string{"ws", "http"} {
		opts := transports(srv)[name]
		opts.Transformer = superjson.Transformer{}
		opts.RetryDelay = func(int) time.Duration { return 10 * time.Millisecond }
		c := newClient(t, opts)
		ctx := ctxT(t)
		var ids []string
		// Events every 50 ms without end; the drop lands after the second
		// or a later one (the server may send more before it drops).
		for ev, err := range c.Events(ctx, "richEvents", map[string]int{"max": 1000, "intervalMs": 50}, "") {
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			ids = append(ids, ev.ID)
			if len(ids) == 2 {
				srv.Drop(t)
			}
			if len(ids) == 8 {
				break
			}
		}
		if strings.Join(ids, ",") != "1,2,3,4,5,6,7,8" {
			t.Fatalf("%s: events %v, want 1 to 8 once each", name, ids)
		}
		var resumed []string
		for _, s := range srv.Stats(t).SubscriptionStarts {
			if s.Path == "richEvents" && s.LastEventID != "" {
				resumed = append(resumed, s.LastEventID)
			}
		}
		if len(resumed) != 1 || resumed[0] < "2" || resumed[0] > "7" {
			t.Fatalf("%s: the procedure was resumed after %v, want once, after the last event before the drop", name, resumed)
		}
		srv.Reset(t)
	}
}

// refuseResume is superjson, failing for an input that resumes.
type refuseResume struct{ superjson.Transformer }

func (r refuseResume) Serialize(in json.RawMessage) (json.RawMessage, error) {
	if bytes.Contains(in, []byte(`"lastEventId"`)) {
		return nil, errMarked
	}
	return r.Transformer.Serialize(in)
}

// TestTransformerResumeFails: over SSE the input is serialized again for
// the resumed stream; a transformer failing then ends the subscription
// with its *TransformError (not retried), after the events before it.
func TestTransformerResumeFails(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{Transformer: "superjson"})
	c := newClient(t, trpcws.Options{URL: srv.HTTP + "/trpc", Transformer: refuseResume{},
		RetryDelay: func(int) time.Duration { return 10 * time.Millisecond }})
	ctx := ctxT(t)
	var ids []string
	var last error
	for ev, err := range c.Events(ctx, "richEvents", map[string]int{"max": 1000, "intervalMs": 30}, "") {
		if err != nil {
			last = err
			break
		}
		ids = append(ids, ev.ID)
		if len(ids) == 2 {
			srv.Drop(t)
		}
	}
	var fe *trpcws.TransformError
	if len(ids) < 2 || !strings.HasPrefix("1,2,3,4,5,6,7,8,9", strings.Join(ids, ",")) || !errors.As(last, &fe) ||
		fe.Method != "Serialize" || !errors.Is(last, errMarked) {
		t.Fatalf("events %v, then %v", ids, last)
	}
	if got, err := c.Query(ctx, "echo", 1); err != nil || string(got) != "1" {
		t.Fatalf("echo after: %s, %v", got, err)
	}
}
