package core

import (
	"cmp"
	"slices"
)

// Requests: starting, queueing, batching into frames, cancelling, finishing.

// Call is a request as a driver starts it.
type Call struct {
	// ID names the request in every later output and in Cancel. Zero lets
	// the core choose (Start returns it); a driver that passes its own ids
	// must pass one for every call, each unique among live requests.
	ID     int64
	Method Method
	Path   string
	// Input is the raw JSON of params.input; nil leaves the field out.
	Input []byte
	// LastEventID, when HasLastEventID is set, resumes a subscription
	// after that event.
	LastEventID    string
	HasLastEventID bool
	// TimeoutMs overrides Config.RequestTimeoutMs for a query or mutation:
	// 0 keeps it, a negative value means no timeout.
	TimeoutMs int64
	// SentAs, when not 0, is the wire id under which the driver already
	// sent this call on the adopted socket (Config.Adopt): the core does not
	// send it, it awaits its answers there. If that socket is gone a query
	// or mutation fails at once with a *ClosedError, as one in flight on a
	// lost socket does (it is never sent twice), and a subscription is sent
	// again on the next socket. For a subscription, LastEventID is the id
	// of the last tracked event the driver delivered, and Started tells that
	// the server's "started" was delivered already.
	SentAs  int64
	Started bool
	// NoResubscribe, for a subscription, ends it with ErrNotResubscribed
	// where it would be sent again (a lost socket, a move to a new one)
	// instead of sending it again. The reference always resubscribes.
	NoResubscribe bool
}

// Start queues a request and returns its id. For a subscription, a non-nil
// lastEventID resumes after that event. It is StartCall with an id the
// core chooses.
func (c *Client) Start(now int64, m Method, path string, input []byte, lastEventID *string) int64 {
	call := Call{Method: m, Path: path, Input: input}
	if lastEventID != nil {
		call.LastEventID, call.HasLastEventID = *lastEventID, true
	}
	return c.StartCall(now, call)
}

// StartCall queues a request and returns its id: call.ID, or one the core
// chose when it is 0. The id stays the same for the request's whole life,
// whatever wire ids it is sent under. It panics if call.ID names a live
// request (a driver bug).
func (c *Client) StartCall(now int64, call Call) int64 {
	c.enter(now)
	defer c.settle()
	if call.SentAs != 0 {
		return c.startSent(now, call)
	}
	c.lastWire++
	id := call.ID
	if id == 0 {
		id = c.lastWire // the first wire id: ids the core chooses never repeat
	} else if c.reqs.get(id) != nil {
		panic("trpcws/core: StartCall with the id of a live request")
	}
	r := c.newRequest()
	*r = request{
		Request: Request{WireID: c.lastWire, Method: call.Method, Path: call.Path, Input: call.Input,
			LastEventID: call.LastEventID, HasLastEventID: call.HasLastEventID},
		callID:        id,
		order:         c.lastWire,
		noResubscribe: call.NoResubscribe && call.Method == Subscription,
	}
	if c.cfg.MaxQueued > 0 && len(c.outgoing) >= c.cfg.MaxQueued && (c.closing || !c.usable(c.active)) {
		c.note(Output{Note: NoteQueueFull, ID: id})
		c.emit(Output{Kind: OutError, ID: id, Err: ErrQueueFull})
		return id
	}
	c.admit(now, r, call)
	c.enqueue(now, r)
	return id
}

// admit records r as live: its request timeout armed (a query or
// mutation), the lazy close pushed back.
func (c *Client) admit(now int64, r *request, call Call) {
	c.track(r)
	if ms := cmp.Or(call.TimeoutMs, c.cfg.RequestTimeoutMs); ms > 0 && call.Method != Subscription {
		r.timeoutMs = ms
		c.timeouts.add(r, now+ms)
	}
	c.resetLazy(now)
}

// startSent registers call, already sent on the adopted socket under wire
// id call.SentAs, as awaiting its answers there.
func (c *Client) startSent(now int64, call Call) int64 {
	c.lastWire = max(c.lastWire, call.SentAs) // wire ids the core chooses stay unique
	id := cmp.Or(call.ID, call.SentAs)
	if c.reqs.get(id) != nil {
		panic("trpcws/core: StartCall with the id of a live request")
	}
	r := &request{
		Request: Request{WireID: call.SentAs, Method: call.Method, Path: call.Path, Input: call.Input,
			LastEventID: call.LastEventID, HasLastEventID: call.HasLastEventID},
		callID:        id,
		order:         call.SentAs,
		state:         reqPending,
		sock:          c.active,
		started:       call.Started,
		noResubscribe: call.NoResubscribe && call.Method == Subscription,
	}
	if !c.usable(c.active) || c.closing {
		if r.noResubscribe {
			c.emit(Output{Kind: OutError, ID: id, Err: ErrNotResubscribed})
			return id
		}
		if call.Method != Subscription {
			c.emit(Output{Kind: OutError, ID: id, Err: &ClosedError{Message: "WebSocket closed", Code: CloseAbnormal}})
			return id
		}
		// Its socket is gone: sent again on the next one, under its own id.
		c.lastWire++
		r.WireID, r.order = c.lastWire, c.lastWire
		c.admit(now, r, call)
		c.enqueue(now, r)
		return id
	}
	c.admit(now, r, call)
	return id
}

// forget drops r from the live requests.
func (c *Client) forget(r *request) {
	c.reqs.del(r.callID)
	if r.WireID != r.callID {
		c.wire.del(r.WireID)
	}
	c.timeouts.remove(r)
}

