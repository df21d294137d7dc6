//go:build !js

// Command httpbench is the HTTP part of `make bench` (bench/run.sh): the
// trpcws client over HTTP (httpBatchLink, httpBatchStreamLink, SSE)
// against the floor, Go's net/http calling the same real @trpc/server by
// hand, in interleaved rounds in one process. It prints a Markdown table
// with medians and ratios and writes artifacts/bench-http.{md,json}.
//
//	go run ./bench/httpbench [-rounds 5] [-dur 1s] [-events 20000]
//
// Rows: sequential echo queries (µs/query); 100 queries in flight
// (queries/s), the floor both as 100 hand-made single requests at a time
// and as one hand-made batch of 100 per request; the flood subscription
// over SSE (events/s, 0 B and 1 KiB payloads), the floor a bare SSE reader
// (bufio lines, no tRPC interpretation).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trpcws/trpcws"
	"github.com/trpcws/trpcws/internal/testserver"
)

var (
	rounds   = flag.Int("rounds", 5, "interleaved rounds per measurement")
	dur      = flag.Duration("dur", time.Second, "length of one timed run")
	events   = flag.Int("events", 20000, "events per flood subscription")
	inflight = flag.Int("inflight", 100, "queries in flight")
)

type measure struct {
	name, unit string
	higher     bool // higher is better
	floor      string
	// runs maps a kind to its function, returning the value of one run.
	kinds []kind
}

type kind struct {
	name string
	run  func(ctx context.Context) (float64, error)
}

