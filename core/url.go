package core

// URLSchemes are the schemes a WebSocket URL may have: ws and wss, and
// http and https, which a WebSocket dial takes as ws and wss (browsers,
// Node's WebSocket and the native driver all do).
var URLSchemes = [...]string{"ws", "wss", "http", "https"}

// The reasons URLReason gives. web/lib/url.js gets them from
// internal/genjs, so both drivers word a bad URL the same way.
const (
	URLNoScheme   = "no scheme: want ws:// or wss://"
	URLWantScheme = ": want ws:// or wss://" // after "scheme <the scheme>"
	URLNoHost     = "no host"
)

// URLReason says what makes a parsed URL impossible to dial as a WebSocket,
// from its scheme (lower case, without ':') and host, or returns "" when
// nothing does. Each driver parses with its platform's parser (net/url,
// the WHATWG URL in JavaScript) and then applies this rule; a URL it
// rejects is reported as a *URLError, which the core does not retry.
func URLReason(scheme, host string) string {
	if scheme == "" {
		return URLNoScheme
	}
	known := false
	for _, s := range URLSchemes {
		known = known || s == scheme
	}
	switch {
	case !known:
		return "scheme " + scheme + URLWantScheme
	case host == "":
		return URLNoHost
	}
	return ""
}
