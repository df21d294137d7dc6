package core

// Stats: counters of what the client did, for the user and for tests.

// counters are the Client's running totals.
type counters struct {
	socketsOpened int64
	reconnects    int64
	framesIn      int64
	framesOut     int64
	bytesIn       int64
	bytesOut      int64
	lastPingRtt   int64 // -1 until a keepAlive PONG came back
}

// Stats is a snapshot of the client's connection and traffic.
type Stats struct {
	State         State
	SocketsOpened int64 // sockets that opened
	Reconnects    int64 // sockets that replaced a lost or moved one
	Attempt       int   // index of the current or next connection attempt
	Queued        int   // calls waiting for a socket
	InFlight      int   // queries and mutations sent, awaiting their answer
	Subscriptions int   // live subscriptions
	FramesIn      int64
	FramesOut     int64
	BytesIn       int64
	BytesOut      int64
	// LastPingRttMs is the round trip of the last keepAlive PING, measured
	// from when it was queued; -1 when none came back yet.
	LastPingRttMs int64
	// ConnectedAt is when the socket in use opened (the driver's clock),
	// -1 when not connected.
	ConnectedAt int64
}

// Stats returns a snapshot of the client's connection and traffic.
func (c *Client) Stats() Stats {
	s := Stats{
		State:         c.state,
		SocketsOpened: c.stats.socketsOpened,
		Reconnects:    c.stats.reconnects,
		Queued:        len(c.outgoing),
		FramesIn:      c.stats.framesIn,
		FramesOut:     c.stats.framesOut,
		BytesIn:       c.stats.bytesIn,
		BytesOut:      c.stats.bytesOut,
		LastPingRttMs: c.stats.lastPingRtt,
		ConnectedAt:   -1,
	}
	if c.link.phase != linkIdle {
		s.Attempt = c.link.attempt
	}
	for _, r := range c.reqs.all() {
		switch {
		case r.Method == Subscription:
			s.Subscriptions++
		case r.state == reqPending:
			s.InFlight++
		}
	}
	if c.state == StatePending && c.usable(c.active) {
		s.ConnectedAt = c.link.openedAt
	}
	return s
}
