// Command genjs writes the JavaScript modules generated from Go:
// web/lib/constants.js (the numbers jsbridge shares with web/lib, from
// jsbridge/wire.go) and web/lib/protocol.js (what early start writes and
// knows of the protocol, taken from core). `go generate ./jsbridge` runs it;
// its test fails when either file is stale.
//
//	go run ./internal/genjs -out web/lib
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	out := flag.String("out", "web/lib", "the directory to write constants.js and protocol.js to")
	flag.Parse()
	for name, render := range files {
		if err := os.WriteFile(filepath.Join(*out, name), render(), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "genjs:", err)
			os.Exit(1)
		}
	}
}

// files are the generated modules by file name.
var files = map[string]func() []byte{
	"constants.js": constantsJS,
	"protocol.js":  protocolJS,
}
