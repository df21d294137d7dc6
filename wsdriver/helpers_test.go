package wsdriver_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trpcws/trpcws/core"
	"github.com/trpcws/trpcws/internal/testserver"
	"github.com/trpcws/trpcws/wsdriver"
)

// errClosed is the tests' Options.ErrClosed.
var errClosed = errors.New("wsdriver_test: closed")

// wait bounds every wait for the server or the client, so that a failure
// fails the test instead of hanging the suite; nothing is timed.
const wait = 60 * time.Second

// driver is a wsdriver.Client under test with hooks that record what they
// are told. Every hook calls back into the client (State, Stats): run
// under the driver's lock, it would deadlock.
type driver struct {
	*wsdriver.Client
	t   *testing.T
	srv *testserver.Server

	live sync.WaitGroup // the goroutines started with Options.Go
	self atomic.Pointer[wsdriver.Client]

	mu      sync.Mutex
	opens   int
	closes  []int
	errs    []error
	states  []core.State
	retries []int // OutRetry attempts asked
}

// probe calls into the client from a hook or a sink, as a user's callback
// might: it proves the caller does not hold the driver's lock.
func (d *driver) probe() {
	if c := d.self.Load(); c != nil {
		c.State()
		c.Stats()
	}
}

// start starts a test server and a driver for it (newDriver).
func start(t *testing.T, cfg core.Config, edit func(*driver, *wsdriver.Options)) *driver {
	t.Helper()
	return newDriver(t, testserver.Start(t, testserver.Options{}), cfg, edit)
}

// newDriver returns a driver for srv with cfg; edit, when not nil, changes
// the options first. At cleanup the driver is closed and every goroutine
// it started through Options.Go must have returned.
func newDriver(t *testing.T, srv *testserver.Server, cfg core.Config, edit func(*driver, *wsdriver.Options)) *driver {
	t.Helper()
	d := &driver{t: t, srv: srv}
	opts := wsdriver.Options{
		Config:    cfg,
		URL:       d.srv.URL,
		ErrClosed: errClosed,
		Go: func(fn func()) {
			d.live.Add(1)
			go func() {
				defer d.live.Done()
				fn()
			}()
		},
		OnOpen: func() {
			d.probe()
			d.mu.Lock()
			d.opens++
			d.mu.Unlock()
		},
		OnClose: func(code int) {
			d.probe()
			d.mu.Lock()
			d.closes = append(d.closes, code)
			d.mu.Unlock()
		},
		OnError: func(err error) {
			d.probe()
			d.mu.Lock()
			d.errs = append(d.errs, err)
			d.mu.Unlock()
		},
		Note: func(o core.Output) {
			d.probe()
			if o.Kind == core.OutState {
				d.mu.Lock()
				d.states = append(d.states, o.State)
				d.mu.Unlock()
			}
		},
		Retry: func(o core.Output, _ string) core.RetryAnswer {
			d.probe()
			d.mu.Lock()
			d.retries = append(d.retries, o.Attempt)
			d.mu.Unlock()
			return core.RetryAnswer{Attempt: o.Attempt, DelayMs: 20}
		},
		RefreshAuth: func(o core.Output) { d.probe() },
	}
	if edit != nil {
		edit(d, &opts)
	}
	d.Client = wsdriver.New(opts)
	d.self.Store(d.Client)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		d.Close(ctx)
		d.noLeak()
	})
	return d
}

// noLeak fails the test unless every goroutine the driver started through
// Options.Go has returned (the driver has been closed).
func (d *driver) noLeak() {
	d.t.Helper()
	done := make(chan struct{})
	go func() {
		d.live.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(wait):
		buf := make([]byte, 1<<20)
		d.t.Fatalf("goroutines started with Options.Go still running after Close:\n%s", buf[:runtime.Stack(buf, true)])
	}
}

