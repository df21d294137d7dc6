package trpcws

import (
	"errors"
	"strconv"
	"time"

	"github.com/trpcws/trpcws/wsdriver"
)

// What the options of both platforms (options.go natively, options_js.go
// on js/wasm) share: the lazy and keep-alive option types, and validation.

// LazyOptions configures lazy mode.
type LazyOptions struct {
	// Enabled opens the socket on the first request instead of at once.
	Enabled bool
	// CloseAfter closes the socket this long after the last activity, when
	// nothing is queued or in flight. After a lost socket, a lazy client
	// reconnects only if subscriptions are live.
	CloseAfter time.Duration
}

// KeepAliveOptions configures keep-alive pings.
type KeepAliveOptions struct {
	// Enabled turns keep-alive on. The native driver then also gives up a
	// WebSocket handshake that has not finished after Interval +
	// PongTimeout (at least 10 s), so a half-open network cannot hold the
	// client in "connecting" for ever.
	Enabled bool
	// Interval is how long the server may stay silent before the client
	// sends PING; 0 means 5 s.
	Interval time.Duration
	// PongTimeout is how long to wait for PONG before the socket is
	// dropped and the client reconnects; 0 means 1 s.
	PongTimeout time.Duration
}

// validate checks the options NewClient cannot fix.
func (o *Options) validate() error {
	if o.URL != "" && o.URLFunc == nil && !isHTTP(o.URL) {
		if err := wsdriver.CheckURL("Options.URL", o.URL); err != nil {
			return err
		}
	}
	switch {
	case o.URL == "" && o.URLFunc == nil:
		return errors.New("trpcws: Options.URL or Options.URLFunc is required")
	case o.Retry.MaxAttempts < 0:
		return errors.New("trpcws: Options.Retry.MaxAttempts is negative")
	case o.Retry.MinUptime < 0:
		return errors.New("trpcws: Options.Retry.MinUptime is negative")
	case o.ConnectTimeout < 0:
		return errors.New("trpcws: Options.ConnectTimeout is negative")
	case o.RequestTimeout < 0:
		return errors.New("trpcws: Options.RequestTimeout is negative")
	case o.MaxConnectionAge < 0:
		return errors.New("trpcws: Options.MaxConnectionAge is negative")
	case o.MaxQueued < 0:
		return errors.New("trpcws: Options.MaxQueued is negative")
	case o.Lazy.CloseAfter < 0:
		return errors.New("trpcws: Options.Lazy.CloseAfter is negative")
	case o.KeepAlive.Interval < 0:
		return errors.New("trpcws: Options.KeepAlive.Interval is negative")
	case o.KeepAlive.PongTimeout < 0:
		return errors.New("trpcws: Options.KeepAlive.PongTimeout is negative")
	case o.Transformer != nil && o.HTTPBatchStream:
		// httpBatchStreamLink's server serializes every line of the stream
		// as one value, the framing with the results: that is the HTTP
		// driver's to undo, which it does not yet.
		return errors.New("trpcws: Options.Transformer does not work with Options.HTTPBatchStream yet (the server transforms each line of the stream): leave HTTPBatchStream unset")
	}
	for _, code := range o.RefreshAuthCloseCodes {
		if code < 1000 || code > 4999 {
			return errors.New("trpcws: Options.RefreshAuthCloseCodes holds " + strconv.Itoa(code) + ", not a WebSocket close code (1000-4999)")
		}
	}
	return nil
}

// ms rounds a positive duration up to whole milliseconds, so that 1 ns
// still means a limit.
func ms(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}
