//go:build js && wasm

// Command hello is the start-up floor for the wasm client: the smallest Go
// program that reaches JavaScript, built like web/trpcws.wasm
// (GOOS=js GOARCH=wasm, -trimpath -ldflags='-s -w'; see bench/run.sh).
// bench/clients.mjs times read + compile + instantiate + run until main
// calls globalThis.__benchHelloReady.
package main

import "syscall/js"

func main() {
	js.Global().Call("__benchHelloReady")
}
