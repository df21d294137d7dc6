//go:build !(js && wasm)

package httpdriver

import "net/http"

// defaultClient is Options.HTTPClient's nil: http.DefaultClient.
func defaultClient() *http.Client { return http.DefaultClient }
