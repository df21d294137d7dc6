// Package testserver starts the project's real tRPC test server (Node + @trpc/server) for tests.
//
// The server is testserver/server.mjs at the repository root: the real
// @trpc/server 11.25.2 with ws 8 through applyWSSHandler, plus plain-HTTP
// control endpoints under /control/ on the same port (see testserver/README.md).
// Its npm dependencies must be installed (`make deps`, i.e. `npm ci` in
// testserver/); Start fails the test when they are not, it never skips.
//
// The Node binary is `node` from PATH, or the one named by $TRPCWS_NODE.
// Set TRPCWS_TESTSERVER_VERBOSE=1 to stream the server's stderr log to the
// test's stderr; otherwise its last lines are logged when a test fails.
//
// This package is never part of the wasm build.
package testserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Options select how the server is started.
type Options struct {
	// Transformer is "" (plain JSON) or "superjson".
	Transformer string
	// Static, if set, is a directory served for plain GETs (demo pages).
	Static string
	// Port to listen on; 0 picks a free port.
	Port int
	// ExtraArgs are appended to the server's command line, e.g.
	// []string{"--server-keepalive", "200,100"} or "--no-stack".
	ExtraArgs []string
	// Root is the repository root; "" finds it by walking up from the
	// working directory to the directory holding go.mod.
	Root string
	// Stderr, if set, also receives the server's stderr log (Run only;
	// Start decides by TRPCWS_TESTSERVER_VERBOSE).
	Stderr io.Writer
}

// Server is a running test server.
type Server struct {
	URL  string // ws://127.0.0.1:PORT
	HTTP string // http://127.0.0.1:PORT
	Port int

	cmd    *exec.Cmd
	stdin  io.WriteCloser
	logs   *lineLog
	client *http.Client

	done    chan struct{} // closed when the process has exited
	waitErr error         // set before done is closed

	stopOnce sync.Once
	stopping chan struct{} // closed when stop begins
}

// StartTimeout bounds how long Start and Run wait for the LISTENING line.
const StartTimeout = 30 * time.Second

// RepoRoot returns the nearest directory at or above the working directory
// that holds go.mod and testserver/ (the repository's root, also from a
// nested module such as otel/).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "testserver", "server.mjs")); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testserver: no go.mod found above the working directory")
		}
		dir = parent
	}
}

// ErrNoDeps is returned by Run when testserver/node_modules is missing.
var ErrNoDeps = errors.New("testserver: testserver/node_modules is missing: run `make deps` (npm ci in testserver)")

// Start starts a test server for tb and registers its shutdown with
// tb.Cleanup. It fails tb (never skips) when Node or the npm dependencies are
// missing or the server does not come up within StartTimeout.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if opts.Stderr == nil && os.Getenv("TRPCWS_TESTSERVER_VERBOSE") != "" {
		opts.Stderr = os.Stderr
	}
	s, stop, err := Run(context.Background(), opts)
	if err != nil {
		if errors.Is(err, ErrNoDeps) {
			tb.Fatalf("run `make deps` (npm ci in testserver): %v", err)
		}
		tb.Fatalf("testserver: %v", err)
	}
	tb.Cleanup(func() {
		crashed := s.exited()
		stop()
		if crashed {
			tb.Errorf("testserver: the server exited during the test (%v); its last log lines:\n%s", s.waitErr, s.Logs())
			return
		}
		if tb.Failed() {
			tb.Logf("testserver: last log lines of %s:\n%s", s.URL, s.Logs())
		}
	})
	return s
}

