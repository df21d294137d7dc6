package httpdriver_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trpcws/trpcws/core"
	"github.com/trpcws/trpcws/httpdriver"
	"github.com/trpcws/trpcws/httpwire"
	"github.com/trpcws/trpcws/internal/chaos"
	"github.com/trpcws/trpcws/internal/testserver"
)

// hostileHTTP is a server that answers tRPC over HTTP badly on purpose,
// the HTTP side of internal/hostile: the first path segment picks how.
// "health" answers a batch of one as a good server does.
type hostileHTTP struct {
	mu    sync.Mutex
	conns map[string]int // event stream connections per path
	lasts []string       // the input of each event stream request (lastEventId goes in it)
}

func (h *hostileHTTP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	what, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	what, _, _ = strings.Cut(what, ",")
	h.mu.Lock()
	if h.conns == nil {
		h.conns = map[string]int{}
	}
	h.conns[what]++
	n := h.conns[what]
	if r.Header.Get("Accept") == "text/event-stream" {
		h.lasts = append(h.lasts, r.URL.Query().Get("input"))
	}
	h.mu.Unlock()
	fl := w.(http.Flusher)
	cut := func() { // drop the connection where the body stands
		fl.Flush()
		c, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			c.Close()
		}
	}
	switch what {
	case "health":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `[{"result":{"data":"ok"}}]`)
	case "cutJSON": // a batch reply cut in the middle of its JSON
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `[{"result":{"data":{"a":1,"b":"hal`)
		cut()
	case "cutJSONL": // a jsonl reply cut after its head
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"0":[[0],[null,0,0]]}`+"\n")
		cut()
	case "html": // not JSON, and says so
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body>502 Bad Gateway</body></html>")
	case "wrongType": // valid JSON under a wrong content type is still read
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, `[{"result":{"data":"plain"}}]`)
	case "huge": // 8 MiB that is not JSON
		w.Header().Set("Content-Type", "application/json")
		chunk := strings.Repeat("x", 1<<20)
		for range 8 {
			if _, err := fmt.Fprint(w, chunk); err != nil {
				return
			}
		}
	case "bigJSON": // a good batch reply of 8 KiB and more
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `[{"result":{"data":"`+strings.Repeat("x", 8<<10)+`"}}]`)
	case "bigLine": // a jsonl reply whose one chunk is an 8 KiB line
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"0":[[0],[null,0,0]]}`+"\n")
		fl.Flush()
		fmt.Fprint(w, `[0,0,[[{"result":{"data":"`+strings.Repeat("x", 8<<10)+`"}}]]]`+"\n")
	case "endless": // a body without end (for the client) or newline
		w.Header().Set("Content-Type", "application/json")
		endless(w)
	case "slow": // never answers; ends when the client goes
		fl.Flush()
		<-r.Context().Done()
	case "sseStall": // one event, then silence past reconnectAfterInactivityMs
		sse(w)
		if n == 1 {
			fmt.Fprint(w, "event: connected\ndata: {\"reconnectAfterInactivityMs\":200}\n\n")
			fmt.Fprint(w, "id: 1\ndata: 1\n\n")
			fl.Flush()
			<-r.Context().Done()
			return
		}
		fmt.Fprint(w, "event: connected\ndata: {}\n\nid: 2\ndata: 2\n\nevent: return\ndata: \n\n")
	case "sseBad": // a malformed event after one good one
		sse(w)
		if n == 1 {
			fmt.Fprint(w, "event: connected\ndata: {}\n\nid: 1\ndata: 1\n\n")
			fmt.Fprint(w, "id: 2\ndata: {not json\n\n")
			fl.Flush()
			<-r.Context().Done()
			return
		}
		fmt.Fprint(w, "event: connected\ndata: {}\n\nid: 2\ndata: 2\n\nid: 3\ndata: 3\n\nevent: return\ndata: \n\n")
	case "sseCut": // an event cut in the middle, then the connection dropped
		sse(w)
		if n == 1 {
			fmt.Fprint(w, "event: connected\ndata: {}\n\nid: 1\ndata: 1\n\nid: 2\ndata: {\"ha")
			cut()
			return
		}
		fmt.Fprint(w, "event: connected\ndata: {}\n\nid: 2\ndata: 2\n\nevent: return\ndata: \n\n")
	case "sseHuge": // an event of 8 KiB in 2 KiB data lines after one good one
		sse(w)
		if n == 1 {
			fmt.Fprint(w, "event: connected\ndata: {}\n\nid: 1\ndata: 1\n\nid: 2\n")
			for range 4 {
				fmt.Fprint(w, "data: "+strings.Repeat("x", 2<<10)+"\n")
			}
			fmt.Fprint(w, "\n")
			fl.Flush()
			<-r.Context().Done()
			return
		}
		fmt.Fprint(w, "event: connected\ndata: {}\n\nid: 2\ndata: 2\n\nevent: return\ndata: \n\n")
	case "sseEndless": // a line that never ends after one good event
		sse(w)
		if n == 1 {
			fmt.Fprint(w, "event: connected\ndata: {}\n\nid: 1\ndata: 1\n\nid: 2\ndata: ")
			endless(w)
			return
		}
		fmt.Fprint(w, "event: connected\ndata: {}\n\nid: 2\ndata: 2\n\nevent: return\ndata: \n\n")
	default:
		http.NotFound(w, r)
	}
}

