//go:build !js

package trpcws_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestGoWasmInNode runs this package's js/wasm tests (client_js_test.go):
// the same API compiled with GOOS=js GOARCH=wasm, in Node 22 (its global
// WebSocket), against the shared real @trpc/server.
func TestGoWasmInNode(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the js/wasm tests: %v", err)
	}
	node22, err := filepath.Abs(filepath.Join("web", "node_modules", ".bin"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(node22, "node")); err != nil {
		t.Fatalf("Node 22 (web/node_modules/.bin/node) is missing: run `make deps`: %v", err)
	}
	out, err := exec.Command(goBin, "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	execScript := filepath.Join(strings.TrimSpace(string(out)), "lib", "wasm", "go_js_wasm_exec")

	// A port nobody listens on, for the tests of a server that is down
	// (fetch refuses port 1 itself, as a "bad port").
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "test", "-v", "-count=1", "-exec="+execScript, ".")
	cmd.Env = append(os.Environ(),
		"GOOS=js", "GOARCH=wasm",
		"PATH="+node22+string(os.PathListSeparator)+os.Getenv("PATH"),
		"TRPCWS_TEST_URL="+shared.URL,
		"TRPCWS_TEST_CLOSED_PORT="+closedPort,
	)
	res, err := cmd.CombinedOutput()
	t.Logf("GOOS=js GOARCH=wasm go test .:\n%s", res)
	if err != nil {
		t.Fatalf("the js/wasm tests failed: %v", err)
	}
	if !strings.Contains(string(res), "ok  \tgithub.com/trpcws/trpcws") {
		t.Fatal("the js/wasm tests did not report ok")
	}
}
