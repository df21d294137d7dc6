//go:build !js

package trpcws_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trpcws/trpcws"
	"github.com/trpcws/trpcws/internal/chaos"
	"github.com/trpcws/trpcws/internal/testserver"
)

// The network hints (SetOnline, Wake) against the real server. A URLFunc
// stands for the network: it hands out the server's URL, or a closed port
// while the network is "down", so that an attempt fails for certain
// whatever the timing.

// deadURL is a port nothing listens on: a dial to it is refused.
const deadURL = "ws://127.0.0.1:1"

// While the program says the network is down, no attempt is started and an
// attempt that fails is not counted: with MaxAttempts 1 the client does not
// give up during the outage. Back online, attempts count again.
func TestOfflineAttemptsAreNotCounted(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	var target atomic.Value
	target.Store(srv.URL)
	var hold atomic.Pointer[chan struct{}] // set: the next dial waits until it is closed
	j := newJournal()
	c := newClient(t, trpcws.Options{
		URLFunc: func(ctx context.Context) (string, error) {
			j.add("dial")
			if h := hold.Swap(nil); h != nil {
				select {
				case <-*h:
				case <-ctx.Done():
					return "", ctx.Err()
				}
			}
			return target.Load().(string), nil
		},
		RetryDelay:    func(int) time.Duration { return 10 * time.Millisecond },
		Retry:         trpcws.RetryOptions{MaxAttempts: 1},
		Logger:        j.logger(),
		OnStateChange: j.onState,
		OnError:       func(error) {},
	})
	ctx := ctxT(t)
	r := liveEvents(t, ctx, c, 3)

	// The socket is lost. The attempt that follows is held in URLFunc
	// while the network goes down, then fails.
	release := make(chan struct{})
	hold.Store(&release)
	m := j.mark()
	srv.Drop(t)
	j.waitForEntry(t, m, "dial")
	c.SetOnline(false)
	target.Store(deadURL)
	close(release)

	// Counted, it would have made the client give up (MaxAttempts 1).
	// Not counted, the client plans attempt 0 again, and waits.
	j.waitFor(t, "the attempt planned after the failure", m, func(es []entry) bool {
		return count(es, "attempt") >= 2 || count(es, "giveUp") > 0
	})
	es := j.since(m)
	if count(es, "giveUp") > 0 || count(es, "attempt", "attempt", "0") != 2 {
		t.Fatalf("an attempt that failed offline was counted: %v", es)
	}

	// While offline nothing is dialled, though the 10 ms retry delay
	// passes many times over in this wait (it asserts an absence, not a
	// speed).
	m = j.mark()
	time.Sleep(500 * time.Millisecond)
	if n := j.count(m, "dial"); n != 0 {
		t.Errorf("%d attempts dialled while offline", n)
	}
	if st := c.State(); st.State != trpcws.StateConnecting {
		t.Errorf("state while offline: %v %v, want connecting", st.State, st.Err)
	}
	if s := c.Stats(); s.Attempt != 0 {
		t.Errorf("attempt index while offline: %d, want 0", s.Attempt)
	}

	// Online again, with the server still out of reach: the next attempt
	// starts at once and counts, and the client gives up after it, having
	// counted one failed attempt of the two.
	m = j.mark()
	c.SetOnline(true)
	r.waitFor(t, "the subscription's end", func(r *recorder) bool { return r.err != nil })
	r.mu.Lock()
	err := r.err
	r.mu.Unlock()
	var g *trpcws.GaveUpError
	if !errors.As(err, &g) || g.Attempts != 1 {
		t.Fatalf("subscription ended with %v, want a *GaveUpError after 1 attempt", err)
	}
	if n := j.count(m, "dial"); n != 1 {
		t.Errorf("%d attempts dialled back online before giving up, want 1", n)
	}

	// The network is back: the next call connects.
	target.Store(srv.URL)
	if res, err := c.Query(ctx, "echo", 1); err != nil || string(res) != "1" {
		t.Errorf("after the outage: %s %v", res, err)
	}
}

