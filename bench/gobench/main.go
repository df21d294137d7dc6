//go:build !js

// Command gobench is the Go half of `make bench` (see bench/run.sh): one
// client kind, one mode, one process, so that its CPU time and memory are
// its own. It prints one JSON line on stdout; bench/run.mjs collects them.
//
//	gobench -kind floor|native -mode main|mem -url ws://127.0.0.1:PORT
//
// kind floor:  a hand-written loop speaking the wire protocol on a bare
//
//	coder/websocket connection (the Go floor);
//
// kind native: the trpcws native client (trpcws.NewClient).
//
// mode main: sequential echo queries, 100 queries in flight, flood
// subscriptions; mode mem: RSS and Go heap growth with N live `events`
// subscriptions. CPU is getrusage(RUSAGE_SELF) user+system.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/trpcws/trpcws"
)

type flood struct{ count, size int }

type config struct {
	kind, mode, url string
	seq, tput       time.Duration
	warm, cold      time.Duration
	inflight        int
	floods          []flood
	subs            int
	serverPid       int
	clkTck          float64
}

// driver is what each client kind provides.
type driver interface {
	query(ctx context.Context) error
	flood(ctx context.Context, f flood) (int, error)
	// liveSubs starts n long-lived `events` subscriptions and returns once
	// each has delivered its first event.
	liveSubs(ctx context.Context, n int) error
	close()
}

func main() {
	var cfg config
	var floods string
	flag.StringVar(&cfg.kind, "kind", "native", "floor | native")
	flag.StringVar(&cfg.mode, "mode", "main", "main | mem")
	flag.StringVar(&cfg.url, "url", "", "ws:// URL of the test server")
	flag.DurationVar(&cfg.seq, "seq", 1500*time.Millisecond, "time spent on sequential queries")
	flag.DurationVar(&cfg.tput, "tput", 1500*time.Millisecond, "time spent on queries in flight")
	flag.DurationVar(&cfg.warm, "warm", 250*time.Millisecond, "warm-up before the in-flight phase")
	flag.DurationVar(&cfg.cold, "cold", 300*time.Millisecond, "sequential queries right after connecting (recorded as cold)")
	flag.IntVar(&cfg.inflight, "inflight", 100, "queries in flight")
	flag.StringVar(&floods, "floods", "40000:0", "flood subscriptions, count:size,...")
	flag.IntVar(&cfg.subs, "subs", 10000, "live subscriptions (mode mem)")
	flag.IntVar(&cfg.serverPid, "server-pid", 0, "the test server's pid, to report its CPU use")
	flag.Float64Var(&cfg.clkTck, "clk-tck", 100, "clock ticks per second of /proc/PID/stat")
	flag.Parse()
	for _, f := range strings.Split(floods, ",") {
		if f == "" {
			continue
		}
		c, s, _ := strings.Cut(f, ":")
		n, err1 := strconv.Atoi(c)
		sz, err2 := strconv.Atoi(s)
		if err1 != nil || err2 != nil {
			fatal(fmt.Errorf("bad -floods %q", floods))
		}
		cfg.floods = append(cfg.floods, flood{n, sz})
	}
	if cfg.url == "" {
		fatal(errors.New("-url is required"))
	}
	out, err := run(cfg)
	if err != nil {
		fatal(err)
	}
	out["kind"] = "go-" + cfg.kind
	out["mode"] = cfg.mode
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "gobench:", err)
	os.Exit(1)
}

func cpuMicros() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e3
}

// serverCPU is the test server's CPU time in µs (from /proc), to tell who
// is the bottleneck; NaN when unknown.
func serverCPU(cfg *config) float64 {
	if cfg.serverPid == 0 {
		return math.NaN()
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(cfg.serverPid) + "/stat")
	if err != nil {
		return math.NaN()
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return math.NaN()
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) * 1e6 / cfg.clkTck
}

// util is busy µs per wall µs; JSON has no NaN, so unknown is -1.
func util(busyMicros float64, wall time.Duration) float64 {
	if math.IsNaN(busyMicros) {
		return -1
	}
	return busyMicros / us(wall)
}

func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func heapBytes() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

