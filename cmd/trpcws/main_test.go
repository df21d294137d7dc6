//go:build !js

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trpcws/trpcws"
	"github.com/trpcws/trpcws/internal/testserver"
)

// These tests build the trpcws binary and run it against the real
// @trpc/server (testserver/), as a user would.

var (
	binary string
	shared *testserver.Server
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "trpcws-cli")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "trpcws")
	build := exec.Command("go", "build", "-o", binary, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		return 1
	}
	srv, stop, err := testserver.Run(context.Background(), testserver.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot start the test server:", err)
		return 1
	}
	defer stop()
	shared = srv
	return m.Run()
}

type result struct {
	code           int
	stdout, stderr string
}

// cli runs the binary with args (and stdin) and waits for it.
func cli(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		r.code = exitErr.ExitCode()
	default:
		t.Fatalf("running trpcws %q: %v", args, err)
	}
	return r
}

func (r result) expect(t *testing.T, code int, stdout string, stderrHas ...string) {
	t.Helper()
	if r.code != code || r.stdout != stdout {
		t.Fatalf("exit %d, stdout %q (stderr %q); want exit %d, stdout %q", r.code, r.stdout, r.stderr, code, stdout)
	}
	for _, s := range stderrHas {
		if !strings.Contains(r.stderr, s) {
			t.Fatalf("stderr %q does not contain %q", r.stderr, s)
		}
	}
}

func TestQueryAndMutate(t *testing.T) {
	u := shared.URL
	cli(t, "", "query", u, "echo", `{"a": [1, 2]}`).expect(t, 0, `{"a":[1,2]}`+"\n")
	cli(t, "", "mutate", u, "add", `{"a":1,"b":2}`).expect(t, 0, "3\n")
	// Input from stdin, flags after the arguments.
	cli(t, " \"from stdin\"\n", "query", u, "echo", "-", "--timeout", "10s").expect(t, 0, `"from stdin"`+"\n")
	// No input, a void result: nothing printed.
	cli(t, "", "mutate", "--lazy", u, "voidMutation").expect(t, 0, "")
	// An input that looks like a flag, after --.
	cli(t, "", "query", u, "echo", "--", "-1").expect(t, 0, "-1\n")
	// connectionParams from k=v and from JSON.
	cli(t, "", "query", u, "whoami", "--params", "token=good", "--params", "user=me").expect(t, 0, `{"token":"good","user":"me"}`+"\n")
	cli(t, "", "query", "--params-json", `{"token":"j"}`, u, "whoami").expect(t, 0, `{"token":"j"}`+"\n")
	// Keep-alive and a header are accepted (the handshake carries the header).
	cli(t, "", "query", u, "echo", "1", "--keepalive", "5s", "--header", "X-Test: yes").expect(t, 0, "1\n")
}

// TestSuperjson: --superjson against a server created with superjson, over
// the WebSocket and HTTP: results, errors and events as plain JSON.
func TestSuperjson(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Transformer: "superjson"})
	for _, u := range []string{srv.URL, srv.HTTP + "/trpc"} {
		cli(t, "", "query", u, "describeInput", `{"a":[1,null]}`, "--superjson").expect(t, 0, `"{\"a\":[1,null]}"`+"\n")
		cli(t, "", "query", "--superjson", u, "describeInput").expect(t, 0, `"undefined"`+"\n")
		cli(t, "", "mutate", u, "add", `{"a":1,"b":2}`, "--superjson").expect(t, 0, "3\n")
		cli(t, "", "query", u, "fail", `{"code":"NOT_FOUND","message":"gone"}`, "--superjson").expect(t, 1, "", "NOT_FOUND", "gone")
		cli(t, "", "subscribe", u, "richEvents", `{"max":2}`, "--superjson", "--last-event-id", "1").expect(t, 0,
			`{"id":"2","data":{"n":2,"at":"1970-01-01T00:00:02.000Z","big":200000000000000000000}}`+"\n")
		// Without the flag the envelope shows.
		cli(t, "", "mutate", u, "add", `{"json":{"a":1,"b":2}}`).expect(t, 0, `{"json":3}`+"\n")
	}
}