// Run starts a test server outside of a test (benchmarks, demo commands).
// ctx bounds the start-up and the server's life: when ctx is done the server
// is stopped. stop stops it (SIGTERM, then SIGKILL after 3s) and waits for it
// to exit; it may be called more than once.
func Run(ctx context.Context, opts Options) (*Server, func(), error) {
	root := opts.Root
	if root == "" {
		r, err := RepoRoot()
		if err != nil {
			return nil, nil, err
		}
		root = r
	}
	script := filepath.Join(root, "testserver", "server.mjs")
	if _, err := os.Stat(script); err != nil {
		return nil, nil, fmt.Errorf("testserver: %s not found (repository root %s)", script, root)
	}
	if _, err := os.Stat(filepath.Join(root, "testserver", "node_modules", "@trpc", "server", "package.json")); err != nil {
		return nil, nil, ErrNoDeps
	}
	node := os.Getenv("TRPCWS_NODE")
	if node == "" {
		node = "node"
	}
	nodePath, err := exec.LookPath(node)
	if err != nil {
		return nil, nil, fmt.Errorf("testserver: node not found (set TRPCWS_NODE): %w", err)
	}

	args := []string{script, "--port", strconv.Itoa(opts.Port)}
	if opts.Transformer != "" {
		args = append(args, "--transformer", opts.Transformer)
	}
	if opts.Static != "" {
		static, err := filepath.Abs(opts.Static)
		if err != nil {
			return nil, nil, err
		}
		args = append(args, "--static", static)
	}
	args = append(args, opts.ExtraArgs...)

	cmd := exec.Command(nodePath, args...)
	cmd.Dir = root
	cmd.Env = os.Environ()
	logs := &lineLog{max: 300, tee: opts.Stderr}
	listening := make(chan string, 1)
	cmd.Stdout = &lineWriter{onLine: func(line string) {
		logs.add("stdout: " + line)
		select {
		case listening <- line:
		default:
		}
	}}
	cmd.Stderr = &lineWriter{onLine: logs.add}
	// Wait must not hang on the output copiers if the process is gone.
	cmd.WaitDelay = 2 * time.Second
	// The server exits when its stdin pipe closes: if this process dies,
	// the server goes with it.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("testserver: starting %s: %w", nodePath, err)
	}
	s := &Server{
		cmd:      cmd,
		stdin:    stdin,
		logs:     logs,
		done:     make(chan struct{}),
		stopping: make(chan struct{}),
		client: &http.Client{
			Timeout: 30 * time.Second,
			// Fresh connections: the server drops them all on restart.
			Transport: &http.Transport{DisableKeepAlives: true},
		},
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	stop := func() { s.stop() }

	timer := time.NewTimer(StartTimeout)
	defer timer.Stop()
	var line string
	select {
	case line = <-listening:
	case <-s.done:
		return nil, nil, fmt.Errorf("testserver: server exited before listening (%v):\n%s", s.waitErr, logs.String())
	case <-timer.C:
		stop()
		return nil, nil, fmt.Errorf("testserver: no LISTENING line within %v:\n%s", StartTimeout, logs.String())
	case <-ctx.Done():
		stop()
		return nil, nil, ctx.Err()
	}
	port, err := parseListening(line)
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("testserver: %w:\n%s", err, logs.String())
	}
	s.Port = port
	s.URL = "ws://127.0.0.1:" + strconv.Itoa(port)
	s.HTTP = "http://127.0.0.1:" + strconv.Itoa(port)
	if ctx.Done() != nil {
		go func() {
			select {
			case <-ctx.Done():
				s.stop()
			case <-s.stopping:
			case <-s.done:
			}
		}()
	}
	return s, stop, nil
}

func parseListening(line string) (int, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), "LISTENING ")
	if !ok {
		return 0, fmt.Errorf("unexpected first stdout line %q", line)
	}
	port, err := strconv.Atoi(rest)
	if err != nil || port <= 0 || port > 65535 {
		return 0, fmt.Errorf("bad port in %q", line)
	}
	return port, nil
}

func (s *Server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *Server) stop() {
	s.stopOnce.Do(func() {
		close(s.stopping)
		if s.exited() {
			return
		}
		if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			_ = s.cmd.Process.Kill()
		}
		_ = s.stdin.Close()
		select {
		case <-s.done:
		case <-time.After(3 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
		s.client.CloseIdleConnections()
	})
}

// Logs returns the last lines the server wrote (stderr, and stdout prefixed
// with "stdout: ").
func (s *Server) Logs() string { return s.logs.String() }

// Done is closed when the server process has exited.
func (s *Server) Done() <-chan struct{} { return s.done }

// ---------------------------------------------------------------- controls

// Control calls /control/<what> with the query q and decodes the JSON reply
// into out (if not nil). It is the non-test form of the methods below.
func (s *Server) Control(ctx context.Context, what string, q url.Values, out any) error {
	u := s.HTTP + "/control/" + what
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	res, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("control %s: %s: %s", what, res.Status, bytes.TrimSpace(body))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("control %s: decoding %q: %w", what, body, err)
	}
	return nil
}

