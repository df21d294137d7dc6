package wsdriver

import (
	"errors"
	"net/url"

	"github.com/trpcws/trpcws/core"
)

// CheckURL returns a *core.URLError when raw can never be dialled as a
// WebSocket: it does not parse, its scheme is not ws, wss (or http, https,
// which a WebSocket dial takes as ws, wss) or it has no host. option names
// where raw came from. The core does not retry such a URL.
func CheckURL(option, raw string) error {
	bad := func(reason string) error { return &core.URLError{Option: option, URL: raw, Reason: reason} }
	u, err := url.Parse(raw)
	var ue *url.Error
	switch {
	case errors.As(err, &ue):
		return bad(ue.Err.Error())
	case err != nil:
		return bad(err.Error())
	case u.Scheme == "":
		return bad("no scheme: want ws:// or wss://")
	case u.Scheme != "ws" && u.Scheme != "wss" && u.Scheme != "http" && u.Scheme != "https":
		return bad("scheme " + u.Scheme + ": want ws:// or wss://")
	case u.Host == "":
		return bad("no host")
	}
	return nil
}
