//go:build js && wasm

// Command wasm is the WebAssembly build of the tRPC WebSocket client:
// web/index.js loads it (GOOS=js GOARCH=wasm, see build.sh) and drives it
// through the functions package jsbridge exports.
package main

import (
	_ "github.com/trpcws/trpcws/jsbridge" // the exported functions
)

func main() {
	select {} // serve exported calls until the page or process ends
}