func (s *Server) control(tb testing.TB, what string, q url.Values, out any) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Control(ctx, what, q, out); err != nil {
		tb.Fatalf("testserver: %v", err)
	}
}

// Stats returns the server's counters and records.
func (s *Server) Stats(tb testing.TB) Stats {
	tb.Helper()
	var st Stats
	s.control(tb, "stats", nil, &st)
	return st
}

// Reset clears the stats, the settings (rejectParams, noPong) and the demo
// state (chat messages, counter). Open connections stay open.
func (s *Server) Reset(tb testing.TB) {
	tb.Helper()
	s.control(tb, "reset", nil, nil)
}

// Drop terminates every client socket abruptly (clients see 1006).
func (s *Server) Drop(tb testing.TB) {
	tb.Helper()
	s.control(tb, "drop", nil, nil)
}

// CloseAll closes every client socket with code (1000 or 3000-4999).
func (s *Server) CloseAll(tb testing.TB, code int) {
	tb.Helper()
	s.CloseAllWithReason(tb, code, "")
}

// CloseAllWithReason closes every client socket with code and reason.
func (s *Server) CloseAllWithReason(tb testing.TB, code int, reason string) {
	tb.Helper()
	q := url.Values{"code": {strconv.Itoa(code)}}
	if reason != "" {
		q.Set("reason", reason)
	}
	s.control(tb, "close", q, nil)
}

// Reconnect makes the server send {"id":null,"method":"reconnect"} to every
// client (broadcastReconnectNotification).
func (s *Server) Reconnect(tb testing.TB) {
	tb.Helper()
	s.control(tb, "reconnect", nil, nil)
}

// Set sets the two toggles: rejectParams makes createContext throw
// UNAUTHORIZED "bad token" unless connectionParams.token is the current
// token ("good" unless SetToken changed it; new connections only); noPong
// makes the server swallow its PONG replies.
func (s *Server) Set(tb testing.TB, rejectParams, noPong bool) {
	tb.Helper()
	s.control(tb, "set", url.Values{"rejectParams": {boolParam(rejectParams)}, "noPong": {boolParam(noPong)}}, nil)
}

// SetToken sets the current token: the procedures secret and secretAdd
// answer UNAUTHORIZED "token expired" on connections whose
// connectionParams.token is another one (and so does createContext with
// rejectParams on). Reset brings back "good".
func (s *Server) SetToken(tb testing.TB, token string) {
	tb.Helper()
	s.control(tb, "set", url.Values{"token": {token}}, nil)
}

