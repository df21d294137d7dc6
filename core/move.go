package core

import "slices"

// Moving to a new socket make-before-break, and what a subscription does
// while it moves. Read with connPhase (connection.go), which says which
// socket has which role.
//
// A move starts when the server sends its "reconnect" notification or the
// user calls Reconnect: the retry loop dials socket B while socket A stays
// active. Nothing is lost, nothing is delivered twice, and a subscriber
// sees one "started".
//
// The sockets:
//  1. B is dialled (connDialing); A carries every request meanwhile.
//  2. B opens (Opened): B becomes active, A retired. Requests queued from
//     then on are written on B; queries and mutations in flight on A finish
//     on A.
//  3. A is closed once nothing is left on it (closeIfDrained). If B is
//     lost first, A becomes active again (restore) and the retry loop dials
//     anew; if A is lost first, what moved to B stays there.
//
// Each subscription S live on A, once B is active:
//  1. handOff sends S on B under its wire id and its last event id, so
//     that B's server resumes after the last event delivered. S.movingTo is
//     B; A goes on delivering S's events, and the tracked ids it delivers
//     are kept in S.seenWhileMoving.
//  2. B's first answer for S confirms the move (confirmMove): S.sock
//     becomes B, S is stopped on A and A is pinged. A stays in S.stoppedOn
//     until its "stopped" for S, or the PONG (which comes after everything
//     A sent before the stop), arrives (releaseStoppedOn). Meanwhile A's
//     untracked events for S are still delivered (B cannot repeat them) and
//     its tracked ones dropped (B sends every event after the last event
//     id).
//  3. B's repeats of the events in S.seenWhileMoving are dropped, each
//     once, and so is B's "started" (acceptDuringMove). If S moves on to C
//     before B has repeated them all, what is left moves to S.repeatsDue
//     and is still dropped once each from B, until C confirms.
//
// A subscription whose socket was lost while another one still serves is
// sent again on the active socket under a new wire id (resend): that
// socket may still know the old id, and the server refuses a duplicate.
// The old incarnation stays in Client.draining, found by its old wire id,
// until the sockets it was stopped on have drained; the new one lists it
// in earlier.

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
			c.sendStop(r.WireID, r.sock)
			c.finish(r, Output{Kind: OutError, ID: r.callID, Err: ErrNotResubscribed})
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
			if r.movingTo != k {
				c.sendStop(r.WireID, r.movingTo)
			}
			if c.usable(r.sock) {
				if r.movingTo == nil {
					// r.sock may still repeat what its predecessor
					// delivered while r moved onto it. (With a move not
					// yet confirmed, nobody repeats seenWhileMoving: the
					// socket it went to is stopped, k resumes after it.)
					r.repeatsDue = append(r.repeatsDue, r.seenWhileMoving...)
				}
				r.movingTo = k
				r.seenWhileMoving = make([]string, 0, 4)
			} else {
				// Its socket is gone: B just carries it on.
				r.started = false
				r.sock = k
				r.movingTo = nil
			}
		}
	}
	c.closeIfDrained(previous)
}

// acceptDuringMove reports whether resp, received on k for r, is r's to
// deliver: it confirms a move, drops what a move repeats, and delivers what
// an old socket may still send once r has left it.
func (c *Client) acceptDuringMove(r *request, resp *Response, k *conn) bool {
	if r.movingTo == k {
		c.confirmMove(r)
	} else if r.sock != k {
		if slices.Contains(r.stoppedOn, k) {
			switch {
			case resp.Type == ResultStopped:
				c.releaseStoppedOn(r, k)
			case resp.Type == ResultData && !resp.HasEventID:
				c.emit(Output{Kind: OutEvent, ID: r.callID, Data: resp.Data})
			}
		}
		return false
	}
	if resp.Type == ResultStarted && r.started {
		return false
	}
	if resp.Type == ResultData && resp.HasEventID && r.Method == Subscription {
		if i := slices.Index(r.repeatsDue, resp.EventID); i >= 0 {
			r.repeatsDue = slices.Delete(r.repeatsDue, i, i+1)
			return false
		}
		if r.movingTo != nil {
			if !slices.Contains(r.seenWhileMoving, resp.EventID) {
				r.seenWhileMoving = append(r.seenWhileMoving, resp.EventID)
			}
		} else if i := slices.Index(r.seenWhileMoving, resp.EventID); i >= 0 {
			r.seenWhileMoving = slices.Delete(r.seenWhileMoving, i, i+1)
			return false
		}
	}
	return true
}

// confirmMove completes a subscription's move to the socket it moves to:
// it is stopped on the old one, which is pinged so that everything it sent
// before the stop has arrived when the PONG does.
func (c *Client) confirmMove(r *request) {
	prev := r.sock
	r.sock, r.movingTo = r.movingTo, nil
	r.repeatsDue = nil // prev's: it is stopped, its tracked events dropped
	if prev != nil && c.sendStop(r.WireID, prev) {
		r.stoppedOn = append(r.stoppedOn, prev)
		prev.pongWaiters = append(prev.pongWaiters, r)
		c.queueFrame(prev, Ping)
	}
	c.closeIfDrained(prev)
}

// releaseStoppedOn records that k has sent all it will for r (its
// "stopped", or the PONG after the stop): k may close if nothing else is
// left on it, and a drained earlier incarnation is forgotten.
func (c *Client) releaseStoppedOn(r *request, k *conn) {
	i := slices.Index(r.stoppedOn, k)
	if i < 0 {
		return
	}
	r.stoppedOn = slices.Delete(r.stoppedOn, i, i+1)
	if len(r.stoppedOn) == 0 && c.draining.get(r.WireID) == r {
		c.draining.del(r.WireID)
	}
	c.closeIfDrained(k)
}

// forgetStoppedOn drops lost socket k from what the earlier incarnations
// still wait for; one that waits for nothing more has drained.
func (c *Client) forgetStoppedOn(k *conn) {
	ds := c.draining.all()
	for i := len(ds) - 1; i >= 0; i-- { // backwards: del shifts what follows
		d := ds[i]
		d.stoppedOn = slices.DeleteFunc(d.stoppedOn, func(o *conn) bool { return o == k })
		if len(d.stoppedOn) == 0 {
			c.draining.del(c.draining.ids[i])
		}
	}
}

// resend sends subscription r again under a new wire id: the active socket
// may still have the old one (e.g. while stopping it), and the server
// refuses a duplicate. The old incarnation keeps draining the sockets r
// was stopped on under its wire id.
func (c *Client) resend(now int64, r *request) *request {
	if r.WireID != r.callID {
		c.wire.del(r.WireID)
	}
	n := &request{Request: r.Request, callID: r.callID, order: r.order, earlier: r.earlier}
	r.earlier = nil
	if len(r.stoppedOn) > 0 {
		c.draining.set(r.WireID, r)
		n.earlier = append(n.earlier, r)
	}
	c.lastWire++
	n.WireID = c.lastWire
	c.track(n)
	c.enqueue(now, n)
	return n
}