// waitOpen waits until the driver has a connected socket.
func (d *driver) waitOpen() {
	d.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		if st, _ := d.State(); st == core.StatePending {
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatal("the driver never connected")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// entry is one call of a sink's methods.
type entry struct {
	kind    string // "state", "started", "event", "error", "complete"
	state   core.State
	err     error
	data    string
	id      string
	tracked bool
	closed  bool
}

func (e entry) String() string {
	switch e.kind {
	case "state":
		return fmt.Sprintf("state(%v,%v)", e.state, e.err)
	case "event":
		return "event(" + e.id + ":" + e.data + ")"
	case "error":
		return fmt.Sprintf("error(%v)", e.err)
	case "complete":
		return fmt.Sprintf("complete(%v)", e.closed)
	}
	return e.kind
}

// sink records what a subscription delivers. Every method but the State
// that Subscribe calls under the driver's lock probes the client, and
// onEvent, when set, runs in Event (a user's sink that only queues would
// do less).
type sink struct {
	d       *driver
	onEvent func(e entry)

	mu      sync.Mutex
	log     []entry
	subbing bool          // inside Subscribe: State is called under the lock
	changed chan struct{} // pinged on every entry
}

var _ wsdriver.Sink = (*sink)(nil)

func newSink(d *driver) *sink { return &sink{d: d, changed: make(chan struct{}, 1)} }

func (s *sink) add(e entry) {
	s.mu.Lock()
	s.log = append(s.log, e)
	subbing := s.subbing
	s.mu.Unlock()
	if !subbing {
		s.d.probe()
	}
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

func (s *sink) State(st core.State, err error) { s.add(entry{kind: "state", state: st, err: err}) }
func (s *sink) Started()                       { s.add(entry{kind: "started"}) }
func (s *sink) Event(data json.RawMessage, id string, tracked bool) {
	e := entry{kind: "event", data: string(data), id: id, tracked: tracked}
	s.add(e)
	if s.onEvent != nil {
		s.onEvent(e)
	}
}
func (s *sink) Error(err error)      { s.add(entry{kind: "error", err: err}) }
func (s *sink) Complete(closed bool) { s.add(entry{kind: "complete", closed: closed}) }

// subscribe starts a subscription delivering to s and returns its id.
func (s *sink) subscribe(ctx context.Context, path, input string) (int64, error) {
	s.mu.Lock()
	s.subbing = true
	s.mu.Unlock()
	call := core.Call{Method: core.Subscription, Path: path}
	if input != "" {
		call.Input = []byte(input)
	}
	id, err := s.d.Subscribe(ctx, call, s)
	s.mu.Lock()
	s.subbing = false
	s.mu.Unlock()
	return id, err
}

// entries returns a copy of the log.
func (s *sink) entries() []entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]entry(nil), s.log...)
}

// waitFor waits until cond holds for the log, and returns the log.
func (s *sink) waitFor(t *testing.T, what string, cond func([]entry) bool) []entry {
	t.Helper()
	timeout := time.After(wait)
	for {
		log := s.entries()
		if cond(log) {
			return log
		}
		select {
		case <-s.changed:
		case <-timeout:
			t.Fatalf("%s: never; the sink got %v", what, log)
		}
	}
}

// ended reports whether the log ends the subscription.
func ended(log []entry) bool {
	for _, e := range log {
		if e.kind == "error" || e.kind == "complete" {
			return true
		}
	}
	return false
}

// checkOrder fails unless log keeps the Sink's order: State first, nothing
// after the one Error or Complete, an event only once started.
func checkOrder(t *testing.T, log []entry) {
	t.Helper()
	if len(log) == 0 || log[0].kind != "state" {
		t.Fatalf("the first call is not State: %v", log)
	}
	started := false
	for i, e := range log {
		switch e.kind {
		case "started":
			started = true
		case "event":
			if !started {
				t.Fatalf("an event before Started: %v", log)
			}
		case "error", "complete":
			if i != len(log)-1 {
				t.Fatalf("calls after the end: %v", log)
			}
		}
	}
}

// ids returns the tracked ids of the events in log, in order.
func ids(log []entry) []string {
	var out []string
	for _, e := range log {
		if e.kind == "event" {
			out = append(out, e.id)
		}
	}
	return out
}

func kinds(log []entry) string {
	var b strings.Builder
	for i, e := range log {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(e.String())
	}
	return b.String()
}
