package trpcws

import "github.com/trpcws/trpcws/core"

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
