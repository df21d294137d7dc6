package core

import "strings"

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
	if strings.Contains(url, "?") {
		return url + "&connectionParams=1"
	}
	return url + "?connectionParams=1"
}
