package httpdriver_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/trpcws/trpcws/core"
	"github.com/trpcws/trpcws/httpdriver"
)

// event is one Sink.Event.
type event struct {
	Data    json.RawMessage
	ID      string
	Tracked bool
}

// errCompletedClosed is what recorder.end reports for Complete(true).
var errCompletedClosed = errors.New("completed with closed=true")

// recorder is a Sink for the tests: it calls onData for every event and
// onReconnect for every State(StateConnecting, why) after the first, on
// the driver's goroutine, and checks the order Subscribe promises.
type recorder struct {
	onData      func(event)
	onReconnect func(why error)

	mu      sync.Mutex
	calls   int
	pending bool // the last State was StatePending
	ended   bool
	err     error // how it ended
	broken  error // the first break of the order
}

var _ httpdriver.Sink = (*recorder)(nil)

func (r *recorder) next(what string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.ended && r.broken == nil {
		r.broken = fmt.Errorf("%s after the end", what)
	}
}

func (r *recorder) breakOrder(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.broken == nil {
		r.broken = err
	}
}

func (r *recorder) State(st core.State, err error) {
	r.next("State")
	r.mu.Lock()
	first := r.calls == 1
	r.pending = st == core.StatePending
	r.mu.Unlock()
	switch {
	case first && (st != core.StateConnecting || err != nil):
		r.breakOrder(fmt.Errorf("first State(%v, %v), want connecting, nil", st, err))
	case first:
	case st == core.StateConnecting:
		var ce *core.ClosedError
		if !errors.As(err, &ce) {
			r.breakOrder(fmt.Errorf("reconnect State with %v, want a *core.ClosedError", err))
			return
		}
		if r.onReconnect != nil {
			r.onReconnect(ce.Cause)
		}
	}
}

func (r *recorder) Started() {
	r.next("Started")
	r.mu.Lock()
	pending := r.pending
	r.mu.Unlock()
	if !pending {
		r.breakOrder(errors.New("Started without State(StatePending) before it"))
	}
}

func (r *recorder) Event(data json.RawMessage, id string, tracked bool) {
	r.next("Event")
	if r.onData != nil {
		r.onData(event{Data: data, ID: id, Tracked: tracked})
	}
}

func (r *recorder) Error(err error) {
	r.next("Error")
	r.mu.Lock()
	r.ended, r.err = true, err
	r.mu.Unlock()
}

func (r *recorder) Complete(closed bool) {
	r.next("Complete")
	r.mu.Lock()
	r.ended = true
	if closed {
		r.err = errCompletedClosed
	}
	r.mu.Unlock()
}

// end returns how the subscription ended: nil for Complete(false),
// errCompletedClosed for Complete(true), Error's error; or what broke the
// order.
func (r *recorder) end() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.broken != nil:
		return fmt.Errorf("sink order: %w", r.broken)
	case !r.ended:
		return errors.New("Subscribe returned before Error or Complete")
	}
	return r.err
}
