//go:build !js

package trpcws_test

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// The main module stays free of OpenTelemetry: it lives in the nested
// module otel/ (own go.mod), which users add only when they want it.
// Checked on the packages and their tests, natively and for js/wasm. Not
// parallel: go list is CPU-heavy, and runs here before the parallel tests
// that talk to servers start.
func TestNoOpenTelemetryInMainModule(t *testing.T) {
	mod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(mod), "opentelemetry") {
		t.Fatal("go.mod requires OpenTelemetry")
	}
	gobin := runtime.GOROOT() + "/bin/go"
	for _, goos := range []string{"", "js"} {
		cmd := exec.Command(gobin, "list", "-deps", "-test", "./...")
		if goos != "" {
			cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list (GOOS=%q): %v\n%s", goos, err, out)
		}
		for _, pkg := range strings.Fields(string(out)) {
			if strings.Contains(pkg, "opentelemetry") || strings.HasPrefix(pkg, "github.com/trpcws/trpcws/otel") {
				t.Fatalf("the main module depends on %s (GOOS=%q)", pkg, goos)
			}
		}
	}
}
