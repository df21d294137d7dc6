package core

import "slices"

// Inbound frames: keep-alive, server requests, and routing responses to requests.

// Message reports an inbound text frame on sock.
func (c *Client) Message(now int64, sock SocketID, frame []byte) {
	c.enter(now)
	defer c.settle()
	k := c.conn(sock)
	if k == nil {
		return
	}
	c.stats.framesIn++
	c.stats.bytesIn += int64(len(frame))
	c.resetLazy(now)
	if c.cfg.KeepAlive && k.phase.open() {
		k.ping.set(now + c.cfg.KeepAliveIntervalMs)
	}
	if len(frame) == 4 {
		switch string(frame) {
		case "PING":
			if k.phase != connClosing {
				c.queuePong(k)
			}
			return
		case "PONG":
			k.pong.stop()
			if len(k.pongWaiters) > 0 {
				r := k.pongWaiters[0]
				k.pongWaiters = k.pongWaiters[1:]
				if r != nil {
					c.releaseStoppedOn(r, k)
				} else {
					c.stats.lastPingRtt = now - k.pingSentAt
				}
			}
			return
		}
	}
	resp, err := Decode(frame)
	if err != nil {
		c.emit(Output{Kind: OutFrameError, Sock: sock, Err: err})
		return
	}
	if resp.Method != "" {
		if k == c.active && resp.Method == "reconnect" {
			c.reconnect(now, nil, c.nextAttempt(now, false))
		}
		return
	}
	current := k == c.active || k == c.next
	if !resp.HasID {
		if resp.Error != nil {
			k.serverErr = ParseError(slices.Clone(resp.Error)) // kept past this call: no slice of the frame
			if current {
				c.link.rejected = true
			}
		}
		return
	}
	if current && resp.Type != ResultNone {
		c.link.rejected = false
		c.authProven()
	}
	c.handleResponse(&resp, k)
}

// handleResponse routes an answer to the request sent under its wire id,
// or to an earlier incarnation still draining (see move.go).
func (c *Client) handleResponse(resp *Response, k *conn) {
	r := c.byWire(resp.ID)
	if r == nil {
		// A subscription re-sent under a new id may still drain old sockets
		// under its earlier one.
		r = c.draining.get(resp.ID)
	}
	if r == nil || r.state != reqPending {
		return
	}
	if !c.acceptDuringMove(r, resp, k) {
		return
	}
	switch {
	case resp.Error != nil:
		err := ParseError(resp.Error)
		if c.authRetry(c.now, r, err, k) {
			return
		}
		c.finish(r, Output{Kind: OutError, ID: r.callID, Err: err})
		c.recycle(r)
	case r.Method != Subscription:
		c.finish(r, Output{Kind: OutResult, ID: r.callID, Data: resp.Data})
		c.recycle(r)
	case resp.Type == ResultStarted:
		r.started = true
		c.emit(Output{Kind: OutStarted, ID: r.callID})
	case resp.Type == ResultData:
		r.LastEventID, r.HasLastEventID = resp.EventID, resp.HasEventID
		c.emit(Output{Kind: OutEvent, ID: r.callID, Data: resp.Data, EventID: resp.EventID, HasEventID: resp.HasEventID})
	case resp.Type == ResultStopped:
		c.finish(r, Output{Kind: OutComplete, ID: r.callID, Stopped: true})
	}
}