func run(cfg config) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	t0 := time.Now()
	var d driver
	var err error
	switch cfg.kind {
	case "floor":
		d, err = newFloor(ctx, cfg.url)
	case "native":
		d, err = newNative(ctx, cfg.url)
	default:
		err = fmt.Errorf("unknown -kind %q", cfg.kind)
	}
	if err != nil {
		return nil, err
	}
	defer d.close()
	// connected and answered once
	if err := d.query(ctx); err != nil {
		return nil, err
	}
	out := map[string]any{"connect_ms": ms(time.Since(t0))}

	if cfg.mode == "mem" {
		deadline := time.Now().Add(cfg.cold)
		for time.Now().Before(deadline) {
			if err := d.query(ctx); err != nil {
				return nil, err
			}
		}
		if _, err := d.flood(ctx, flood{2000, 0}); err != nil {
			return nil, err
		}
		rss0, heap0 := rssBytes(), heapBytes()
		t := time.Now()
		if err := d.liveSubs(ctx, cfg.subs); err != nil {
			return nil, err
		}
		live := time.Since(t)
		heap1 := heapBytes()
		rss1 := rssBytes()
		out["mem"] = map[string]any{
			"subs": cfg.subs, "live_ms": ms(live),
			"rss_delta": rss1 - rss0, "heap_delta": heap1 - heap0,
			"rss_per_sub": float64(rss1-rss0) / float64(cfg.subs),
		}
		return out, nil
	}

	// Sequential: await each query before the next.
	seq := func(dur time.Duration) (int, time.Duration, float64, error) {
		c0, t := cpuMicros(), time.Now()
		n := 0
		for time.Since(t) < dur {
			if err := d.query(ctx); err != nil {
				return 0, 0, 0, err
			}
			n++
		}
		return n, time.Since(t), cpuMicros() - c0, nil
	}
	n, el, cpu, err := seq(cfg.cold)
	if err != nil {
		return nil, err
	}
	out["cold"] = map[string]any{"ops": n, "ms": ms(el), "us_per_op": us(el) / float64(n), "cpu_us_per_op": cpu / float64(n)}
	n, el, cpu, err = seq(cfg.seq)
	if err != nil {
		return nil, err
	}
	out["seq"] = map[string]any{"ops": n, "ms": ms(el), "us_per_op": us(el) / float64(n), "cpu_us_per_op": cpu / float64(n)}

	// cfg.inflight queries in flight at all times until the deadline.
	var tputServer float64
	tput := func(dur time.Duration) (int, time.Duration, float64, error) {
		var ops atomic.Int64
		var firstErr atomic.Value
		s0 := serverCPU(&cfg)
		c0, t := cpuMicros(), time.Now()
		deadline := t.Add(dur)
		var wg sync.WaitGroup
		for range cfg.inflight {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(deadline) {
					if err := d.query(ctx); err != nil {
						firstErr.CompareAndSwap(nil, err)
						return
					}
					ops.Add(1)
				}
			}()
		}
		wg.Wait()
		el := time.Since(t)
		tputServer = serverCPU(&cfg) - s0
		if e, _ := firstErr.Load().(error); e != nil {
			return 0, 0, 0, e
		}
		return int(ops.Load()), el, cpuMicros() - c0, nil
	}
	if _, _, _, err := tput(cfg.warm); err != nil {
		return nil, err
	}
	n, el, cpu, err = tput(cfg.tput)
	if err != nil {
		return nil, err
	}
	out["tput"] = map[string]any{
		"ops": n, "ms": ms(el), "qps": float64(n) / el.Seconds(), "cpu_us_per_op": cpu / float64(n),
		"client_util": util(cpu, el), "server_util": util(tputServer, el),
	}

	var floods []map[string]any
	for _, f := range cfg.floods {
		// a short warm-up flood of the same shape
		if _, err := d.flood(ctx, flood{min(f.count/10, 2000), f.size}); err != nil {
			return nil, err
		}
		s0 := serverCPU(&cfg)
		c0, t := cpuMicros(), time.Now()
		got, err := d.flood(ctx, f)
		if err != nil {
			return nil, err
		}
		el := time.Since(t)
		cpu := cpuMicros() - c0
		server := serverCPU(&cfg) - s0
		if got != f.count {
			return nil, fmt.Errorf("flood %d:%d delivered %d", f.count, f.size, got)
		}
		floods = append(floods, map[string]any{
			"count": f.count, "size": f.size, "ms": ms(el),
			"msgs_per_s": float64(got) / el.Seconds(), "cpu_us_per_msg": cpu / float64(got),
			"client_util": util(cpu, el), "server_util": util(server, el),
		})
	}
	out["floods"] = floods
	return out, nil
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }

// ------------------------------------------------------------ native client

type native struct{ c *trpcws.Client }

func newNative(_ context.Context, url string) (driver, error) {
	c, err := trpcws.NewClient(trpcws.Options{URL: url})
	if err != nil {
		return nil, err
	}
	return &native{c}, nil
}

func (n *native) query(ctx context.Context) error {
	_, err := n.c.Query(ctx, "echo", 1)
	return err
}

func (n *native) flood(ctx context.Context, f flood) (int, error) {
	var got int
	s, err := n.c.Subscribe(ctx, "flood", map[string]int{"count": f.count, "size": f.size}, trpcws.SubscribeOptions{
		OnData: func(trpcws.Event) { got++ },
	})
	if err != nil {
		return 0, err
	}
	select {
	case <-s.Done():
	case <-ctx.Done():
		return got, ctx.Err()
	}
	if err := s.Err(); err != nil && !errors.Is(err, trpcws.ErrSubscriptionEnded) {
		return got, err
	}
	return got, nil
}

