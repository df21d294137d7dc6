//go:build js && wasm

// Command wasm is the WebAssembly build of the tRPC WebSocket client:
// web/index.js loads it (GOOS=js GOARCH=wasm, see build.sh) and drives it
// through the functions package jsbridge exports.
package main

import (
	"os"

	"github.com/trpcws/trpcws/jsbridge"
)

func main() {
	if err := jsbridge.Start(os.Args[1:]); err != nil {
		// web/index.js sees the missing hooks and falls back to the
		// default retry delays; there is nothing else to report to.
		println(err.Error())
	}
	select {} // serve exported calls until the page or process ends
}
