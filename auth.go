package trpcws

import (
	"context"

	"github.com/trpcws/trpcws/core"
)

// AuthReason is what RefreshAuth is told: why the server's refusal of the
// credentials was detected.
type AuthReason struct {
	// Err is the refusal: the *TRPCError (code UNAUTHORIZED) a call failed
	// with, or the *ClosedError of the socket the server closed.
	Err error
	// CloseCode is the close code when the server closed the socket (one
	// of Options.RefreshAuthCloseCodes), 0 when a call failed or the server
	// rejected the connection params with UNAUTHORIZED before closing.
	CloseCode int
}

// AuthRefreshError is why a call that waited for Options.RefreshAuth failed
// (and the connection state's error) when RefreshAuth returned an error:
// errors.Is and errors.As see that error (Err); Reason is the refusal that
// started the refresh.
type AuthRefreshError = core.AuthRefreshError

// DefaultAuthCloseCodes are the close codes that start an auth refresh when
// Options.RefreshAuthCloseCodes is nil: 4401, 4403 and 1008.
var DefaultAuthCloseCodes = core.DefaultAuthCloseCodes

// refreshAuth runs Options.RefreshAuth for the core's OutRefreshAuth on
// its own goroutine (it may take long and may call the client), then
// reports its result; no lock is held. A panic is a failed refresh.
func (c *Client) refreshAuth(o *core.Output) {
	reason := AuthReason{Err: o.Err, CloseCode: o.Code}
	attempt := o.Attempt
	c.goLive(func() {
		err := c.callRefresh(reason)
		if err != nil {
			c.report(&AuthRefreshError{Err: err, Reason: reason.Err})
		}
		c.ws.AuthRefreshed(attempt, err)
	})
}

// callRefresh calls Options.RefreshAuth with a context that ends when
// Close begins, turning a panic into a *PanicError.
func (c *Client) callRefresh(reason AuthReason) (err error) {
	if c.gone.Load() {
		return ErrClientClosed
	}
	defer func() {
		if r := recover(); r != nil {
			pe := &PanicError{Callback: "RefreshAuth", Value: r}
			c.logPanic(pe)
			err = pe
		}
	}()
	return c.opts.RefreshAuth(c.authCtx(), reason)
}

// authCtx is the context RefreshAuth runs under.
func (c *Client) authCtx() context.Context {
	if c.actx != nil {
		return c.actx
	}
	return context.Background()
}
