//go:build !js

package trpcws

import (
	"context"
	"net/http"

	"github.com/trpcws/trpcws/httpdriver"
)

// httpOptions is the HTTP driver's configuration from opts: HTTPHeader and
// HTTPHeaderFunc on every request, and HTTPClient.
func httpOptions(opts *Options, url string) httpdriver.Options {
	o := httpdriver.Options{URL: url, HTTPClient: opts.HTTPClient, Stream: opts.HTTPBatchStream}
	if opts.HTTPHeader != nil || opts.HTTPHeaderFunc != nil {
		o.Header = opts.headers
	}
	return o
}

// headers returns HTTPHeader with HTTPHeaderFunc's headers set over it.
func (o *Options) headers(ctx context.Context) (h http.Header, err error) {
	if o.HTTPHeaderFunc == nil {
		return o.HTTPHeader, nil
	}
	defer func() {
		if r := recover(); r != nil {
			h, err = nil, &PanicError{Callback: "HTTPHeaderFunc", Value: r}
		}
	}()
	fresh, err := o.HTTPHeaderFunc(ctx)
	if err != nil {
		return nil, err
	}
	h = o.HTTPHeader.Clone()
	if h == nil {
		h = http.Header{}
	}
	for k, vs := range fresh {
		h[http.CanonicalHeaderKey(k)] = vs
	}
	return h, nil
}
