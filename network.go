package trpcws

// Network hints: what the program knows of the network and of sleeping,
// passed on to the core (core.Client.Online, Offline and Wake). They are
// optional; a client that is never told behaves as the reference client.

// SetOnline tells the client whether the network is up, as far as the
// program knows. Call it from whatever tells the program that the network
// changed: the operating system (a netlink or D-Bus listener for
// NetworkManager or systemd-networkd, a NetworkManager dispatcher or
// networkd-dispatcher script that signals the program), a mobile host
// relaying Android's ConnectivityManager or iOS's NWPathMonitor, or, in a
// Go program compiled to WebAssembly for a browser, the window's "online"
// and "offline" events. It is optional: a new client assumes the network is
// up, and one that is never told retries as the reference client does.
//
// SetOnline(false) stops connection attempts: while the network is down
// none is started, and one already under way that fails is not counted
// against RetryOptions.MaxAttempts and does not lengthen the backoff, so
// the client does not give up during an outage. An open socket is left
// alone (it may still work) and calls still queue (RequestTimeout and ctx
// still bound them). The client stays so until SetOnline(true): a program
// that reports the network down must also report it back up.
//
// SetOnline(true) lets attempts resume, and then acts as Wake: a client
// waiting out its retry delay attempts at once, and a connected client with
// KeepAlive enabled checks its socket with a PING at once. Saying it again
// while already online does the same, so call it once per notification,
// not in a loop: every call cuts a pending backoff short.
//
// SetOnline never waits for the network. It may be called from any
// goroutine and from inside any callback, and does nothing once Close has
// begun.
func (c *Client) SetOnline(online bool) {
	c.ws.SetOnline(online)
}

// Wake tells the client that the program has just come back from a pause
// it could not see, or that the network changed under an open socket:
// the machine resumed from sleep (logind's PrepareForSleep(false) signal on
// Linux, a system-sleep hook), a mobile app returned to the foreground, the
// default route moved to another interface or a VPN came up, or, in a
// browser, the page became visible again. After such a pause the socket may
// be dead without any error having been seen, and a pending retry delay may
// no longer make sense.
//
// A client waiting out its retry delay attempts at once. A connected client
// with KeepAlive enabled sends a PING at once (unless one is already
// waiting for its PONG): if no PONG comes within KeepAlive.PongTimeout the
// socket is dropped and the client reconnects, instead of finding out only
// after KeepAlive.Interval of silence. Without KeepAlive a connected client
// is left as it is; Reconnect moves it to a new socket unconditionally.
// Unlike SetOnline, Wake does not change what the client knows of the
// network: while offline, it starts no attempt.
//
// Wake is optional and never waits for the network. It may be called from
// any goroutine and from inside any callback, and does nothing once Close
// has begun.
func (c *Client) Wake() {
	c.ws.Wake()
}

// Suspend closes the client's sockets at once, cleanly (close code 1000),
// and keeps it off the network until Resume (or Wake, or SetOnline(true)): the host is about to freeze
// the program. In a Go program compiled to WebAssembly for a browser, call
// it from the window's "pagehide" event (an open WebSocket keeps a page out
// of the back/forward cache) and Resume from "pageshow" when its persisted
// is true.
//
// While suspended: calls in flight fail with an error matching
// ErrConnectionClosed (they may have run on the server and are never sent
// twice); subscriptions stay live and are sent again by Resume, tracked
// ones after their last event id, so nothing is lost or delivered twice
// (one started with SubscribeOptions.NoResubscribe ends, as on a lost
// socket); new calls wait, still bounded by their ctx, RequestTimeout and
// MaxQueued; nothing is dialled (Reconnect does nothing), no retry delay
// runs and no attempt is counted. The state is StateIdle.
//
// Suspend and Resume never wait for the network. They may be called from
// any goroutine and from inside any callback, and do nothing once Close has
// begun.
func (c *Client) Suspend() {
	c.ws.Suspend()
}

// Resume ends a Suspend: the client dials at once (unless it is lazy and
// has nothing to do) and sends its subscriptions again once the socket is
// open; a retry loop that was running goes on at the attempt it had
// reached (while SetOnline(false) holds, it waits for SetOnline(true)).
// It is Wake, which also ends a suspension, as SetOnline(true) does.
func (c *Client) Resume() {
	c.ws.Wake() // Wake ends a suspension
}