func TestVerboseShowsDebugEvents(t *testing.T) {
	r := cli(t, "", "query", "-v", shared.URL, "echo", `"v"`)
	r.expect(t, 0, `"v"`+"\n", `msg="trpcws: attempt" attempt=0`, `msg="trpcws: open" socket=1`,
		`msg="trpcws: state" state=pending`, `msg="trpcws: close" socket=1 code=1000`)
	// Without -v, nothing on stderr.
	cli(t, "", "query", shared.URL, "echo", `"q"`).expect(t, 0, `"q"`+"\n")
	if r := cli(t, "", "query", shared.URL, "echo", `"q"`); r.stderr != "" {
		t.Fatalf("stderr without -v: %q", r.stderr)
	}
}

func TestServerErrors(t *testing.T) {
	u := shared.URL
	cli(t, "", "query", u, "x").expect(t, 1, "", `trpcws: NOT_FOUND (404): No "query"-procedure on path "x"`)
	cli(t, "", "query", u, "fail", `{"code":"FORBIDDEN","message":"go away"}`).expect(t, 1, "", "FORBIDDEN (403): go away")
	cli(t, "", "mutate", u, "add", `"nope"`).expect(t, 1, "", "BAD_REQUEST (400)")
	cli(t, "", "subscribe", u, "failingSub", `{"after":2}`).expect(t, 1, "0\n1\n", "BAD_REQUEST (400): sub failed")
}

func TestUsageErrors(t *testing.T) {
	u := shared.URL
	for _, tc := range []struct {
		args []string
		says string
	}{
		{nil, "Usage:"},
		{[]string{"fetch", u, "echo"}, `no command "fetch"`},
		{[]string{"query", u}, "needs a URL and a procedure path"},
		{[]string{"query", u, "echo", "1", "2"}, "too many arguments"},
		{[]string{"query", u, "echo", "{bad"}, "the input argument is not valid JSON"},
		{[]string{"query", u, "echo", ""}, "is empty"},
		{[]string{"query", "not a url", "echo"}, `bad URL "not a url"`},
		{[]string{"query", "ftp://127.0.0.1/", "echo"}, `bad URL "ftp://127.0.0.1/"`},
		{[]string{"query", "ws://", "echo"}, "no host"},
		{[]string{"query", u, "echo", "--header", "no colon"}, `want "Name: value"`},
		{[]string{"query", u, "echo", "--params", "novalue"}, "want key=value"},
		{[]string{"query", u, "echo", "--params-json", `{"n":1}`}, "JSON object of strings"},
		{[]string{"query", u, "echo", "--timeout", "soon"}, "invalid value"},
		{[]string{"query", u, "echo", "--last-event-id", "1"}, "flag provided but not defined"},
	} {
		cli(t, "", tc.args...).expect(t, 2, "", tc.says)
	}
	cli(t, "{bad", "mutate", u, "add", "-").expect(t, 2, "", "the input on stdin is not valid JSON")
}

func TestHelp(t *testing.T) {
	top := cli(t, "", "--help")
	if top.code != 0 || !strings.Contains(top.stdout, "Exit codes:") {
		t.Fatalf("--help: %+v", top)
	}
	for _, cmd := range []string{"query", "mutate", "subscribe"} {
		for _, args := range [][]string{{cmd, "--help"}, {"help", cmd}, {cmd, "-h"}} {
			r := cli(t, "", args...)
			if r.code != 0 || !strings.Contains(r.stdout, "Usage: trpcws "+cmd) || !strings.Contains(r.stdout, "Examples") || !strings.Contains(r.stdout, "-timeout") {
				t.Fatalf("%q: %+v", args, r)
			}
		}
	}
	if r := cli(t, "", "subscribe", "--help"); !strings.Contains(r.stdout, "-last-event-id") {
		t.Fatalf("subscribe --help lacks --last-event-id: %s", r.stdout)
	}
}

// --version, -version and version print the library's version.
func TestVersion(t *testing.T) {
	for _, arg := range []string{"--version", "-version", "version"} {
		cli(t, "", arg).expect(t, 0, "trpcws "+trpcws.Version+"\n")
	}
}

