package core

import "slices"

// Requests: starting, queueing, batching into frames, cancelling, finishing.

// Start queues a request and returns its id. For a subscription, a non-nil
// lastEventID resumes after that event.
func (c *Client) Start(now int64, m Method, path string, input []byte, lastEventID *string) int64 {
	c.now = now
	c.lastID++
	r := &request{Request: Request{ID: c.lastID, Method: m, Path: path, Input: input}, key: c.lastID}
	if lastEventID != nil {
		r.LastEventID, r.HasLastEventID = *lastEventID, true
	}
	c.reqs[r.ID] = r
	c.resetLazy(now)
	c.enqueue(now, r)
	return r.ID
}

// enqueue puts r on the outgoing queue and makes sure a socket will carry it.
func (c *Client) enqueue(now int64, r *request) {
	r.state = reqOutgoing
	r.sock, r.successor, r.overlap, r.movedFrom = nil, nil, nil, nil
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
// the server. Nothing is delivered for id afterwards.
func (c *Client) Cancel(now int64, id int64) {
	c.now = now
	r := c.lookup(id)
	if r == nil {
		return
	}
	delete(c.reqs, r.ID)
	if r.state == reqOutgoing {
		c.outgoing = slices.DeleteFunc(c.outgoing, func(o *request) bool { return o == r })
		c.forgetDraining(r.key)
		c.lazyIdle()
		return
	}
	if r.Method == Subscription {
		c.sendStop(r.ID, r.sock)
		c.sendStop(r.ID, r.successor)
	}
	c.closeIfDrained(r.sock)
	for _, k := range r.movedFrom {
		c.closeIfDrained(k)
	}
	c.forgetDraining(r.key)
	c.lazyIdle()
	c.maybeFinishClose()
}

// lookup finds a request by the id Start returned. It is also its wire id
// unless the request was re-sent under a new one.
func (c *Client) lookup(key int64) *request {
	if r := c.reqs[key]; r != nil && r.key == key {
		return r
	}
	for _, r := range c.reqs {
		if r.key == key {
			return r
		}
	}
	return nil
}

// forgetDraining drops the earlier wire ids of the subscription key, and
// closes the sockets they kept open if nothing else is left on them.
func (c *Client) forgetDraining(key int64) {
	var ids []int64
	for id, d := range c.draining {
		if d.key == key {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids) // deterministic output order
	for _, id := range ids {
		d := c.draining[id]
		delete(c.draining, id)
		for _, k := range d.movedFrom {
			c.closeIfDrained(k)
		}
	}
}

func (c *Client) sendStop(id int64, k *conn) bool {
	if !c.usable(k) {
		return false
	}
	c.queueFrame(k, AppendStop(nil, id))
	return true
}

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
	k := c.conn(sock)
	if k == nil {
		return nil, false
	}
	if len(k.ctrl) > 0 {
		f := k.ctrl[0]
		k.ctrl[0] = nil
		k.ctrl = k.ctrl[1:]
		return f, true
	}
	if k == c.active && c.usable(k) && !c.closing && len(c.outgoing) > 0 {
		return c.flush(k), true
	}
	k.wantWrite = false
	return nil, false
}

// flush encodes every outgoing request into one frame for k.
func (c *Client) flush(k *conn) []byte {
	batch := c.outgoing
	var f []byte
	if len(batch) == 1 {
		f = AppendRequest(make([]byte, 0, 64+len(batch[0].Input)), &batch[0].Request)
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
	delete(c.reqs, r.ID)
	c.emit(o)
	if r.sock != c.active {
		c.closeIfDrained(r.sock)
	}
	for _, k := range r.movedFrom {
		c.closeIfDrained(k)
	}
	c.forgetDraining(r.key)
	c.lazyIdle()
	c.maybeFinishClose()
}