func (n *native) liveSubs(ctx context.Context, count int) error {
	var wg sync.WaitGroup
	wg.Add(count)
	input := map[string]int{"intervalMs": 600000}
	for range count {
		var once sync.Once
		_, err := n.c.Subscribe(ctx, "events", input, trpcws.SubscribeOptions{
			OnData:  func(trpcws.Event) { once.Do(wg.Done) },
			OnError: func(error) { once.Do(wg.Done) },
		})
		if err != nil {
			return err
		}
	}
	return waitGroup(ctx, &wg)
}

func (n *native) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = n.c.Close(ctx)
}

func waitGroup(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ------------------------------------------------------------ the floor

// floor speaks the protocol by hand: one reader goroutine hands each
// response to the waiter registered under its id.
type floor struct {
	conn   *websocket.Conn
	nextID atomic.Int64

	mu      sync.Mutex
	waiters map[int64]chan []byte
	subs    map[int64]func(msg *frame)
	err     error
	done    chan struct{}
}

type frame struct {
	ID     *int64 `json:"id"`
	Result *struct {
		Type string `json:"type"`
	} `json:"result"`
	Error json.RawMessage `json:"error"`
}

func newFloor(ctx context.Context, url string) (driver, error) {
	conn, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(1 << 24)
	f := &floor{conn: conn, waiters: map[int64]chan []byte{}, subs: map[int64]func(*frame){}, done: make(chan struct{})}
	go f.read()
	return f, nil
}

func (f *floor) read() {
	defer close(f.done)
	ctx := context.Background()
	for {
		_, data, err := f.conn.Read(ctx)
		if err != nil {
			f.mu.Lock()
			f.err = err
			for id, ch := range f.waiters {
				close(ch)
				delete(f.waiters, id)
			}
			f.mu.Unlock()
			return
		}
		var m frame
		if err := json.Unmarshal(data, &m); err != nil || m.ID == nil {
			continue
		}
		f.mu.Lock()
		ch := f.waiters[*m.ID]
		delete(f.waiters, *m.ID)
		sub := f.subs[*m.ID]
		f.mu.Unlock()
		if ch != nil {
			ch <- data
		} else if sub != nil {
			sub(&m)
		}
	}
}

func (f *floor) query(ctx context.Context) error {
	id := f.nextID.Add(1)
	ch := make(chan []byte, 1)
	f.mu.Lock()
	if f.err != nil {
		f.mu.Unlock()
		return f.err
	}
	f.waiters[id] = ch
	f.mu.Unlock()
	msg := `{"id":` + strconv.FormatInt(id, 10) + `,"method":"query","params":{"input":1,"path":"echo"}}`
	if err := f.conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		return err
	}
	select {
	case data, ok := <-ch:
		if !ok {
			return f.err
		}
		if !strings.Contains(string(data), `"result"`) {
			return fmt.Errorf("query failed: %s", data)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *floor) subscribe(ctx context.Context, path, input string, onMsg func(*frame)) (int64, error) {
	id := f.nextID.Add(1)
	f.mu.Lock()
	f.subs[id] = onMsg
	f.mu.Unlock()
	msg := `{"id":` + strconv.FormatInt(id, 10) + `,"method":"subscription","params":{"input":` + input + `,"path":"` + path + `"}}`
	return id, f.conn.Write(ctx, websocket.MessageText, []byte(msg))
}

func (f *floor) flood(ctx context.Context, fl flood) (int, error) {
	got := 0
	end := make(chan error, 1)
	var id int64
	id, err := f.subscribe(ctx, "flood", fmt.Sprintf(`{"count":%d,"size":%d}`, fl.count, fl.size), func(m *frame) {
		switch {
		case m.Error != nil:
			end <- fmt.Errorf("flood: %s", m.Error)
		case m.Result != nil && m.Result.Type == "data":
			got++
		case m.Result != nil && m.Result.Type == "stopped":
			end <- nil
		}
	})
	if err != nil {
		return 0, err
	}
	defer func() {
		f.mu.Lock()
		delete(f.subs, id)
		f.mu.Unlock()
	}()
	select {
	case err := <-end:
		return got, err
	case <-f.done:
		return got, f.err
	case <-ctx.Done():
		return got, ctx.Err()
	}
}

func (f *floor) liveSubs(ctx context.Context, n int) error {
	var wg sync.WaitGroup
	wg.Add(n)
	for range n {
		first := true
		if _, err := f.subscribe(ctx, "events", `{"intervalMs":600000}`, func(m *frame) {
			if first && (m.Error != nil || (m.Result != nil && m.Result.Type == "data")) {
				first = false
				wg.Done()
			}
		}); err != nil {
			return err
		}
	}
	return waitGroup(ctx, &wg)
}

func (f *floor) close() { _ = f.conn.CloseNow() }