// The examples in the help text run as written against the test server
// (port 3001: one created with superjson).
func TestHelpExamplesRun(t *testing.T) {
	sj := testserver.Start(t, testserver.Options{Transformer: "superjson"})
	for cmd, text := range examples {
		for _, line := range strings.Split(text, "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "trpcws ") || strings.Contains(line, "onMessage") || strings.Contains(line, "stdin") {
				continue
			}
			want := 0
			if i := strings.Index(line, "# exit "); i >= 0 {
				fmt.Sscanf(line[i:], "# exit %d", &want)
			}
			line, _, _ = strings.Cut(line, "#")
			line = strings.ReplaceAll(line, "http://127.0.0.1:3001", sj.HTTP)
			args := shellWords(t, strings.ReplaceAll(line, "ws://127.0.0.1:3000", shared.URL))[1:]
			if r := cli(t, "", args...); r.code != want {
				t.Errorf("%s example %q: exit %d, want %d (stderr %q)", cmd, line, r.code, want, r.stderr)
			}
		}
	}
}

// shellWords splits a line with single quotes the way sh would.
func shellWords(t *testing.T, line string) []string {
	var words []string
	var cur strings.Builder
	in, quoted := false, false
	for _, r := range line {
		switch {
		case r == '\'':
			quoted, in = !quoted, true
		case r == ' ' && !quoted:
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

// freeURL is a ws:// URL where nothing listens.
func freeURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "ws://" + addr
}

func TestServerDown(t *testing.T) {
	u := freeURL(t)
	cli(t, "", "query", u, "echo", "1").expect(t, 3, "", "cannot connect to "+u, "connection refused")
	cli(t, "", "subscribe", u, "counter").expect(t, 3, "", "cannot connect to "+u)
	cli(t, "", "query", "ws://no-such-host.invalid", "echo").expect(t, 3, "", "cannot connect to ws://no-such-host.invalid")
}

func TestTimeout(t *testing.T) {
	cli(t, "", "query", shared.URL, "slow", `{"ms":20000}`, "--timeout", "300ms").expect(t, 4, "", "timed out after 300ms")
	r := cli(t, "", "subscribe", shared.URL, "events", `{"intervalMs":1000000}`, "--timeout", "300ms")
	if r.code != 4 || !strings.Contains(r.stderr, "timed out after 300ms") {
		t.Fatalf("subscribe with --timeout: %+v", r)
	}
}

func TestSubscribeUntilTheServerEndsIt(t *testing.T) {
	u := shared.URL
	cli(t, "", "subscribe", u, "counter", `{"count":3,"intervalMs":1}`).expect(t, 0, "0\n1\n2\n", "trpcws: connected")
	cli(t, "", "subscribe", u, "events", `{"max":4,"intervalMs":1}`, "--last-event-id", "2").
		expect(t, 0, `{"id":"3","data":{"n":3}}`+"\n"+`{"id":"4","data":{"n":4}}`+"\n")
}

// started is a running trpcws whose output is read line by line.
type started struct {
	cmd    *exec.Cmd
	lines  chan string
	stderr *lockedBuffer
}

type lockedBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}

func start(t *testing.T, args ...string) *started {
	t.Helper()
	cmd := exec.Command(binary, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &started{cmd: cmd, lines: make(chan string, 1000), stderr: &lockedBuffer{mu: make(chan struct{}, 1)}}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		close(s.lines)
	}()
	return s
}

func (s *started) line(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-s.lines:
		if !ok {
			t.Fatalf("trpcws ended early; stderr:\n%s", s.stderr.String())
		}
		return l
	case <-time.After(30 * time.Second):
		t.Fatalf("no line from trpcws; stderr:\n%s", s.stderr.String())
	}
	return ""
}

func (s *started) wait(t *testing.T) (int, []string) {
	t.Helper()
	var rest []string
	for l := range s.lines {
		rest = append(rest, l)
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return exitErr.ExitCode(), rest
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, rest
	case <-time.After(30 * time.Second):
		t.Fatalf("trpcws did not exit; stderr:\n%s", s.stderr.String())
	}
	return -1, nil
}

