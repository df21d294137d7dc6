package trpcws

import (
	"time"

	"github.com/trpcws/trpcws/core"
)

// LazyOptions configures lazy mode.
type LazyOptions struct {
	// Enabled opens the socket on the first request instead of at once.
	Enabled bool
	// CloseAfter closes the socket this long after the last activity, when
	// nothing is queued or in flight. After a lost socket, a lazy client
	// reconnects only if subscriptions are live.
	CloseAfter time.Duration
}

// KeepAliveOptions configures keep-alive pings.
type KeepAliveOptions struct {
	// Enabled turns keep-alive on. The native driver then also gives up a
	// WebSocket handshake that has not finished after Interval +
	// PongTimeout (at least 10 s), so a half-open network cannot hold the
	// client in "connecting" for ever.
	Enabled bool
	// Interval is how long the server may stay silent before the client
	// sends PING; 0 means 5 s.
	Interval time.Duration
	// PongTimeout is how long to wait for PONG before the socket is
	// dropped and the client reconnects; 0 means 1 s.
	PongTimeout time.Duration
}

// ExponentialBackoff is the default RetryDelay, the reference client's: 0
// for the first attempt, then 2 s, 4 s, 8 s, 16 s and 30 s from then on.
func ExponentialBackoff(attempt int) time.Duration {
	return time.Duration(core.ExponentialBackoff(attempt)) * time.Millisecond
}

// ConnectionState is the state of the client's connection, as the
// reference client's connectionState observable reports it.
type ConnectionState struct {
	// State is StateIdle, StateConnecting or StatePending (connected).
	State State
	// Err is why the client is (re)connecting, when it is: a *ClosedError.
	Err error
}

// State is a connection state.
type State = core.State

// The connection states; StatePending means connected ("pending" is tRPC's name).
const (
	StateIdle       = core.StateIdle
	StateConnecting = core.StateConnecting
	StatePending    = core.StatePending
)