// endless writes x without end for the client (until it goes): 64 MiB at
// most, past the default ReadLimit, so that a client that does not stop
// reading fails its case instead of eating the machine's memory.
func endless(w http.ResponseWriter) {
	chunk := []byte(strings.Repeat("x", 32<<10))
	for range 64 << 20 / len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

func sse(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
}

// noLeak fails t when goroutines started during the test are still there
// once hc's idle connections are closed (waiting up to 10 s for them to
// finish, not timing anything).
func noLeak(t *testing.T, hc *http.Client) func() {
	before := runtime.NumGoroutine()
	return func() {
		t.Helper()
		hc.CloseIdleConnections()
		var now int
		for range 200 {
			if now = runtime.NumGoroutine(); now <= before {
				return
			}
			time.Sleep(50 * time.Millisecond)
			hc.CloseIdleConnections()
		}
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines %d before, %d after:\n%s", before, now, buf[:runtime.Stack(buf, true)])
	}
}

func healthy(t *testing.T, c *httpdriver.Client) {
	t.Helper()
	out, err := c.Call(context.Background(), true, "health", nil)
	if err != nil || string(out) != `"ok"` {
		t.Fatalf("health after: %s %v", out, err)
	}
}

// Not parallel: it counts goroutines.
func TestHostileServer(t *testing.T) {
	h := &hostileHTTP{}
	ts := httptest.NewServer(h)
	defer ts.Close()
	hc := &http.Client{Transport: &http.Transport{}}
	check := noLeak(t, hc)
	var te *core.TRPCError
	var ce *core.ClosedError
	var le *httpwire.LimitError
	// tooBig: the call failed with a *core.ClosedError whose cause is a
	// *httpwire.LimitError for what, at limit, and its message names it.
	tooBig := func(what string, limit int64) func([]byte, error) bool {
		return func(_ []byte, err error) bool {
			return errors.As(err, &ce) && errors.As(err, &le) && le.What == what && le.Limit == limit &&
				strings.Contains(err.Error(), "ReadLimit ("+strconv.FormatInt(limit, 10)+" bytes)")
		}
	}
	for _, tc := range []struct {
		name, path string
		stream     bool
		timeout    time.Duration
		ok         func(out []byte, err error) bool
		limit      int64 // Options.ReadLimit
	}{
		{"cut mid-JSON", "cutJSON", false, 0, func(_ []byte, err error) bool { return errors.As(err, &ce) }, 0},
		{"jsonl cut after the head", "cutJSONL", true, 0, func(_ []byte, err error) bool { return err != nil && !errors.As(err, &te) }, 0},
		{"not JSON", "html", false, 0, func(_ []byte, err error) bool {
			return err != nil && strings.Contains(err.Error(), "HTTP 200")
		}, 0},
		{"wrong content type", "wrongType", false, 0, func(out []byte, err error) bool { return err == nil && string(out) == `"plain"` }, 0},
		{"huge non-JSON body", "huge", false, 0, func(_ []byte, err error) bool {
			return err != nil && !errors.As(err, &te) && !errors.As(err, &le) // 8 MiB: within the default 32 MiB
		}, 0},
		{"huge non-JSON body without ReadLimit", "huge", false, 0, func(_ []byte, err error) bool {
			return err != nil && strings.Contains(err.Error(), "HTTP 200") && !errors.As(err, &le)
		}, -1},
		{"body within ReadLimit", "bigJSON", false, 0, func(out []byte, err error) bool { return err == nil && len(out) == 8<<10+2 }, 1 << 20},
		{"body over ReadLimit", "bigJSON", false, 0, tooBig("response body", 4096), 4096},
		// Read as jsonl until its first line ends: a line to the decoder.
		{"plain reply over ReadLimit to a jsonl request", "bigJSON", true, 0, tooBig("jsonl line", 4096), 4096},
		{"jsonl line over ReadLimit", "bigLine", true, 0, tooBig("jsonl line", 4096), 4096},
		{"endless body over ReadLimit", "endless", false, 0, tooBig("response body", 4096), 4096},
		{"endless jsonl line over ReadLimit", "endless", true, 0, tooBig("jsonl line", 4096), 4096},
		{"endless body over the default ReadLimit", "endless", false, 0, tooBig("response body", httpdriver.DefaultReadLimit), 0},
		{"slow beyond the deadline", "slow", false, 300 * time.Millisecond, func(_ []byte, err error) bool {
			return errors.Is(err, context.DeadlineExceeded)
		}, 0},
		{"slow jsonl beyond the deadline", "slow", true, 300 * time.Millisecond, func(_ []byte, err error) bool {
			return errors.Is(err, context.DeadlineExceeded)
		}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := httpdriver.New(httpdriver.Options{URL: ts.URL, HTTPClient: hc, Stream: tc.stream, ReadLimit: tc.limit})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			out, err := c.Call(ctx, true, tc.path, nil)
			t.Logf("%s: %.100s %v", tc.path, out, err)
			if !tc.ok(out, err) {
				t.Fatalf("%s: %.100s %v", tc.path, out, err)
			}
			healthy(t, c)
		})
	}

	c, err := httpdriver.New(httpdriver.Options{URL: ts.URL, HTTPClient: hc, ReadLimit: 4096})
	if err != nil {
		t.Fatal(err)
	}
	limitErr := func(what string) func(error) bool {
		return func(err error) bool { return errors.As(err, &le) && le.What == what && le.Limit == 4096 }
	}
	for _, tc := range []struct {
		name, path string
		want       []string
		why        func(error) bool
	}{
		{"SSE stall past reconnectAfterInactivityMs", "sseStall", []string{"1", "2"},
			func(err error) bool { return errors.Is(err, httpdriver.ErrInactive) }},
		{"SSE malformed event", "sseBad", []string{"1", "2", "3"},
			func(err error) bool { return err != nil }},
		{"SSE event cut mid-way", "sseCut", []string{"1", "2"},
			func(err error) bool { return err != nil }},
		{"SSE event over ReadLimit", "sseHuge", []string{"1", "2"}, limitErr("SSE event")},
		{"SSE line without end over ReadLimit", "sseEndless", []string{"1", "2"}, limitErr("SSE line")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.mu.Lock()
			h.lasts = nil
			h.mu.Unlock()
			var got []string
			var whys []error
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			r := &recorder{
				onData:      func(e event) { got = append(got, e.ID) },
				onReconnect: func(why error) { whys = append(whys, why) },
			}
			c.Subscribe(ctx, tc.path, nil, httpdriver.SubscribeOptions{
				RetryDelay: func(int) time.Duration { return 0 },
			}, r)
			if err := r.end(); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("events %v, want %v (nothing lost or twice)", got, tc.want)
			}
			t.Logf("%s: reconnected for %v", tc.path, whys)
			if len(whys) != 1 || !tc.why(whys[0]) {
				t.Fatalf("reconnects %v", whys)
			}
			h.mu.Lock()
			lasts := h.lasts
			h.mu.Unlock()
			if fmt.Sprint(lasts) != `[ {"lastEventId":"1"}]` {
				t.Fatalf("lastEventId per stream %q, want the resume after 1", lasts)
			}
			healthy(t, c)
		})
	}
	ts.CloseClientConnections()
	check()
}

