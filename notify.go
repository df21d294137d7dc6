package trpcws

import (
	"strconv"
	"sync"
)

// maxNotes bounds the client-wide callbacks waiting to run. Only OnError
// reports are ever dropped (a hostile server can send malformed frames
// faster than OnError handles them); the rest are rare: one per socket
// opened or closed, one per state change.
const maxNotes = 256

type noteKind uint8

const (
	noteOpen noteKind = iota
	noteClose
	noteError
	noteState
)

type note struct {
	kind  noteKind
	code  int
	err   error
	state ConnectionState
}

// notifier runs the client-wide callbacks (OnOpen, OnClose, OnError,
// OnStateChange) one at a time, in order, on a goroutine that exists only
// while some wait. So a callback never runs under a lock, never on the
// goroutine that reads a socket (it may wait for an answer from the
// server), and never on the caller's goroutine.
type notifier struct {
	c       *Client
	mu      sync.Mutex
	queue   []note
	running bool
	dropped int // OnError reports dropped because the queue was full
}

// add queues n; it never blocks and never calls user code.
func (q *notifier) add(n note) {
	q.mu.Lock()
	if len(q.queue) >= maxNotes && n.kind == noteError {
		q.dropped++
		q.mu.Unlock()
		return
	}
	q.queue = append(q.queue, n)
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		q.c.goLive(q.run)
	}
}

func (q *notifier) take(buf []note) ([]note, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	buf = append(buf[:0], q.queue...)
	clear(q.queue)
	q.queue = q.queue[:0]
	dropped := q.dropped
	q.dropped = 0
	if len(buf) == 0 && dropped == 0 {
		q.running = false
	}
	return buf, dropped
}

func (q *notifier) run() {
	c := q.c
	o := &c.opts
	var buf []note
	for {
		var dropped int
		buf, dropped = q.take(buf)
		if len(buf) == 0 && dropped == 0 {
			return
		}
		for _, n := range buf {
			switch n.kind {
			case noteOpen:
				c.guard("OnOpen", o.OnOpen)
			case noteClose:
				c.guard("OnClose", func() { o.OnClose(n.code) })
			case noteError:
				c.guard("OnError", func() { o.OnError(n.err) })
			case noteState:
				c.guard("OnStateChange", func() { o.OnStateChange(n.state) })
			}
		}
		if dropped > 0 {
			err := &DroppedError{Count: dropped}
			c.guard("OnError", func() { o.OnError(err) })
		}
	}
}

// DroppedError reaches Options.OnError when errors came faster than
// OnError returned and some were dropped to bound memory (for example a
// server flooding the client with malformed frames).
type DroppedError struct {
	// Count is the number of errors dropped.
	Count int
}

func (e *DroppedError) Error() string {
	return "trpcws: " + strconv.Itoa(e.Count) + " errors dropped while OnError was busy"
}