// A client waiting out a long retry delay (an hour) attempts at once when
// told the network is up, or that the program woke, and its tracked
// subscription resumes without a gap.
func TestOnlineAndWakeCutBackoffShort(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	var target atomic.Value
	target.Store(srv.URL)
	j := newJournal()
	c := newClient(t, trpcws.Options{
		URLFunc: func(context.Context) (string, error) { return target.Load().(string), nil },
		RetryDelay: func(attempt int) time.Duration {
			if attempt == 0 {
				return 0
			}
			return time.Hour
		},
		Logger:  j.logger(),
		OnError: func(error) {},
	})
	r := newRecorder()
	if _, err := c.Subscribe(ctxT(t), "events", map[string]int{"intervalMs": 5}, r.opts()); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, "events", func(r *recorder) bool { return len(r.data) >= 3 })

	for i, hint := range []struct {
		name string
		call func()
	}{
		{"SetOnline(true)", func() { c.SetOnline(true) }}, // never said offline: the hint alone
		{"Wake", c.Wake},
	} {
		// The socket is lost while the network is down: attempt 0 fails
		// at once, attempt 1 waits an hour.
		target.Store(deadURL)
		m := j.mark()
		srv.Drop(t)
		j.waitForEntry(t, m, "attempt", "attempt", "1", "delay", "1h0m0s")
		target.Store(srv.URL)
		r.mu.Lock()
		n := len(r.data)
		r.mu.Unlock()
		m = j.mark()
		hint.call()
		r.waitFor(t, "events after "+hint.name, func(r *recorder) bool { return len(r.data) >= n+5 })
		if j.count(m, "attempt", "attempt", "1", "delay", "0s") != 1 {
			t.Errorf("%s: attempt 1 did not start at once: %v", hint.name, j.since(m))
		}
		if s := c.Stats(); s.SocketsOpened != int64(i+2) {
			t.Errorf("%s: %d sockets opened, want %d", hint.name, s.SocketsOpened, i+2)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	checkGapless(t, r.trackedIDs())
	if r.started != 3 { // once per socket, as the reference client does
		t.Errorf("started %d times, want 3", r.started)
	}
}

// Wake checks an open socket with a PING at once. Answered, nothing else
// happens; on a socket the network no longer carries (a proxy that stalls
// every byte), the missing PONG drops it and the client reconnects, where
// the keep-alive interval (an hour) alone would have waited.
func TestWakeFindsDeadSocket(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	proxy, err := chaos.New(strings.TrimPrefix(srv.URL, "ws://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	j := newJournal()
	c := newClient(t, trpcws.Options{
		URL:           "ws://" + proxy.Addr(),
		KeepAlive:     trpcws.KeepAliveOptions{Enabled: true, Interval: time.Hour, PongTimeout: 300 * time.Millisecond},
		RetryDelay:    fastRetry,
		Logger:        j.logger(),
		OnStateChange: j.onState,
		OnError:       func(error) {},
	})
	ctx := ctxT(t)
	r := liveEvents(t, ctx, c, 3)

	// A live socket: the PING is answered and the socket stays.
	c.Wake()
	srv.WaitFor(t, "the PING Wake sent", 20*time.Second, func(st testserver.Stats) bool { return st.PongsSent >= 1 })
	// The server answers in order: once this call is answered, the PONG
	// before it has been read.
	if _, err := c.Query(ctx, "echo", 1); err != nil {
		t.Fatal(err)
	}
	if s := c.Stats(); s.SocketsOpened != 1 {
		t.Fatalf("%d sockets opened after a PING was answered, want 1", s.SocketsOpened)
	}

	// The network stops carrying the socket, and nobody says so.
	m := j.mark()
	proxy.Stall(time.Hour)
	c.Wake()
	j.waitFor(t, "the socket dropped for its missing PONG", m, func(es []entry) bool {
		for _, e := range es {
			if e.is("onState", "state", "connecting") && strings.Contains(e.attr["err"], "PONG") {
				return true
			}
		}
		return false
	})
	proxy.Stall(0) // the network is back
	r.mu.Lock()
	n := len(r.data)
	r.mu.Unlock()
	r.waitFor(t, "events on the new socket", func(r *recorder) bool { return len(r.data) >= n+5 })
	if s := c.Stats(); s.SocketsOpened != 2 {
		t.Errorf("%d sockets opened, want 2", s.SocketsOpened)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	checkGapless(t, r.trackedIDs())
}

// Once Close has begun the hints do nothing: nothing is dialled, the
// state stays idle.
func TestNetworkHintsAfterClose(t *testing.T) {
	t.Parallel()
	j := newJournal()
	c := newClient(t, trpcws.Options{
		URLFunc:   func(context.Context) (string, error) { j.add("dial"); return shared.URL, nil },
		KeepAlive: trpcws.KeepAliveOptions{Enabled: true},
		Logger:    j.logger(),
	})
	ctx := ctxT(t)
	if _, err := c.Query(ctx, "echo", 1); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	m := j.mark()
	c.SetOnline(false)
	c.SetOnline(true)
	c.Wake()
	c.Reconnect()
	c.Suspend()
	c.Resume()
	if es := j.since(m); len(es) != 0 {
		t.Errorf("the hints did something after Close: %v", es)
	}
	if st := c.State(); st.State != trpcws.StateIdle {
		t.Errorf("state after Close and the hints: %v", st.State)
	}
}

// Suspend closes the socket with 1000 at once and holds the client off the
// network: a call made meanwhile waits; Resume opens a new socket, the call
// is answered and the tracked subscription resumes after its last event,
// gapless.
func TestSuspendResume(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := newClient(t, trpcws.Options{URL: srv.URL, OnError: func(error) {}})
	ctx := ctxT(t)
	r := liveEvents(t, ctx, c, 5)

	c.Suspend()
	if st := c.State(); st.State != trpcws.StateIdle {
		t.Fatalf("state after Suspend: %v", st.State)
	}
	srv.WaitFor(t, "the socket closed with 1000", 20*time.Second, func(st testserver.Stats) bool {
		return st.Connections == 0 && len(st.ConnectionLog) == 1 && st.ConnectionLog[0].CloseCode == 1000
	})
	r.mu.Lock()
	n := len(r.data)
	last := r.data[n-1].ID
	r.mu.Unlock()
	answered := make(chan error, 1)
	go func() {
		_, err := c.Query(ctx, "echo", "while suspended")
		answered <- err
	}()
	// An absence, not a speed: nothing is dialled while suspended.
	time.Sleep(200 * time.Millisecond)
	select {
	case err := <-answered:
		t.Fatalf("a call made while suspended ended: %v", err)
	default:
	}
	if st := srv.Stats(t); st.TotalConnections != 1 {
		t.Fatalf("%d sockets while suspended, want 1", st.TotalConnections)
	}

	c.Resume()
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, "events after Resume", func(r *recorder) bool { return len(r.data) >= n+10 })
	st := srv.Stats(t)
	if st.TotalConnections != 2 {
		t.Errorf("%d sockets, want 2", st.TotalConnections)
	}
	if s := st.SubscriptionStarts; len(s) != 2 || s[1].LastEventID != last {
		t.Errorf("subscription starts %+v, want the second after %s", s, last)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	checkGapless(t, r.trackedIDs())
}
