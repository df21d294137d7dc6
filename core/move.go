package core

import "slices"

// Moving subscriptions to a new socket make-before-break (the server's
// reconnect request): confirming the move and draining the old socket.

// handOff moves live subscriptions to the newly active socket.
func (c *Client) handOff(previous *conn) {
	if c.state != StatePending {
		c.setState(StatePending, nil)
	}
	k := c.active
	var subs []*request
	for _, r := range c.sortedPending() {
		if r.Method != Subscription || r.sock == k {
			continue
		}
		if r.noResubscribe {
			// Not sent on k: stopped where it runs, and ended.
			c.sendStop(r.ID, r.sock)
			c.finish(r, Output{Kind: OutError, ID: r.id, Err: ErrNotResubscribed})
			continue
		}
		subs = append(subs, r)
	}
	if len(subs) > 0 {
		var f []byte
		if len(subs) > 1 {
			f = append(f, '[')
		}
		for i, r := range subs {
			if i > 0 {
				f = append(f, ',')
			}
			f = AppendRequest(f, &r.Request)
		}
		if len(subs) > 1 {
			f = append(f, ']')
		}
		c.queueFrame(k, f)
		for _, r := range subs {
			if r.successor != k {
				c.sendStop(r.ID, r.successor)
			}
			if c.usable(r.sock) {
				r.successor = k
				r.overlap = make(map[string]struct{})
			} else {
				r.started = false
				r.sock = k
				r.successor = nil
			}
		}
	}
	c.closeIfDrained(previous)
}

// confirmMove completes a subscription's move to its successor socket: it
// is stopped on the old one, which is pinged so that everything it sent
// before the stop has arrived when the PONG does.
func (c *Client) confirmMove(r *request) {
	prev := r.sock
	r.sock, r.successor = r.successor, nil
	if prev != nil && c.sendStop(r.ID, prev) {
		r.movedFrom = append(r.movedFrom, prev)
		prev.pongWaiters = append(prev.pongWaiters, r)
		c.queueFrame(prev, Ping)
	}
	c.closeIfDrained(prev)
}

func (c *Client) releaseMovedFrom(r *request, k *conn) {
	i := slices.Index(r.movedFrom, k)
	if i < 0 {
		return
	}
	r.movedFrom = slices.Delete(r.movedFrom, i, i+1)
	if len(r.movedFrom) == 0 && c.draining[r.ID] == r {
		delete(c.draining, r.ID)
	}
	c.closeIfDrained(k)
}
