// Package core is the tRPC WebSocket client as a sans-I/O state machine:
// no sockets, no goroutines, no clock, no callbacks into user code. A
// driver (the native Go client, the WebAssembly bridge) owns the sockets and
// the clock, tells the core what happened, and carries out what it asks.
//
// # Calling the core
//
// Every method takes now, the driver's monotonic clock in milliseconds. Any
// value is valid (0 included); it must never go backwards. A Client is not
// safe for concurrent use: the driver serialises calls (a mutex, or a
// single-threaded host).
//
// Inputs, from the user:
//   - [Client.Start] / [Client.StartCall] queue a request and return its id.
//     The id is chosen once and names the request in every output until its
//     final one; the wire ids it is sent under are the core's business.
//   - [Client.Cancel] abandons a request: nothing more is output for its id.
//   - [Client.Close] ends everything gracefully; [Client.Abort] stops a Close
//     that still waits for calls in flight.
//   - [Client.Reconnect] asks for a new connection now.
//
// Inputs, from a socket the core asked for with OutDial:
//   - [Client.Opened] once it is open and its connection params (if any) are
//     resolved; [Client.SetupFailed] instead when they failed.
//   - [Client.Message] for every inbound text frame, in order.
//   - [Client.Closed] once, when it closed or failed to open (code 0 when no
//     close frame was received). Nothing more is reported for it afterwards.
//
// Inputs, from the driver itself:
//   - [Client.Tick] when the time given by [Client.Deadline] has come.
//   - [Client.Retry] to answer an OutRetry (only with Config.AskRetry).
//   - [Client.Online], [Client.Offline], [Client.Wake]: what the host knows
//     of the network and of sleeping (browser events); optional.
//   - [Client.Suspend]: the host is about to freeze the client (a page
//     entering the back/forward cache): every socket closed cleanly,
//     subscriptions kept, no dial until Wake or Online, which resume them
//     after their last event ids (suspend.go); optional.
//
// [Client.State] and [Client.Stats] read the client without changing it.
//
// After every input, the driver calls [Client.Poll] until it reports no
// more output, and carries out each [Output] in order (see [OutputKind]);
// then it reads [Client.Deadline] and sets its one timer to it. Outputs of
// one input are produced together: an input never leaves work for later
// except through Deadline.
//
// Writing is pulled: OutWrite says a socket has frames; whenever the
// driver's writer for it is free, it calls [Client.PollTransmit] until it
// returns false. Requests queued meanwhile leave together in one batch
// frame. OutCloseSocket comes after the OutWrite of the frames that must
// leave first (e.g. subscription.stop); with Abort set the core has already
// forgotten the socket.
//
// # Ids
//
// A request has two ids. Its call id is the one Start returns, or Call.ID:
// every Output names the request by it (Output.ID), and Cancel takes it. Its
// wire id (Request.WireID) is the "id" of the frames it is sent under, the
// one the server's answers carry. They are equal unless the driver chose
// the call ids, or a subscription was sent again under a new wire id; the
// core maps one to the other, and a driver never sees a wire id.
//
// # Sockets and the make-before-break move
//
// Each socket the core asked for has one phase (connPhase, in
// connection.go): dialling, active (new requests are written on it),
// retired (replaced by the active one during a move, finishing what it
// carries), draining, or closing. When the server sends its "reconnect"
// notification, or the driver calls Reconnect, the client moves
// make-before-break: it dials a new socket while the old one stays
// active, makes the new one active once it opens, sends every subscription
// on it again (with its last event id, so the server resumes after the
// last event delivered), stops each on the old socket once the new one
// answers, and closes the old socket when nothing is left on it. Queries
// and mutations in flight finish where they were sent. move.go tells the
// whole move in one file, with the rules that keep an event from being
// lost or delivered twice.
//
// # What is final
//
// For a request id, OutResult, OutError and OutComplete are final: nothing
// follows them, and the id may be reused by a driver that chooses its own.
// After Cancel nothing is output for the id, not even a final output.
//
// # Retry policy
//
// With Config.AskRetry unset the core waits [ExponentialBackoff] before
// each reconnect attempt on its own. With it set, it emits OutRetry{Attempt,
// Err} and waits: the driver calls the user's functions (retry delay,
// should-retry) outside the core and outside any lock, then answers
// [Client.Retry] with a [RetryAnswer] (a delay, or GiveUp). Answers to an
// attempt the core no longer waits for are ignored. Config.MaxAttempts,
// MinUptimeMs, ConnectTimeoutMs, RequestTimeoutMs and MaxQueued are
// enforced by the core itself; their zero values keep the reference
// client's behaviour.
//
// # Policy lives here
//
// The core decides every close code the client sends ([CloseNormal],
// [CloseNoPong], [CloseSetupFailed]), what a socket that ended without a
// close frame reports ([CloseAbnormal]), why a subscription completed
// (Output.Stopped), and the defaults of the options. Drivers carry these
// out and never decide them. With Config.Events the core also reports what
// happened (OutNote: attempts, opens, closes, give-up, timeouts, refused
// calls) for the driver's logger.
package core
