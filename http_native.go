//go:build !js

package trpcws

import (
	"context"
	"net/http"

	"github.com/trpcws/trpcws/httpdriver"
)

// httpOptions is the HTTP driver's configuration from opts: HTTPHeader on
// every request and HTTPClient.
func httpOptions(opts *Options) httpdriver.Options {
	o := httpdriver.Options{URL: opts.URL, HTTPClient: opts.HTTPClient}
	if opts.HTTPHeader != nil {
		h := opts.HTTPHeader
		o.Header = func(context.Context) (http.Header, error) { return h, nil }
	}
	return o
}