// enqueue puts r on the outgoing queue and makes sure a socket will carry it.
func (c *Client) enqueue(now int64, r *request) {
	r.state = reqOutgoing
	r.sock, r.movingTo, r.seenWhileMoving, r.repeatsDue, r.stoppedOn = nil, nil, nil, nil, nil
	c.outgoing = append(c.outgoing, r)
	if c.closing {
		// Close is waiting for the requests in flight: this one goes out
		// on a new socket once it has finished (see maybeFinishClose).
		return
	}
	if c.usable(c.active) {
		c.wantWrite(c.active)
	} else {
		c.open(now)
	}
}

// Cancel abandons request id: a queued request is dropped unsent; a pending
// one is forgotten (a late answer is ignored); a subscription is stopped on
// the server. Nothing is delivered for id afterwards; an unknown or ended id
// is ignored.
func (c *Client) Cancel(now int64, id int64) {
	c.enter(now)
	defer c.settle()
	r := c.reqs.get(id)
	if r == nil {
		return
	}
	c.forget(r)
	if r.state == reqOutgoing {
		c.outgoing = deleteRequest(c.outgoing, r)
		c.forgetDraining(r)
		return
	}
	if r.Method == Subscription {
		c.sendStop(r.WireID, r.sock)
		c.sendStop(r.WireID, r.movingTo)
	}
	c.closeIfDrained(r.sock)
	for _, k := range r.stoppedOn {
		c.closeIfDrained(k)
	}
	c.forgetDraining(r)
}

// forgetDraining drops the earlier incarnations of r, and closes the
// sockets they kept open if nothing else is left on them.
func (c *Client) forgetDraining(r *request) {
	for _, d := range r.earlier {
		if c.draining.get(d.WireID) != d {
			continue // drained already
		}
		c.draining.del(d.WireID)
		for _, k := range d.stoppedOn {
			c.closeIfDrained(k)
		}
	}
	r.earlier = nil
}

func (c *Client) sendStop(id int64, k *conn) bool {
	if !c.usable(k) {
		return false
	}
	c.queueFrame(k, AppendStop(nil, id))
	return true
}

// queuePong answers a PING. One PONG waiting to be sent answers any number
// of PINGs, so a flood of them while the writer is busy queues one frame.
func (c *Client) queuePong(k *conn) {
	if !k.pongQueued {
		k.pongQueued = true
		c.queueFrame(k, Pong)
	}
}

func isPong(f []byte) bool { return len(f) == 4 && string(f) == "PONG" }

func (c *Client) queueFrame(k *conn, frame []byte) {
	k.ctrl = append(k.ctrl, frame)
	c.wantWrite(k)
}

func (c *Client) wantWrite(k *conn) {
	if !k.wantWrite {
		k.wantWrite = true
		c.emit(Output{Kind: OutWrite, Sock: k.id})
	}
}

// PollTransmit returns the next frame to write on sock, or false when there
// is nothing more. Queued requests leave together, as one array frame when
// there are several: call it when the writer is free, not on a timer.
func (c *Client) PollTransmit(sock SocketID) ([]byte, bool) {
	return c.transmit(nil, sock)
}

// AppendTransmit is PollTransmit appending the frame to dst: it returns the
// extended dst, whose new bytes are the frame, and false (with dst as it
// was) when there is nothing more. A driver that copies every frame out
// at once saves the frame's allocation.
func (c *Client) AppendTransmit(dst []byte, sock SocketID) ([]byte, bool) {
	return c.transmit(dst, sock)
}

// transmit is PollTransmit (dst nil: a frame of its own) and AppendTransmit.
func (c *Client) transmit(dst []byte, sock SocketID) ([]byte, bool) {
	k := c.conn(sock)
	if k == nil {
		return dst, false
	}
	if len(k.ctrl) > 0 {
		f := k.ctrl[0]
		k.ctrl[0] = nil
		k.ctrl = k.ctrl[1:]
		if isPong(f) {
			k.pongQueued = false
		}
		c.sent(f)
		if dst != nil {
			f = append(dst, f...)
		}
		return f, true
	}
	if k.phase == connActive && !c.closing && len(c.outgoing) > 0 && !c.authHolds() {
		n := len(dst)
		f := c.flush(k, dst)
		c.sent(f[n:])
		return f, true
	}
	k.wantWrite = false
	return dst, false
}

func (c *Client) sent(f []byte) {
	c.stats.framesOut++
	c.stats.bytesOut += int64(len(f))
}

func deleteRequest(rs []*request, r *request) []*request {
	return slices.DeleteFunc(rs, func(o *request) bool { return o == r })
}

// flush appends every outgoing request to f as one frame for k (f nil: a
// new frame).
func (c *Client) flush(k *conn, f []byte) []byte {
	batch := c.outgoing
	if len(batch) == 1 {
		if f == nil {
			f = make([]byte, 0, 64+len(batch[0].Input))
		}
		f = AppendRequest(f, &batch[0].Request)
	} else {
		f = append(f, '[')
		for i, r := range batch {
			if i > 0 {
				f = append(f, ',')
			}
			f = AppendRequest(f, &r.Request)
		}
		f = append(f, ']')
	}
	for i, r := range batch {
		r.state = reqPending
		r.sock = k
		batch[i] = nil
	}
	c.outgoing = batch[:0]
	return f
}

// finish delivers r's last output and forgets it.
func (c *Client) finish(r *request, o Output) {
	c.forget(r)
	c.emit(o)
	if r.sock != c.active {
		c.closeIfDrained(r.sock)
	}
	for _, k := range r.stoppedOn {
		c.closeIfDrained(k)
	}
	c.forgetDraining(r)
}
