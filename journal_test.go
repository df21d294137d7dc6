package trpcws_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trpcws/trpcws"
)

// journal records what a client reports, in order: its Logger's debug
// events (an attempt with its delay, an open, a close, a give-up…), its
// state changes and the test's own marks. Tests wait on it for an event
// instead of sleeping.
type journal struct {
	mu      sync.Mutex
	entries []entry
	changed chan struct{}
}

// entry is one event: its name ("attempt", "state", …) and its attributes
// as text ("attempt" → "1", "delay" → "1h0m0s", "state" → "connecting").
type entry struct {
	name string
	attr map[string]string
}

func (e entry) String() string {
	var b strings.Builder
	b.WriteString(e.name)
	for k, v := range e.attr {
		fmt.Fprintf(&b, " %s=%q", k, v)
	}
	return b.String()
}

func newJournal() *journal { return &journal{changed: make(chan struct{}, 1)} }

func (j *journal) add(name string, kv ...string) {
	e := entry{name: name, attr: make(map[string]string)}
	for i := 0; i+1 < len(kv); i += 2 {
		e.attr[kv[i]] = kv[i+1]
	}
	j.mu.Lock()
	j.entries = append(j.entries, e)
	j.mu.Unlock()
	select {
	case j.changed <- struct{}{}:
	default:
	}
}

// logger is an Options.Logger that writes to the journal.
func (j *journal) logger() *slog.Logger { return slog.New(journalHandler{j}) }

// onState is an Options.OnStateChange that writes to the journal.
func (j *journal) onState(s trpcws.ConnectionState) {
	err := ""
	if s.Err != nil {
		err = s.Err.Error()
	}
	j.add("onState", "state", s.State.String(), "err", err)
}

// mark is the index of the next entry, to look only at what follows.
func (j *journal) mark() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.entries)
}

// since returns the entries from index from on.
func (j *journal) since(from int) []entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]entry(nil), j.entries[from:]...)
}

// count counts the entries from index from on named name whose attributes
// include every key-value pair of kv.
func (j *journal) count(from int, name string, kv ...string) int {
	return count(j.since(from), name, kv...)
}

// count counts the entries of es named name with the attributes kv.
func count(es []entry, name string, kv ...string) int {
	n := 0
	for _, e := range es {
		if e.is(name, kv...) {
			n++
		}
	}
	return n
}

func (e entry) is(name string, kv ...string) bool {
	if e.name != name {
		return false
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if e.attr[kv[i]] != kv[i+1] {
			return false
		}
	}
	return true
}

// waitFor waits (generously) until cond holds for the entries from index
// from on, and fails the test with the journal otherwise.
func (j *journal) waitFor(t *testing.T, what string, from int, cond func([]entry) bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		es := j.since(from)
		if cond(es) {
			return
		}
		select {
		case <-j.changed:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; the journal from there: %v", what, es)
		}
	}
}

// waitForEntry waits for an entry named name with the attributes kv,
// from index from on.
func (j *journal) waitForEntry(t *testing.T, from int, name string, kv ...string) {
	t.Helper()
	j.waitFor(t, fmt.Sprintf("%s %v", name, kv), from, func(es []entry) bool {
		for _, e := range es {
			if e.is(name, kv...) {
				return true
			}
		}
		return false
	})
}

type journalHandler struct{ j *journal }

func (h journalHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h journalHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h journalHandler) WithGroup(string) slog.Handler            { return h }
func (h journalHandler) Handle(_ context.Context, r slog.Record) error {
	kv := make([]string, 0, 2*r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		kv = append(kv, a.Key, a.Value.String())
		return true
	})
	h.j.add(strings.TrimPrefix(r.Message, "trpcws: "), kv...)
	return nil
}
