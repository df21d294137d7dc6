package core

import "slices"

// Moving subscriptions to a new socket make-before-break (the server's
// reconnect request): confirming the move and draining the old socket.

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
