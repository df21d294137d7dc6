package core

// State is the connection state, as the reference client's connectionState
// observable reports it.
type State uint8

// The connection states.
const (
	StateIdle       State = iota // no socket and none wanted (lazy, or after Close)
	StateConnecting              // opening a socket, or waiting to retry
	StatePending                 // connected: requests flow ("pending" in tRPC's naming)
)

// String returns the reference client's name for s: "idle", "connecting" or "pending".
func (s State) String() string {
	switch s {
	case StateIdle:
		return "idle"
	case StateConnecting:
		return "connecting"
	case StatePending:
		return "pending"
	}
	return "unknown"
}

// SocketID names one WebSocket the core asked its driver to open.
type SocketID uint32

// OutputKind says what an Output asks the driver to do or deliver.
type OutputKind uint8

// The kinds of Output.
const (
	// OutDial: open socket Sock. The driver resolves the URL (see
	// URLWithConnectionParams) and, once the socket is open, resolves the
	// connection params and calls Opened; on any failure it calls Closed.
	OutDial OutputKind = iota + 1
	// OutWrite: socket Sock has frames to send; call PollTransmit until it
	// reports none. Emitted once per idle-to-busy transition.
	OutWrite
	// OutCloseSocket: close socket Sock with Code, after writing the frames
	// PollTransmit still returns for it (announced by an earlier OutWrite,
	// e.g. subscription.stop). When Abort is set the core has already given
	// the socket up (e.g. no PONG in time): drop it at once without waiting
	// for a closing handshake.
	OutCloseSocket
	// OutResult: query or mutation ID succeeded; Data is the raw result.data
	// (nil for a void result). Final for ID.
	OutResult
	// OutStarted: subscription ID started.
	OutStarted
	// OutEvent: subscription ID delivered Data; EventID is set for a
	// tracked event.
	OutEvent
	// OutComplete: subscription ID ended: stopped by the server (Stopped
	// is set: the reference passes a "stopped" result to its observer
	// first), or completed by Close. Final for ID.
	OutComplete
	// OutError: request ID failed with Err (*TRPCError from the server, or
	// *ClosedError). Final for ID.
	OutError
	// OutState: the connection state changed to State; Err says why, when
	// a socket was lost or an attempt failed.
	OutState
	// OutFrameError: socket Sock sent a frame that could not be decoded
	// (Err is a *FrameError); the frame was dropped, the socket carries on.
	OutFrameError
	// OutClosed: a Close finished; every request has ended and every socket
	// was asked to close.
	OutClosed
	// OutRetry: only with Config.AskRetry. The retry loop is about to make
	// attempt number Attempt (from 0); Err is what ended the last socket or
	// attempt (a *ClosedError), nil for a reconnect the server asked for.
	// Answer with Retry once the driver's policy has decided.
	OutRetry
	// OutNote: something happened that a log may want (only with
	// Config.Events); Note says what. Nothing to carry out.
	OutNote
	// OutRefreshAuth: only with Config.RefreshAuth. The server refused the
	// credentials: run the user's refresh function outside the core, then
	// answer AuthRefreshed(Attempt, its error). Err is the reason: the
	// *TRPCError of a call that failed with UNAUTHORIZED, or the
	// *ClosedError of the socket the server closed; Code is that close
	// code (0 for a call). One refresh runs at a time.
	OutRefreshAuth
)

// Note says what an OutNote reports.
type Note uint8

// The notes.
const (
	// NoteAttempt: connection attempt Attempt starts in DelayMs; Err is
	// what ended the last socket or attempt (nil for the first connect or
	// a reconnect asked for).
	NoteAttempt Note = iota + 1
	// NoteOpen: socket Sock opened.
	NoteOpen
	// NoteClose: socket Sock closed with Code; Err is why, when known.
	NoteClose
	// NoteGiveUp: the client stopped reconnecting; Err is a *GaveUpError.
	NoteGiveUp
	// NoteTimeout: Err (a *TimeoutError) ended request ID, or the
	// connection attempt on socket Sock.
	NoteTimeout
	// NoteQueueFull: call ID was refused (Config.MaxQueued).
	NoteQueueFull
)

// String names n: "attempt", "open", "close", "giveUp", "timeout", "queueFull".
func (n Note) String() string {
	switch n {
	case NoteAttempt:
		return "attempt"
	case NoteOpen:
		return "open"
	case NoteClose:
		return "close"
	case NoteGiveUp:
		return "giveUp"
	case NoteTimeout:
		return "timeout"
	case NoteQueueFull:
		return "queueFull"
	}
	return "unknown"
}

// Output is one thing the driver must do or deliver, returned by Poll.
// Data slices point into the frame given to Message: they are valid as
// long as the driver keeps that frame unchanged (the core never writes to
// it). Err values are the core's own: they never alias a frame.
type Output struct {
	Kind       OutputKind
	Sock       SocketID
	ID         int64
	Data       []byte
	EventID    string
	HasEventID bool
	Err        error
	State      State
	Code       int
	Abort      bool
	Stopped    bool
	Attempt    int
	DelayMs    int64
	Note       Note
}
