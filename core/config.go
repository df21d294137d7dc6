package core

// Config, defaults and the policy constants drivers carry out.

// Config holds the options the state machine needs. Zero values give the
// reference client's defaults except where noted.
type Config struct {
	// Lazy opens the socket on the first request and closes it LazyCloseMs
	// after the last activity when nothing is outgoing or pending.
	Lazy        bool
	LazyCloseMs int64
	// KeepAlive sends PING after KeepAliveIntervalMs without an inbound
	// frame and drops the socket if no PONG comes within PongTimeoutMs.
	// Zero durations take the reference defaults (5000 and 1000).
	KeepAlive           bool
	KeepAliveIntervalMs int64
	PongTimeoutMs       int64
	// AskRetry makes the core ask the driver before every reconnect
	// attempt (OutRetry, answered with Retry) instead of waiting
	// ExponentialBackoff(attempt) itself: set it when the user gave a retry
	// function, which the driver then calls outside the core.
	AskRetry bool

	// The connection policies beyond the reference client; zero values
	// keep the reference's behaviour.

	// MaxAttempts gives up once this many connection attempts in a row have
	// failed (the first connect counts as one; so does a socket that was
	// rejected by the server or closed within MinUptimeMs): the client goes
	// idle with a *GaveUpError, queued calls fail with it and live
	// subscriptions end with it. The next request starts again from
	// attempt 0. 0 retries forever.
	MaxAttempts int
	// MinUptimeMs is how long a socket must stay open before the attempt
	// index goes back to 0: a server that accepts and closes at once is
	// then retried with a growing delay. 0: any open socket resets it.
	MinUptimeMs int64
	// ConnectTimeoutMs abandons an attempt not opened (connection params
	// resolved) within this time: the socket is dropped and the attempt
	// counts as failed, with a *TimeoutError. 0: no limit.
	ConnectTimeoutMs int64
	// RequestTimeoutMs fails a query or mutation with no answer within
	// this time (from Start) with a *TimeoutError; Call.TimeoutMs overrides
	// it per call. Subscriptions have none. 0: no limit.
	RequestTimeoutMs int64
	// MaxQueued bounds the calls waiting for a socket: StartCall beyond it
	// fails at once with ErrQueueFull. Calls made while a socket is open
	// are never refused. 0: no bound.
	MaxQueued int
	// Events turns on OutNote outputs: what happened, for logs.
	Events bool
	// MaxConnectionAgeMs moves to a new socket once the active one is this
	// old, plus a jitter of up to a tenth of it (MaxAgeJitter): make-before-
	// break, as for the server's reconnect request, when requests are in
	// flight, queued or subscriptions open, or the client is not lazy; a
	// lazy client with nothing to do closes instead. 0: no limit.
	MaxConnectionAgeMs int64
	// MaxAgeJitter returns a number in [0, n): the jitter added to
	// MaxConnectionAgeMs for each socket. Drivers pass a random source;
	// nil adds none (the core stays deterministic either way).
	MaxAgeJitter func(n int64) int64

	// RefreshAuth turns auth refresh on (the driver has the user's refresh
	// function): a call failing with tRPC code UNAUTHORIZED, or the server
	// closing the socket with a code of AuthCloseCodes (or rejecting its
	// connection params with UNAUTHORIZED), makes the core emit
	// OutRefreshAuth; once AuthRefreshed says it succeeded, the client
	// moves to a new socket (fresh connection params) make-before-break and
	// sends there, once, the queries and subscriptions that failed with
	// UNAUTHORIZED. Off: such failures reach the caller, as in the
	// reference.
	RefreshAuth bool
	// AuthCloseCodes are the close codes that mean refused credentials;
	// nil means DefaultAuthCloseCodes (an empty, non-nil slice: none).
	AuthCloseCodes []int
	// RefreshRetryMutations also retries a mutation that failed with
	// UNAUTHORIZED after the refresh (the server refused it before it ran,
	// if its procedures check auth first).
	RefreshRetryMutations bool

	// Adopt makes New take over a socket the driver opened before it
	// created the client, instead of dialling: socket 1, open, its
	// connection params (if any) already sent. Calls the driver sent on it
	// and that still await their answer follow with StartCall and
	// Call.SentAs. The WebAssembly driver uses it to answer the first calls
	// from JavaScript while the module loads.
	Adopt bool
	// AdoptedWireIDs is the highest wire id the driver used on the adopted
	// socket, answered or not: the core's own wire ids start above it, so
	// that a late answer to a call the driver abandoned is never taken for
	// another.
	AdoptedWireIDs int64
}

// The reference client's defaults, taken for zero Config durations.
const (
	DefaultKeepAliveIntervalMs = 5000
	DefaultPongTimeoutMs       = 1000
)

// Close codes. The core decides every code the client sends (OutCloseSocket)
// and what a lost socket reports (ClosedError.Code).
const (
	// CloseNormal closes a socket the client no longer needs.
	CloseNormal = 1000
	// CloseAbnormal is reported for a socket that ended without a close
	// frame (the driver passes 0 to Closed), as browsers report it.
	CloseAbnormal = 1006
	// CloseNoPong drops a socket that did not answer PING in time.
	CloseNoPong = 3000
	// CloseSetupFailed closes a socket whose connection params failed
	// (see SetupFailed).
	CloseSetupFailed = 3000
)

// URLWithConnectionParams returns url with the connectionParams=1 query
// parameter the server expects when connection params are used.
func URLWithConnectionParams(url string) string {
	if hasByte(url, '?') {
		return url + "&connectionParams=1"
	}
	return url + "?connectionParams=1"
}

// hasByte reports whether s contains c, as strings.IndexByte(s, c) >= 0
// does. It is written out because this was core's only use of strings,
// which brings unicode, io and sync into the wasm module (about 5 KB gzip).
// FuzzHasByte holds it to strings.
func hasByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}
