package wsdriver

import (
	"errors"
	"net/url"

	"github.com/trpcws/trpcws/core"
)

// CheckURL returns a *core.URLError when raw can never be dialled as a
// WebSocket: it does not parse, or core.URLReason rejects its scheme (ws,
// wss, or http, https, which a WebSocket dial takes as ws, wss) or its
// missing host. option names where raw came from. The core does not retry
// such a URL.
func CheckURL(option, raw string) error {
	bad := func(reason string) error { return &core.URLError{Option: option, URL: raw, Reason: reason} }
	u, err := url.Parse(raw)
	var ue *url.Error
	switch {
	case errors.As(err, &ue):
		return bad(ue.Err.Error())
	case err != nil:
		return bad(err.Error())
	}
	// net/url lower-cases the scheme.
	if reason := core.URLReason(u.Scheme, u.Host); reason != "" {
		return bad(reason)
	}
	return nil
}
