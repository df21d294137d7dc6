//go:build js && wasm

package httpdriver

import (
	"net/http"

	"github.com/trpcws/trpcws/internal/fetch"
)

// defaultClient is Options.HTTPClient's nil: on js/wasm one over the
// host's fetch, as net/http's own transport does not use fetch under
// Node (package fetch).
func defaultClient() *http.Client { return fetch.Client }
