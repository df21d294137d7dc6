//go:build js

package trpcws

import "github.com/trpcws/trpcws/httpdriver"

// httpOptions is the HTTP driver's configuration from opts (its default
// client goes over the host's fetch on js/wasm: internal/fetch).
func httpOptions(opts *Options, url string) httpdriver.Options {
	return httpdriver.Options{URL: url, Stream: opts.HTTPBatchStream}
}
