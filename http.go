package trpcws

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/trpcws/trpcws/core"
	"github.com/trpcws/trpcws/httpdriver"
)

// useHTTP sets the client up for an http(s):// URL: calls and
// subscriptions then go through package httpdriver (httpBatchLink and
// httpSubscriptionLink's wire format) and the core's WebSocket is never
// dialled (it is made lazy and gets no call); or, with Options.HTTPURL,
// for calls only, subscriptions staying on the WebSocket.
func (c *Client) useHTTP(cfg *core.Config) error {
	u := c.opts.URL
	if c.opts.HTTPURL != "" {
		// Split: calls over HTTP, subscriptions over the WebSocket.
		switch {
		case !isHTTP(c.opts.HTTPURL):
			return errors.New("trpcws: Options.HTTPURL must be an http:// or https:// URL")
		case isHTTP(u):
			return errors.New("trpcws: Options.HTTPURL splits calls from a WebSocket URL; Options.URL is already http(s)")
		}
		return c.openHTTP(c.opts.HTTPURL, false)
	}
	if !isHTTP(u) {
		return nil
	}
	if c.opts.URLFunc != nil {
		return errors.New("trpcws: URLFunc is not supported with an http(s) URL")
	}
	cfg.Lazy = true
	return c.openHTTP(u, true)
}

func isHTTP(u string) bool {
	return strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")
}

// openHTTP makes the HTTP driver for url; subs tells whether
// subscriptions use it too (over SSE).
func (c *Client) openHTTP(url string, subs bool) error {
	o := httpOptions(&c.opts, url)
	o.ErrClosed, o.ReadLimit = ErrClientClosed, c.opts.ReadLimit
	d, err := httpdriver.New(o)
	if err != nil {
		return err
	}
	c.hc, c.httpSubs = d, subs
	return nil
}

// httpCall runs a query or mutation over HTTP.
func (c *Client) httpCall(ctx context.Context, m core.Method, path string, raw []byte, header http.Header) (json.RawMessage, error) {
	if c.isClosed() {
		return nil, ErrClientClosed
	}
	// The driver fails a call that Close ended with ErrClientClosed.
	return c.hc.Do(ctx, httpdriver.Call{Query: m == core.Query, Path: path, Input: raw, Header: header})
}

// httpSubscribe runs s over Server-Sent Events on a goroutine Close waits
// for; httpdriver delivers to s through subSink, as wsdriver does, and
// completes it when Close ends the stream.
func (c *Client) httpSubscribe(ctx context.Context, s *Subscription, path string, raw []byte, lastEventID string, header http.Header) error {
	if c.isClosed() || c.hc.Closed() {
		return ErrClientClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// ctx's values (an interceptor's trace span) reach each connection's
	// ConnectionParamsFunc, but not its end: start ends the stream with it.
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.hend = cancel
	opts := httpdriver.SubscribeOptions{LastEventID: lastEventID, Header: header}
	if c.opts.RetryDelay != nil {
		// Guarded as on the WebSocket: a panic is the default backoff.
		opts.RetryDelay = func(attempt int) time.Duration {
			return time.Duration(c.retryDelay(attempt)) * time.Millisecond
		}
	}
	if f := c.opts.ConnectionParamsFunc; f != nil {
		// Called for every connection of the stream, as on every socket;
		// an error or panic fails that connection (retried after the
		// backoff) and is reported, as on the WebSocket.
		opts.ConnectionParamsFunc = func(ctx context.Context) ([]byte, error) {
			p, err := callParams(ctx, TransportHTTP, f)
			if err != nil {
				if ctx.Err() == nil {
					c.report(err)
				}
				return nil, err
			}
			return json.Marshal(p) // nil: null, as on the WebSocket and from the reference
		}
	} else if c.opts.ConnectionParams != nil {
		opts.ConnectionParams, _ = json.Marshal(c.opts.ConnectionParams)
	}
	if c.opts.Transformer != nil {
		opts.Resume = s.resumeInput // transform.go
		opts.DecodeError = func(e *core.TRPCError) error { return c.plainError(path, e) }
	}
	c.goLive(func() {
		defer cancel()
		if c.hc.Subscribe(sctx, path, raw, opts, (*subSink)(s)) != nil {
			// Close began after the check above: completed as Close
			// completes the others.
			(*subSink)(s).Complete(true)
		}
	})
	return nil
}