func main() {
	flag.Parse()
	if os.Getenv("BENCH_QUICK") == "1" {
		*rounds, *dur, *events = 3, 300*time.Millisecond, 5000
	}
	ctx := context.Background()
	srv, stop, err := testserver.Run(ctx, testserver.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer stop()
	base := srv.HTTP + "/trpc"
	hc := &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}

	newClient := func(stream bool) *trpcws.Client {
		c, err := trpcws.NewClient(trpcws.Options{URL: base, HTTPClient: hc, HTTPBatchStream: stream})
		if err != nil {
			log.Fatal(err)
		}
		return c
	}
	batch, stream := newClient(false), newClient(true)
	defer batch.Close(ctx)
	defer stream.Close(ctx)
	in := map[string]int{"n": 1}
	query := func(c *trpcws.Client) func(context.Context) error {
		return func(ctx context.Context) error { _, err := c.Query(ctx, "echo", in); return err }
	}
	floorOne := func(ctx context.Context) error { return floorBatch(ctx, hc, base, 1, false) }
	floorStream := func(ctx context.Context) error { return floorBatch(ctx, hc, base, 1, true) }

	ms := []measure{
		{name: "sequential echo", unit: "µs/query", floor: "net/http by hand", kinds: []kind{
			{"net/http by hand", seq(floorOne)},
			{"trpcws httpBatchLink", seq(query(batch))},
			{"net/http by hand, jsonl", seq(floorStream)},
			{"trpcws httpBatchStreamLink", seq(query(stream))},
		}},
		{name: strconv.Itoa(*inflight) + " in flight", unit: "queries/s", higher: true, floor: "net/http by hand, 1 call per request", kinds: []kind{
			{"net/http by hand, 1 call per request", parallel(floorOne, *inflight, 1)},
			{"net/http by hand, " + strconv.Itoa(*inflight) + " calls per request", parallel(func(ctx context.Context) error {
				return floorBatch(ctx, hc, base, *inflight, false)
			}, 1, *inflight)},
			{"trpcws httpBatchLink", parallel(query(batch), *inflight, 1)},
			{"trpcws httpBatchStreamLink", parallel(query(stream), *inflight, 1)},
		}},
	}
	for _, size := range []int{0, 1024} {
		ms = append(ms, measure{name: fmt.Sprintf("SSE flood, %d B", size), unit: "events/s", higher: true, floor: "bare SSE reader", kinds: []kind{
			{"bare SSE reader", func(ctx context.Context) (float64, error) { return floorSSE(ctx, hc, base, *events, size) }},
			{"trpcws Events (SSE)", func(ctx context.Context) (float64, error) { return clientSSE(ctx, batch, *events, size) }},
		}})
	}

	var md strings.Builder
	fmt.Fprintf(&md, "| measure | kind | median | vs floor |\n|---|---|---|---|\n")
	out := map[string]map[string][]float64{}
	for _, m := range ms {
		vals := map[string][]float64{}
		for r := 0; r < *rounds; r++ {
			for _, k := range m.kinds {
				v, err := k.run(ctx)
				if err != nil {
					log.Fatalf("%s / %s: %v", m.name, k.name, err)
				}
				vals[k.name] = append(vals[k.name], v)
			}
		}
		out[m.name] = vals
		floor := median(vals[m.floor])
		for _, k := range m.kinds {
			v := median(vals[k.name])
			ratio := v / floor // as measured: >1 slower for µs, faster for /s
			fmt.Fprintf(&md, "| %s (%s) | %s | %.1f | %.2f× |\n", m.name, m.unit, k.name, v, ratio)
		}
	}
	fmt.Print(md.String())
	fmt.Println("\nvs floor: the kind's median over the floor's (µs: above 1 is slower; per second: below 1 is slower).")
	if err := os.MkdirAll("artifacts", 0o755); err == nil {
		os.WriteFile(filepath.Join("artifacts", "bench-http.md"), []byte(md.String()), 0o644)
		if b, err := json.MarshalIndent(out, "", " "); err == nil {
			os.WriteFile(filepath.Join("artifacts", "bench-http.json"), b, 0o644)
		}
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// seq runs f one call at a time for *dur: µs per call.
func seq(f func(context.Context) error) func(context.Context) (float64, error) {
	return func(ctx context.Context) (float64, error) {
		n := 0
		start := time.Now()
		for time.Since(start) < *dur {
			if err := f(ctx); err != nil {
				return 0, err
			}
			n++
		}
		return float64(time.Since(start).Microseconds()) / float64(n), nil
	}
}

// parallel runs f on workers goroutines for *dur, each call counting
// per calls: calls per second.
func parallel(f func(context.Context) error, workers, per int) func(context.Context) (float64, error) {
	return func(ctx context.Context) (float64, error) {
		var n atomic.Int64
		var first error
		var once sync.Once
		var wg sync.WaitGroup
		start := time.Now()
		for range workers {
			wg.Go(func() {
				for time.Since(start) < *dur {
					if err := f(ctx); err != nil {
						once.Do(func() { first = err })
						return
					}
					n.Add(int64(per))
				}
			})
		}
		wg.Wait()
		return float64(n.Load()) / time.Since(start).Seconds(), first
	}
}

// floorBatch is httpBatchLink's GET written by hand: n echo calls in one
// request, the array decoded and checked. With jsonl it asks for
// httpBatchStreamLink's response and checks only that the body ends with
// the call's value (the server's streaming cost, without decoding).
func floorBatch(ctx context.Context, hc *http.Client, base string, n int, jsonl bool) error {
	paths := make([]string, n)
	inputs := make(map[string]json.RawMessage, n)
	for i := range n {
		paths[i] = "echo"
		inputs[strconv.Itoa(i)] = json.RawMessage(`{"n":1}`)
	}
	in, _ := json.Marshal(inputs)
	u := base + "/" + strings.Join(paths, ",") + "?batch=1&input=" + url.QueryEscape(string(in))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	if jsonl {
		req.Header.Set("trpc-accept", "application/jsonl")
	}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if jsonl {
		b, err := io.ReadAll(res.Body)
		if err != nil {
			return err
		}
		if !bytes.HasSuffix(b, []byte(`[[{"n":1}]]]`+"\n")) {
			return errors.New("floor: unexpected jsonl reply " + string(b))
		}
		return nil
	}
	var out []struct {
		Result struct {
			Data json.RawMessage `json:"data"`
		} `json:"result"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return err
	}
	if len(out) != n || !bytes.Equal(out[0].Result.Data, []byte(`{"n":1}`)) {
		return errors.New("floor: unexpected reply")
	}
	return nil
}

func floodInput(count, size int) string {
	return fmt.Sprintf(`{"count":%d,"size":%d}`, count, size)
}

// floorSSE reads the flood subscription's event stream with bufio, counting
// data lines until the server's return event: events per second.
func floorSSE(ctx context.Context, hc *http.Client, base string, count, size int) (float64, error) {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/flood?input="+url.QueryEscape(floodInput(count, size)), nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "text/event-stream")
	res, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n, event := 0, ""
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0:
			event = ""
		case bytes.HasPrefix(line, []byte("event:")):
			event = strings.TrimSpace(string(line[6:]))
			if event == "return" {
				if n != count {
					return 0, fmt.Errorf("floor: %d events, want %d", n, count)
				}
				return float64(n) / time.Since(start).Seconds(), nil
			}
		case bytes.HasPrefix(line, []byte("data:")) && event == "":
			n++
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, io.ErrUnexpectedEOF
}

// clientSSE runs the flood subscription through trpcws Events over SSE.
func clientSSE(ctx context.Context, c *trpcws.Client, count, size int) (float64, error) {
	start := time.Now()
	n := 0
	for _, err := range c.Events(ctx, "flood", json.RawMessage(floodInput(count, size)), "", trpcws.SubscribeOptions{BufferSize: -1}) {
		if err != nil {
			return 0, err
		}
		n++
	}
	if n != count {
		return 0, fmt.Errorf("client: %d events, want %d", n, count)
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