// Ctrl-C during a subscription: the server sees the stop, the process
// exits 0.
func TestSubscribeInterruptStopsOnTheServer(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	s := start(t, "subscribe", srv.URL, "events", `{"intervalMs":20}`)
	if l := s.line(t); l != `{"id":"1","data":{"n":1}}` {
		t.Fatalf("first line %q", l)
	}
	s.line(t)
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	code, _ := s.wait(t)
	if code != 0 {
		t.Fatalf("exit %d after SIGINT; stderr:\n%s", code, s.stderr.String())
	}
	st := srv.WaitFor(t, "the subscription's end and the socket's close", 10*time.Second, func(st testserver.Stats) bool {
		return len(st.EndsFor("events")) == 1 && st.Connections == 0
	})
	if st.StopFrames != 1 || st.EndsFor("events")[0].Reason != "aborted" {
		t.Fatalf("the server saw %d stop frames, end %+v", st.StopFrames, st.EndsFor("events"))
	}
	if c := st.ConnectionLog[0].CloseCode; c != 1000 {
		t.Fatalf("socket closed with %d, want 1000", c)
	}
}

// Ctrl-C during a query: exit 130.
func TestQueryInterrupted(t *testing.T) {
	s := start(t, "query", shared.URL, "slow", `{"ms":20000}`, "-v")
	// -v logs the client's states: the query is sent once it is pending
	// (connected). The query takes 20 s, so SIGINT must come well before.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.stderr.String(), "state=pending") {
		if time.Now().After(deadline) {
			t.Fatalf("not connected after 10 s; stderr:\n%s", s.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code, _ := s.wait(t); code != 130 || !strings.Contains(s.stderr.String(), "interrupted") {
		t.Fatalf("exit %d; stderr:\n%s", code, s.stderr.String())
	}
}

// A lost connection during a subscription: the state changes go to stderr
// and the tracked subscription resumes after the last event printed.
func TestSubscribeResumesAfterDrop(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	s := start(t, "subscribe", srv.URL, "events", `{"intervalMs":5}`)
	var lines []string
	for len(lines) < 5 {
		lines = append(lines, s.line(t))
	}
	srv.Drop(t) // the subscription is endless: it is live when the socket drops
	for len(lines) < 15 {
		lines = append(lines, s.line(t))
	}
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	code, rest := s.wait(t)
	lines = append(lines, rest...)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, s.stderr.String())
	}
	for i, l := range lines {
		if want := fmt.Sprintf(`{"id":"%d","data":{"n":%d}}`, i+1, i+1); l != want {
			t.Fatalf("line %d is %s, want %s; events:\n%s", i+1, l, want, strings.Join(lines, "\n"))
		}
	}
	stderr := s.stderr.String()
	if !strings.Contains(stderr, "trpcws: connecting (WebSocket closed (code 1006)") || strings.Count(stderr, "trpcws: connected") != 2 {
		t.Fatalf("stderr:\n%s", stderr)
	}
	starts := srv.Stats(t).StartsFor("events")
	if len(starts) != 2 || starts[1].LastEventID == "" {
		t.Fatalf("subscription starts %+v", starts)
	}
}

// The terminal check: indented output needs a terminal, which a test has
// not; run drives it directly.
func TestIndentOnATerminal(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"query", shared.URL, "echo", `{"a":1}`}, strings.NewReader(""), &out, &errb, true)
	if code != 0 || out.String() != "{\n  \"a\": 1\n}\n" {
		t.Fatalf("exit %d, %q, %q", code, out.String(), errb.String())
	}
}

// A server that rejects the connection (createContext throws on bad
// connectionParams): a server error, with its code.
func TestRejectedConnection(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	srv.Set(t, true, false)
	cli(t, "", "query", srv.URL, "whoami", "--params", "token=bad").expect(t, 1, "", "UNAUTHORIZED (401): bad token")
	cli(t, "", "query", srv.URL, "whoami", "--params", "token=good").expect(t, 0, `{"token":"good"}`+"\n")
}

// --header reaches the WebSocket handshake; a handshake the server refuses
// is a connection failure.
func TestHeaderIsSentWithTheHandshake(t *testing.T) {
	got := make(chan http.Header, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case got <- r.Header.Clone():
		default:
		}
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer srv.Close()
	u := "ws" + strings.TrimPrefix(srv.URL, "http")
	cli(t, "", "query", u, "echo", "--header", "Authorization: Bearer abc", "--header", "X-Two: 2").
		expect(t, 3, "", "cannot connect to "+u, "403")
	h := <-got
	if h.Get("Authorization") != "Bearer abc" || h.Get("X-Two") != "2" {
		t.Fatalf("handshake headers %v", h)
	}
}
