// Package fetch is an http.RoundTripper over the host's fetch, for
// GOOS=js GOARCH=wasm (the package is empty elsewhere).
//
// net/http's own transport on js/wasm uses fetch only in browsers: under
// Node it dials Go's fake in-process network, where every request fails
// with "connection refused". This one calls the global fetch on every
// host that has one (browsers, Node 18 or later, Deno, Bun, workers),
// streams the response body through its ReadableStream reader, and aborts
// the request (its AbortController) when the request's context ends.
package fetch
