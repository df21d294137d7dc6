// Package nodeclient runs the reliability suites against the WebAssembly
// client: the web package (web/index.js + web/trpcws.wasm) in Node 22,
// driven by the scripts in this folder, against the real test server
// behind the chaos proxy (fault soak) and against the hostile server.
package nodeclient

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trpcws/trpcws/internal/chaos"
	"github.com/trpcws/trpcws/internal/hostile"
	"github.com/trpcws/trpcws/internal/testserver"
)

// node22 returns Node 22 (npm's node@22 in web/node_modules) and the
// repository root. It fails when Node or a fresh web/trpcws.wasm is
// missing: run `make build` (make test builds it first).
func node22(t *testing.T) (string, string) {
	t.Helper()
	root, err := testserver.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	node := filepath.Join(root, "web", "node_modules", ".bin", "node")
	if _, err := os.Stat(node); err != nil {
		t.Fatalf("Node 22 (web/node_modules/.bin/node) is missing: run `make deps`: %v", err)
	}
	wasm, err := os.Stat(filepath.Join(root, "web", "trpcws.wasm"))
	if err != nil {
		t.Fatalf("web/trpcws.wasm is missing: run `make build`")
	}
	for _, dir := range []string{"core", "jsbridge", "wasm"} {
		filepath.WalkDir(filepath.Join(root, dir), func(path string, d os.DirEntry, err error) error {
			if err == nil && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
				if fi, err := d.Info(); err == nil && fi.ModTime().After(wasm.ModTime()) {
					t.Fatalf("web/trpcws.wasm is older than %s: run `make build`", path)
				}
			}
			return nil
		})
	}
	return node, root
}

// runNode starts script with args under Node 22 and returns its stdin and
// a function that waits for its last stdout line, decoded into out.
func runNode(t *testing.T, script string, args ...string) (io.WriteCloser, func(out any)) {
	t.Helper()
	node, root := node22(t)
	cmd := exec.Command(node, append([]string{"--expose-gc", filepath.Join(root, "internal", "nodeclient", script)}, args...)...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan []string, 1)
	go func() {
		var all []string
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			all = append(all, sc.Text())
		}
		lines <- all
	}()
	wait := func(out any) {
		t.Helper()
		var all []string
		select {
		case all = <-lines:
		case <-time.After(5 * time.Minute):
			t.Fatalf("%s did not finish; stderr:\n%s", script, stderr.String())
		}
		err := cmd.Wait()
		if len(all) == 0 || err != nil {
			t.Fatalf("%s: %v; stdout:\n%s\nstderr:\n%s", script, err, strings.Join(all, "\n"), stderr.String())
		}
		for _, l := range all[:len(all)-1] {
			t.Log(l)
		}
		if err := json.Unmarshal([]byte(all[len(all)-1]), out); err != nil {
			t.Fatalf("%s: last line %q: %v", script, all[len(all)-1], err)
		}
	}
	return stdin, wait
}

func soakDuration(t *testing.T) time.Duration {
	if v := os.Getenv("SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("SOAK_DURATION: %v", err)
		}
		return d
	}
	return 20 * time.Second
}

type soakResult struct {
	Events, Lost, Duplicated, Last int
	OK, Closed, TimedOut           int
	Bad, SubErrors                 []string
	Healthy, Resumed               bool
	Opened                         int
	Memory                         map[string]int64
}

// TestWasmFaultSoak is the fault soak of the native driver's soak_test.go
// for the WebAssembly client in Node 22.
func TestWasmFaultSoak(t *testing.T) {
	t.Parallel()
	dur := soakDuration(t)
	srv := testserver.Start(t, testserver.Options{})
	up, _ := url.Parse(srv.URL)
	proxy, err := chaos.New(up.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	stdin, wait := runNode(t, "soak.mjs", "ws://"+proxy.Addr())
	// Let the client connect and subscribe before the faults begin.
	srv.WaitFor(t, "the subscription", 30*time.Second, func(st testserver.Stats) bool { return len(st.StartsFor("events")) > 0 })
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	counts := chaos.Inject(ctx, t, srv, proxy)
	io.WriteString(stdin, "stop\n")
	var r soakResult
	wait(&r)
	t.Logf("wasm soak %v: faults %d %v, sockets opened %d, events %d, lost %d, duplicated %d, queries ok %d / closed %d / timed out %d, Node heap %.1f MB, rss %.1f MB after a forced GC",
		dur, chaos.Total(counts), counts, r.Opened, r.Events, r.Lost, r.Duplicated, r.OK, r.Closed, r.TimedOut,
		float64(r.Memory["heapUsed"])/(1<<20), float64(r.Memory["rss"])/(1<<20))
	if r.Lost != 0 || r.Duplicated != 0 {
		t.Errorf("lost %d, duplicated %d events", r.Lost, r.Duplicated)
	}
	if r.Events == 0 || r.OK == 0 {
		t.Errorf("no traffic: %d events, %d queries", r.Events, r.OK)
	}
	for _, b := range append(r.Bad, r.SubErrors...) {
		t.Errorf("%s", b)
	}
	if !r.Healthy {
		t.Error("the client is not connected 30 s after the faults stopped")
	}
	if !r.Resumed {
		t.Errorf("the subscription delivers nothing after the faults (last id %d)", r.Last)
	}
}

type hostileResult struct {
	Classes []struct {
		Name          string
		Hostile       string
		Health        string
		Errors        int
		HeapMB, RssMB float64
		Ms            int
	}
	UncaughtErrors []string
}

// TestWasmHostileServer runs the hostile-server suite against the
// WebAssembly client in Node 22: after every class the client answers a
// health call, malformed frames reach onError as TRPCWebSocketFrameError
// (unless the host failed the connection first), and memory stays bounded.
func TestWasmHostileServer(t *testing.T) {
	t.Parallel()
	srv, err := hostile.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var names []string
	for _, c := range hostile.Classes {
		names = append(names, c.Name)
	}
	_, wait := runNode(t, "hostile.mjs", srv.URL, strings.Join(names, ","))
	var r hostileResult
	wait(&r)
	if len(r.Classes) != len(hostile.Classes) {
		t.Fatalf("%d classes run, want %d", len(r.Classes), len(hostile.Classes))
	}
	for i, got := range r.Classes {
		class := hostile.Classes[i]
		t.Logf("%-18s %5d ms; frame errors reported %d; rss %.1f MB, heap %.1f MB", got.Name, got.Ms, got.Errors, got.RssMB, got.HeapMB)
		if got.Hostile != "ok" && !((class.Drops || class.WebDrops) && got.Hostile == "closed") {
			t.Errorf("%s: the hostile call: %s", got.Name, got.Hostile)
		}
		if got.Health != "ok" {
			t.Errorf("%s: health call after it: %s", got.Name, got.Health)
		}
		if class.Malformed && !class.WebDrops && got.Errors == 0 {
			t.Errorf("%s: no TRPCWebSocketFrameError reported to onError", got.Name)
		}
		if got.RssMB > 1024 {
			t.Errorf("%s: rss %.0f MB", got.Name, got.RssMB)
		}
	}
	for _, e := range r.UncaughtErrors {
		t.Errorf("uncaught in Node: %s", e)
	}
	if t.Failed() {
		fmt.Fprintln(os.Stderr, "hostile server sent:", srv.Sent())
	}
}
