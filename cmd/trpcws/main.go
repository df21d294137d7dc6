//go:build !js

// Command trpcws calls a tRPC server over its WebSocket transport from the
// command line, as grpcurl does for gRPC: queries, mutations and
// subscriptions, with the connection behaviour of the trpcws library
// (reconnects, resumed tracked subscriptions, keep-alive).
//
//	go install github.com/trpcws/trpcws/cmd/trpcws@latest
//	trpcws query ws://127.0.0.1:3000 echo '"hello"'
//	trpcws mutate ws://127.0.0.1:3000 add '{"a":1,"b":2}'
//	trpcws subscribe ws://127.0.0.1:3000 events '{"max":3}' --last-event-id 1
//
// A result goes to stdout as JSON, indented on a terminal and compact when
// piped; a subscription prints one JSON line per event ({"id":…,"data":…}
// for tracked events). Input is the JSON argument, or - to read it from
// stdin. Run `trpcws help` for the flags, `trpcws help query` (or
// `trpcws query --help`) for one command's flags and examples.
//
// Exit codes:
//
//	0  success; a subscription the server ended; a subscription ended by Ctrl-C
//	1  the server answered with an error (its tRPC code and message on stderr)
//	2  usage: bad arguments, flags, URL or JSON input
//	3  connection failure: the server cannot be reached, or the connection was lost
//	4  timeout (--timeout)
//	5  the server's result could not be printed (not JSON)
//	130  interrupted (Ctrl-C) during a query or mutation
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, isTerminal(os.Stdout)))
}

// isTerminal tells whether f is a character device (a terminal), without a
// dependency: results are indented there and compact when piped.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
