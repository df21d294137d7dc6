package core

import "strings"

// Config holds what the state machine is told at New: options and their
// defaults, and the helpers drivers share (backoff, URL).

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
	// RetryDelay gives the delay in milliseconds before reconnect attempt
	// number attempt (from 0). Nil means ExponentialBackoff. It must not panic.
	RetryDelay func(attempt int) int64
}

// ExponentialBackoff is the reference client's default retry delay:
// 0 for the first attempt, then min(1000·2^attempt, 30000) milliseconds.
func ExponentialBackoff(attempt int) int64 {
	if attempt <= 0 {
		return 0
	}
	if attempt >= 5 {
		return 30000
	}
	return int64(min(1000<<attempt, 30000))
}

// URLWithConnectionParams returns url with the connectionParams=1 query
// parameter the server expects when connection params are used.
func URLWithConnectionParams(url string) string {
	if strings.Contains(url, "?") {
		return url + "&connectionParams=1"
	}
	return url + "?connectionParams=1"
}
