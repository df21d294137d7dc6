package trpcws

import (
	"context"

	"github.com/trpcws/trpcws/core"
	"github.com/trpcws/trpcws/wsdriver"
)

// The WebSocket transport is package wsdriver; this file connects it to
// the client: the options and hooks it is given. It delivers to a
// Subscription through subSink (subscribe.go), as httpdriver does.

// wsOptions is the WebSocket driver's configuration: the user's functions
// guarded against panics, and hooks that queue what concerns the user.
func (c *Client) wsOptions(cfg core.Config) wsdriver.Options {
	o := &c.opts
	w := wsdriver.Options{
		Config:           cfg,
		URL:              o.URL,
		ConnectionParams: o.ConnectionParams,
		ReadLimit:        o.ReadLimit,
		ErrClosed:        ErrClientClosed,
		Go:               c.goLive,
		OnOpen: func() {
			if o.OnOpen != nil {
				c.notes.add(note{kind: noteOpen})
			}
		},
		OnClose: func(code int) {
			if o.OnClose != nil {
				c.notes.add(note{kind: noteClose, code: code})
			}
		},
		OnError:     c.report,
		Note:        func(o core.Output) { c.wsNote(&o) },
		Retry:       func(o core.Output, reason string) core.RetryAnswer { return c.askRetry(&o, reason) },
		RefreshAuth: func(o core.Output) { c.refreshAuth(&o) },
	}
	if f := o.URLFunc; f != nil {
		w.URLFunc = func(ctx context.Context) (string, error) { return callURL(ctx, f) }
	}
	if f := o.ConnectionParamsFunc; f != nil {
		w.ConnectionParamsFunc = func(ctx context.Context) (map[string]string, error) { return callParams(ctx, TransportWebSocket, f) }
	}
	o.dialOptions(&w)
	return w
}

// wsNote logs a core note or state change, and queues OnStateChange.
func (c *Client) wsNote(o *core.Output) {
	c.logNote(o)
	if o.Kind == core.OutState && c.opts.OnStateChange != nil {
		c.notes.add(note{kind: noteState, state: ConnectionState{State: o.State, Err: o.Err}})
	}
}

// callURL calls Options.URLFunc, turning a panic into a *PanicError.
func callURL(ctx context.Context, f func(context.Context) (string, error)) (url string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Callback: "URLFunc", Value: r}
		}
	}()
	return f(ctx)
}

// callParams calls Options.ConnectionParamsFunc for a connection of
// transport t (ConnectionTransport tells it from ctx), turning a panic into
// a *PanicError.
func callParams(ctx context.Context, t Transport, f func(context.Context) (map[string]string, error)) (p map[string]string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Callback: "ConnectionParamsFunc", Value: r}
		}
	}()
	return f(context.WithValue(ctx, transportKey{}, t))
}
