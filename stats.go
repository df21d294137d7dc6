package trpcws

import "time"

// Stats is a snapshot of the client's connection and traffic.
type Stats struct {
	State         State
	SocketsOpened int64 // sockets that opened
	Reconnects    int64 // sockets that replaced a lost or moved one
	Attempt       int   // index of the current or next connection attempt
	Queued        int   // calls waiting for a socket
	InFlight      int   // calls sent, awaiting their answer
	Subscriptions int   // live subscriptions
	FramesIn      int64
	FramesOut     int64
	BytesIn       int64
	BytesOut      int64
	// LastPingRTT is the round trip of the last keep-alive PING; 0 when
	// none came back yet.
	LastPingRTT time.Duration
	// ConnectedAt is when the socket in use opened; zero when not connected.
	ConnectedAt time.Time
}

// Stats returns a snapshot of the client's connection and traffic.
func (c *Client) Stats() Stats {
	s := c.ws.Stats()
	st := Stats{
		State: s.State, SocketsOpened: s.SocketsOpened, Reconnects: s.Reconnects, Attempt: s.Attempt,
		Queued: s.Queued, InFlight: s.InFlight, Subscriptions: s.Subscriptions,
		FramesIn: s.FramesIn, FramesOut: s.FramesOut, BytesIn: s.BytesIn, BytesOut: s.BytesOut,
	}
	if s.LastPingRttMs >= 0 {
		st.LastPingRTT = time.Duration(s.LastPingRttMs) * time.Millisecond
	}
	if s.ConnectedAt >= 0 {
		st.ConnectedAt = c.ws.At(s.ConnectedAt)
	}
	return st
}