// The real server behind the chaos proxy drops the connection while a
// batch waits for its reply and after a jsonl reply's head: the calls fail
// with a *core.ClosedError, the client keeps serving, on both adapters.
func TestDropMidResponse(t *testing.T) {
	t.Parallel()
	eachAdapter(t, func(t *testing.T, path string) {
		srv := testserver.Start(t, testserver.Options{})
		proxy, err := chaos.New(strings.TrimPrefix(srv.HTTP, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer proxy.Close()
		for _, stream := range []bool{false, true} {
			hc := &http.Client{Transport: &http.Transport{}}
			c, err := httpdriver.New(httpdriver.Options{URL: "http://" + proxy.Addr() + path, HTTPClient: hc, Stream: stream})
			if err != nil {
				t.Fatal(err)
			}
			srv.Reset(t)
			done := make(chan error, 1)
			go func() {
				_, err := c.Call(context.Background(), true, "slow", []byte(`{"ms":600000}`))
				done <- err
			}()
			// Until the server made the call's context (and, streamed, is about
			// to send the head).
			srv.WaitFor(t, "the slow call", 30*time.Second, func(st testserver.Stats) bool {
				return proxy.Conns() > 0 && len(st.ConnectionParams) > 0
			})
			if stream {
				time.Sleep(100 * time.Millisecond) // let the head pass; the cut is either way a drop
			}
			proxy.Reset()
			var ce *core.ClosedError
			if err := <-done; !errors.As(err, &ce) {
				t.Fatalf("stream %v: %v, want a *core.ClosedError", stream, err)
			}
			out, err := c.Call(context.Background(), true, "echo", []byte(`"after"`))
			if err != nil || string(out) != `"after"` {
				t.Fatalf("stream %v: echo after the drop: %s %v", stream, out, err)
			}
			hc.CloseIdleConnections()
		}
	})
}