func boolParam(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// Restart takes the server down and brings it back on the same port after
// down. When it returns the server is down: every socket has been
// terminated (clients see 1006) and the port is closed. Controls fail until
// it is back; use WaitUp or WaitFor (which tolerates the down time).
// Chat messages and the counter survive; stats do not reset (Generation is
// incremented when it is back).
func (s *Server) Restart(tb testing.TB, down time.Duration) {
	tb.Helper()
	s.control(tb, "restart", url.Values{"downMs": {strconv.FormatInt(down.Milliseconds(), 10)}}, nil)
}

// WaitUp waits until the server answers controls again (after Restart).
func (s *Server) WaitUp(tb testing.TB, timeout time.Duration) Stats {
	tb.Helper()
	return s.WaitFor(tb, "server up", timeout, func(Stats) bool { return true })
}

// WaitFor polls the stats every 10ms until cond returns true and returns
// those stats; it fails tb after timeout. Errors reaching the server (it
// may be restarting) are retried until then.
func (s *Server) WaitFor(tb testing.TB, what string, timeout time.Duration, cond func(Stats) bool) Stats {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	var last Stats
	var lastErr error
	have := false
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		var st Stats
		err := s.Control(ctx, "stats", nil, &st)
		cancel()
		if err == nil {
			last, have, lastErr = st, true, nil
			if cond(st) {
				return st
			}
		} else {
			lastErr = err
		}
		if s.exited() {
			tb.Fatalf("testserver: server exited while waiting for %s (%v):\n%s", what, s.waitErr, s.Logs())
		}
		if time.Now().After(deadline) {
			summary := "no stats"
			if have {
				summary = last.Summary()
			}
			if lastErr != nil {
				summary += "; last error: " + lastErr.Error()
			}
			tb.Fatalf("testserver: timed out after %v waiting for %s; %s", timeout, what, summary)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ---------------------------------------------------------------- stats

// Stats is the reply of /control/stats.
type Stats struct {
	Connections      int               `json:"connections"`      // open now
	TotalConnections int               `json:"totalConnections"` // since start or reset
	ConnectionParams []json.RawMessage `json:"connectionParams"` // one per createContext call; null when none were sent
	ConnectionLog    []ConnInfo        `json:"connectionLog"`

	SubscriptionStarts []SubStart `json:"subscriptionStarts"`
	SubscriptionEnds   []SubEnd   `json:"subscriptionEnds"`

	FramesIn   []string `json:"framesIn"` // last 500 text frames from clients, in order (PING included)
	FrameLog   []Frame  `json:"frameLog"` // last 1000 frames both ways, with connection ids
	StopFrames int      `json:"stopFrames"`
	Pings      int      `json:"pings"`     // PING frames received
	PongsSent  int      `json:"pongsSent"` // PONG frames actually sent
	PingsSent  int      `json:"pingsSent"` // server keepAlive PINGs

	SecretMutations int `json:"secretMutations"` // secretAdd runs that passed the token check

	Messages    int      `json:"messages"` // chat messages stored
	Counter     int      `json:"counter"`  // shared counter (getCount/increment)
	Settings    Settings `json:"settings"`
	Generation  int      `json:"generation"` // 1, +1 per restart
	Port        int      `json:"port"`
	Transformer string   `json:"transformer"`
}

// Settings are the toggles of /control/set.
type Settings struct {
	RejectParams bool   `json:"rejectParams"`
	NoPong       bool   `json:"noPong"`
	Token        string `json:"token"`
}

// ConnInfo describes one WebSocket connection the server accepted.
type ConnInfo struct {
	ID               int             `json:"id"`
	URL              string          `json:"url"` // request path and query, e.g. "/?connectionParams=1"
	Generation       int             `json:"generation"`
	OpenedAt         int64           `json:"openedAt"` // Unix ms
	ClosedAt         int64           `json:"closedAt"` // Unix ms; 0 while open
	CloseCode        int             `json:"closeCode"`
	CloseReason      string          `json:"closeReason"`
	ConnectionParams json.RawMessage `json:"connectionParams"`
}

// Frame is one frame of the frame log.
type Frame struct {
	Conn int    `json:"conn"`
	Dir  string `json:"dir"` // "in" (client → server) or "out"
	Data string `json:"data"`
}

// SubStart records a subscription procedure starting to run (right after
// the server sent "started").
type SubStart struct {
	Path        string          `json:"path"`
	Conn        int             `json:"conn"`        // connection id (see ConnectionLog)
	ID          string          `json:"id"`          // the request id, best effort; "" if unknown
	LastEventID string          `json:"lastEventId"` // "" when none
	Input       json.RawMessage `json:"input"`       // raw input (lastEventId merged in by the adapter)
	Generation  int             `json:"generation"`
	At          int64           `json:"at"`
}

// SubEnd records a subscription procedure ending.
type SubEnd struct {
	Path        string `json:"path"`
	Conn        int    `json:"conn"`
	ID          string `json:"id"`
	LastEventID string `json:"lastEventId"` // the one it was started with
	Reason      string `json:"reason"`      // "aborted" (stop or disconnect), "completed" or "error"
	Error       string `json:"error"`
	Yielded     int    `json:"yielded"`
	LastYielded string `json:"lastYielded"` // last value or tracked id yielded, as text
	At          int64  `json:"at"`
}

// UnmarshalJSON accepts numeric or string ids.
func (s *SubStart) UnmarshalJSON(b []byte) error {
	type plain SubStart
	var v struct {
		plain
		ID          json.RawMessage `json:"id"`
		LastEventID json.RawMessage `json:"lastEventId"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = SubStart(v.plain)
	s.ID = rawText(v.ID)
	s.LastEventID = rawText(v.LastEventID)
	return nil
}

// UnmarshalJSON accepts numeric or string ids.
func (s *SubEnd) UnmarshalJSON(b []byte) error {
	type plain SubEnd
	var v struct {
		plain
		ID          json.RawMessage `json:"id"`
		LastEventID json.RawMessage `json:"lastEventId"`
		Error       json.RawMessage `json:"error"`
		LastYielded json.RawMessage `json:"lastYielded"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = SubEnd(v.plain)
	s.ID = rawText(v.ID)
	s.LastEventID = rawText(v.LastEventID)
	s.Error = rawText(v.Error)
	s.LastYielded = rawText(v.LastYielded)
	return nil
}

// rawText turns a JSON string into its text, null/absent into "", and
// anything else into its JSON text.
func rawText(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return ""
	}
	var s string
	if t[0] == '"' && json.Unmarshal(t, &s) == nil {
		return s
	}
	return string(t)
}

// StartsFor returns the subscription starts of path.
func (st Stats) StartsFor(path string) []SubStart {
	var out []SubStart
	for _, s := range st.SubscriptionStarts {
		if s.Path == path {
			out = append(out, s)
		}
	}
	return out
}

// EndsFor returns the subscription ends of path.
func (st Stats) EndsFor(path string) []SubEnd {
	var out []SubEnd
	for _, s := range st.SubscriptionEnds {
		if s.Path == path {
			out = append(out, s)
		}
	}
	return out
}

// FramesOn returns the frames of the frame log for connection conn in
// direction dir ("in", "out", or "" for both).
func (st Stats) FramesOn(conn int, dir string) []string {
	var out []string
	for _, f := range st.FrameLog {
		if f.Conn == conn && (dir == "" || f.Dir == dir) {
			out = append(out, f.Data)
		}
	}
	return out
}

// Summary is a short description for failure messages.
func (st Stats) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "connections=%d total=%d starts=%d ends=%d stopFrames=%d pings=%d pongsSent=%d generation=%d",
		st.Connections, st.TotalConnections, len(st.SubscriptionStarts), len(st.SubscriptionEnds),
		st.StopFrames, st.Pings, st.PongsSent, st.Generation)
	frames := st.FramesIn
	if len(frames) > 10 {
		frames = frames[len(frames)-10:]
	}
	if len(frames) > 0 {
		b.WriteString("; last frames in:")
		for _, f := range frames {
			if len(f) > 200 {
				f = f[:200] + "…"
			}
			b.WriteString("\n  " + f)
		}
	}
	return b.String()
}

// ---------------------------------------------------------------- output

// lineWriter splits what is written into lines.
type lineWriter struct {
	mu     sync.Mutex
	buf    []byte
	onLine func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimRight(string(w.buf[:i]), "\r")
		w.buf = w.buf[i+1:]
		w.onLine(line)
	}
	if len(w.buf) > 1<<16 { // a runaway line: flush it
		w.onLine(string(w.buf))
		w.buf = nil
	}
	return len(p), nil
}

// lineLog keeps the last max lines, optionally copying them to tee.
type lineLog struct {
	mu    sync.Mutex
	lines []string
	max   int
	tee   io.Writer
}

func (l *lineLog) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	if len(l.lines) > 2*l.max {
		l.lines = append([]string(nil), l.lines[len(l.lines)-l.max:]...)
	}
	if l.tee != nil {
		_, _ = io.WriteString(l.tee, line+"\n")
	}
}

func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	lines := l.lines
	if len(lines) > l.max {
		lines = lines[len(lines)-l.max:]
	}
	var b strings.Builder
	for _, line := range lines {
		b.WriteString("  ")
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}
