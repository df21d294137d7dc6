//go:build !js

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/trpcws/trpcws"
	"github.com/trpcws/trpcws/superjson"
)

// Exit codes, by class; see the package comment.
const (
	exitOK          = 0
	exitServer      = 1
	exitUsage       = 2
	exitConnection  = 3
	exitTimeout     = 4
	exitOutput      = 5
	exitInterrupted = 130
)

const defaultTimeout = 30 * time.Second

var topUsage = `trpcws: a command-line client for tRPC servers over WebSocket

Usage:
  trpcws query     URL PATH [JSON|-] [flags]   call a query, print its result
  trpcws mutate    URL PATH [JSON|-] [flags]   call a mutation, print its result
  trpcws subscribe URL PATH [JSON|-] [flags]   print a subscription's events, one JSON line each
  trpcws help [COMMAND]                        this text, or one command's flags and examples
  trpcws version                               the version (also --version)

URL is the server's WebSocket URL (ws://, wss://), or its HTTP endpoint (http://, https://:
calls as httpBatchLink sends them, subscribe over Server-Sent Events).
JSON is the procedure's input; - reads it from stdin; leave it out for none.
Flags may come before or after the arguments; after -- everything is an argument
(for an input such as -1).

Exit codes:
  0    success; a subscription ended by the server or by Ctrl-C
  1    the server answered with an error: its tRPC code on stderr,
       e.g. NOT_FOUND (404): No "query"-procedure on path "x"
  2    usage: bad arguments, flags, URL or JSON input
  3    connection failure: the server cannot be reached, or the connection was lost
  4    timeout (--timeout)
  5    the result could not be printed
  130  interrupted (Ctrl-C) during a query or a mutation
`

var examples = map[string]string{
	"query": `Examples (against this repository's test server:
  node testserver/server.mjs --port 3000):
  trpcws query ws://127.0.0.1:3000 echo '{"hello":"world"}'
  echo '"from stdin"' | trpcws query ws://127.0.0.1:3000 echo -
  trpcws query ws://127.0.0.1:3000 whoami --params token=good
  trpcws query ws://127.0.0.1:3000 slow '{"ms":5000}' --timeout 1s     # exit 4
  trpcws query ws://127.0.0.1:3000 nope                                # exit 1
  (and, against node testserver/server.mjs --port 3001 --transformer superjson:)
  trpcws query http://127.0.0.1:3001/trpc richValues --superjson
`,
	"mutate": `Examples (against this repository's test server:
  node testserver/server.mjs --port 3000):
  trpcws mutate ws://127.0.0.1:3000 add '{"a":1,"b":2}'
  trpcws mutate ws://127.0.0.1:3000 postMessage '{"text":"hi","user":"cli"}'
  trpcws mutate ws://127.0.0.1:3000 increment -v                       # debug events on stderr
`,
	"subscribe": `Examples (against this repository's test server:
  node testserver/server.mjs --port 3000):
  trpcws subscribe ws://127.0.0.1:3000 counter '{"count":3}'          # 0, 1, 2, then exit 0
  trpcws subscribe ws://127.0.0.1:3000 events '{"max":5}' --last-event-id 2
  trpcws subscribe ws://127.0.0.1:3000 onMessage                       # until Ctrl-C
Tracked events print as {"id":…,"data":…}; after a lost connection the
subscription resumes after the last id printed. Connection state changes go
to stderr. Ctrl-C stops the subscription on the server and exits 0.
`,
}

// usageError is a mistake in the command line (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// config is one parsed command line.
type config struct {
	cmd         string
	url, path   string
	input       json.RawMessage
	headers     http.Header
	params      map[string]string
	timeout     time.Duration
	keepAlive   time.Duration
	lazy        bool
	verbose     bool
	lastEventID string
	superjson   bool
}

type headerFlag struct{ h http.Header }

func (f *headerFlag) String() string { return "" }
func (f *headerFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, ":")
	k = strings.TrimSpace(k)
	if !ok || k == "" || strings.ContainsAny(k, " \t") {
		return errors.New(`want "Name: value"`)
	}
	f.h.Add(k, strings.TrimSpace(val))
	return nil
}

type paramsFlag struct{ m map[string]string }

func (f *paramsFlag) String() string { return "" }
func (f *paramsFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return errors.New("want key=value")
	}
	f.m[k] = val
	return nil
}

// parse reads the command line of cmd (query, mutate, subscribe). It
// returns flag.ErrHelp after printing the help to stdout.
func parse(cmd string, args []string, stdin io.Reader, stdout io.Writer) (*config, error) {
	cfg := &config{cmd: cmd, headers: http.Header{}}
	fs := flag.NewFlagSet("trpcws "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	headers := &headerFlag{h: cfg.headers}
	params := &paramsFlag{m: map[string]string{}}
	var paramsJSON string
	fs.Var(headers, "header", "an HTTP header for the WebSocket handshake, `'Name: value'` (repeatable)")
	fs.Var(params, "params", "a connection parameter, `key=value` (repeatable); sent as connectionParams")
	fs.StringVar(&paramsJSON, "params-json", "", "connection parameters as a JSON object of strings, e.g. `'{\"token\":\"good\"}'`")
	defTimeout := defaultTimeout
	timeoutHelp := "give up after this long (0: never)"
	if cmd == "subscribe" {
		defTimeout = 0
		timeoutHelp = "end the subscription after this long, exit 4 (0: never)"
	}
	fs.DurationVar(&cfg.timeout, "timeout", defTimeout, timeoutHelp)
	fs.DurationVar(&cfg.keepAlive, "keepalive", 0, "send PING after this long without a frame from the server and reconnect when no PONG comes within 1s (0: off)")
	fs.BoolVar(&cfg.lazy, "lazy", false, "lazy mode: connect on the first request, close after 10s of inactivity")
	fs.BoolVar(&cfg.superjson, "superjson", false, "for a server created with transformer: superjson (create-t3-app's): send the input and print results, events and errors as plain JSON")
	fs.BoolVar(&cfg.verbose, "v", false, "print the client's debug events on stderr (connection attempts, opens, closes, states, errors), through Options.Logger")
	if cmd == "subscribe" {
		fs.StringVar(&cfg.lastEventID, "last-event-id", "", "resume after this tracked event id")
	}
	fs.Usage = func() {} // errors are reported by run, help by help
	help := func() {
		fmt.Fprintf(stdout, "Usage: trpcws %s URL PATH [JSON|-] [flags]\n\nFlags:\n", cmd)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		fmt.Fprintf(stdout, "\n%s", examples[cmd])
	}

	var pos []string
	rest := args
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				help()
				return nil, flag.ErrHelp
			}
			return nil, usagef("%v", err)
		}
		left := fs.Args()
		if n := len(rest) - len(left); n > 0 && rest[n-1] == "--" {
			pos = append(pos, left...)
			break
		}
		if len(left) == 0 {
			break
		}
		pos = append(pos, left[0])
		rest = left[1:]
	}
	if len(pos) < 2 {
		return nil, usagef("trpcws %s needs a URL and a procedure path", cmd)
	}
	if len(pos) > 3 {
		return nil, usagef("trpcws %s: too many arguments: %q", cmd, pos[3:])
	}
	cfg.url, cfg.path = pos[0], pos[1]
	if err := checkURL(cfg.url); err != nil {
		return nil, err
	}
	if cfg.path == "" {
		return nil, usagef("the procedure path is empty")
	}
	if len(pos) == 3 {
		in, err := readInput(pos[2], stdin)
		if err != nil {
			return nil, err
		}
		cfg.input = in
	}
	if paramsJSON != "" {
		var m map[string]string
		if err := json.Unmarshal([]byte(paramsJSON), &m); err != nil || m == nil {
			return nil, usagef("--params-json wants a JSON object of strings, like '{\"token\":\"good\"}': %s", jsonProblem(err))
		}
		cfg.params = m
	}
	if len(params.m) > 0 {
		if cfg.params == nil {
			cfg.params = map[string]string{}
		}
		for k, v := range params.m {
			cfg.params[k] = v
		}
	}
	if cfg.timeout < 0 || cfg.keepAlive < 0 {
		return nil, usagef("--timeout and --keepalive cannot be negative")
	}
	return cfg, nil
}

func jsonProblem(err error) string {
	if err == nil {
		return "got null"
	}
	return err.Error()
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return usagef("bad URL %q: %v", raw, err)
	}
	switch u.Scheme {
	case "ws", "wss", "http", "https":
	default:
		return usagef("bad URL %q: want ws://HOST[:PORT][/PATH] (or wss, http, https)", raw)
	}
	if u.Host == "" {
		return usagef("bad URL %q: no host", raw)
	}
	return nil
}

func readInput(arg string, stdin io.Reader) (json.RawMessage, error) {
	data := []byte(arg)
	from := "the input argument"
	if arg == "-" {
		var err error
		if data, err = io.ReadAll(stdin); err != nil {
			return nil, usagef("reading the input from stdin: %v", err)
		}
		from = "the input on stdin"
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, usagef("%s is empty: give a JSON value, or leave the argument out for no input", from)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, usagef("%s is not valid JSON: %v", from, err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		return nil, usagef("%s is not valid JSON: %v", from, err)
	}
	return buf.Bytes(), nil
}

// run is the whole program: it returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, terminal bool) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return exitUsage
	}
	cmd := args[0]
	switch cmd {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 {
			if _, ok := examples[args[1]]; ok {
				parse(args[1], []string{"--help"}, stdin, stdout)
				return exitOK
			}
			fmt.Fprintf(stderr, "trpcws: no command %q\n\n%s", args[1], topUsage)
			return exitUsage
		}
		fmt.Fprint(stdout, topUsage)
		return exitOK
	case "-version", "--version", "version":
		fmt.Fprintf(stdout, "trpcws %s\n", trpcws.Version)
		return exitOK
	case "query", "mutate", "subscribe":
	default:
		fmt.Fprintf(stderr, "trpcws: no command %q\n\n%s", cmd, topUsage)
		return exitUsage
	}
	cfg, err := parse(cmd, args[1:], stdin, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "trpcws: %v\nRun 'trpcws help %s' for usage.\n", err, cmd)
		return exitUsage
	}
	return execute(cfg, stdout, stderr, terminal)
}

var (
	errInterrupted = errors.New("interrupted")
	errTimedOut    = errors.New("timed out")
)

// connFailure is the cause given to the context when the first connection
// attempt failed.
type connFailure struct{ err error }

func (e *connFailure) Error() string { return e.err.Error() }

func execute(cfg *config, stdout, stderr io.Writer, terminal bool) int {
	base, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case <-sigs:
			cancel(errInterrupted)
		case <-base.Done():
		}
	}()
	ctx := base
	if cfg.timeout > 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeoutCause(ctx, cfg.timeout, errTimedOut)
		defer stop()
	}

	errOut := &lockedWriter{w: stderr}
	logf := func(format string, args ...any) {
		fmt.Fprintf(errOut, "trpcws: "+format+"\n", args...)
	}
	var opened atomic.Bool
	var lastErr atomic.Value // error: the last one before the first open
	opts := trpcws.Options{
		URL:              cfg.url,
		ConnectionParams: cfg.params,
		HTTPHeader:       cfg.headers,
		Lazy:             trpcws.LazyOptions{Enabled: cfg.lazy, CloseAfter: 10 * time.Second},
		KeepAlive:        trpcws.KeepAliveOptions{Enabled: cfg.keepAlive > 0, Interval: cfg.keepAlive},
		OnOpen:           func() { opened.Store(true) },
		OnClose: func(code int) {
			if !opened.Load() {
				err, _ := lastErr.Load().(error)
				if err == nil {
					err = fmt.Errorf("the connection closed (code %d)", code)
				}
				cancel(&connFailure{err: err})
			}
		},
		OnError: func(err error) {
			if !opened.Load() {
				lastErr.Store(err)
			}
			if cfg.verbose {
				logf("error: %s", text(err))
			}
		},
	}
	if cfg.superjson {
		opts.Transformer = superjson.Transformer{}
	}
	if cfg.verbose {
		// The library's debug events: states, attempts, opens, closes.
		opts.Logger = slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{
			Level: slog.LevelDebug,
			ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				if len(groups) == 0 && a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			},
		}))
	} else if cfg.cmd == "subscribe" {
		opts.OnStateChange = func(st trpcws.ConnectionState) {
			msg := stateName(st.State)
			if st.Err != nil {
				msg += " (" + text(st.Err) + ")"
			}
			logf("%s", msg)
		}
	}
	client, err := trpcws.NewClient(opts)
	if err != nil {
		logf("%v", err)
		return exitUsage
	}
	defer func() {
		closeCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		if err := client.Close(closeCtx); err != nil && cfg.verbose {
			logf("close: %v", err)
		}
	}()

	if cfg.cmd == "subscribe" {
		return subscribe(ctx, client, cfg, stdout, logf)
	}
	var raw json.RawMessage
	if cfg.cmd == "query" {
		raw, err = client.Query(ctx, cfg.path, cfg.input)
	} else {
		raw, err = client.Mutation(ctx, cfg.path, cfg.input)
	}
	if err != nil {
		return fail(ctx, cfg, err, logf)
	}
	if len(raw) == 0 {
		return exitOK // the procedure returned nothing
	}
	var buf bytes.Buffer
	if terminal {
		err = json.Indent(&buf, raw, "", "  ")
	} else {
		err = json.Compact(&buf, raw)
	}
	if err != nil {
		logf("the result is not JSON: %v", err)
		return exitOutput
	}
	buf.WriteByte('\n')
	if _, err := stdout.Write(buf.Bytes()); err != nil {
		logf("writing the result: %v", err)
		return exitOutput
	}
	return exitOK
}

func subscribe(ctx context.Context, client *trpcws.Client, cfg *config, stdout io.Writer, logf func(string, ...any)) int {
	var line bytes.Buffer
	for ev, err := range client.Events(ctx, cfg.path, cfg.input, cfg.lastEventID) {
		if err != nil {
			if errors.Is(context.Cause(ctx), errInterrupted) {
				if cfg.verbose {
					logf("interrupted: subscription stopped")
				}
				return exitOK
			}
			return fail(ctx, cfg, err, logf)
		}
		line.Reset()
		if err := json.Compact(&line, ev.Data); err != nil {
			logf("event %s is not JSON: %v", ev.ID, err)
			return exitOutput
		}
		line.WriteByte('\n')
		if _, err := stdout.Write(line.Bytes()); err != nil {
			logf("writing an event: %v", err)
			return exitOutput
		}
	}
	if cfg.verbose {
		logf("the server ended the subscription")
	}
	return exitOK
}

// fail prints why a call failed and returns the exit code of its class.
func fail(ctx context.Context, cfg *config, err error, logf func(string, ...any)) int {
	cause := context.Cause(ctx)
	var tErr *trpcws.TRPCError
	var cf *connFailure
	switch {
	case errors.As(err, &tErr):
		logf("%s", describe(tErr))
		return exitServer
	case ctx.Err() != nil && errors.Is(cause, errInterrupted):
		logf("interrupted")
		return exitInterrupted
	case ctx.Err() != nil && errors.Is(cause, errTimedOut):
		logf("timed out after %v", cfg.timeout)
		return exitTimeout
	case ctx.Err() != nil && errors.As(cause, &cf):
		if errors.As(cf.err, &tErr) {
			logf("%s", describe(tErr))
			return exitServer
		}
		logf("cannot connect to %s: %v", cfg.url, text(cf.err))
		return exitConnection
	case errors.Is(err, trpcws.ErrConnectionClosed):
		logf("connection lost: %s", text(err))
		return exitConnection
	}
	logf("%s", text(err))
	return exitConnection
}

// describe formats a server error as CODE (HTTP status): message.
func describe(e *trpcws.TRPCError) string {
	s := e.Code
	if e.HTTPStatus != 0 {
		s += " (" + strconv.Itoa(e.HTTPStatus) + ")"
	}
	return s + ": " + e.Message
}

func stateName(s trpcws.State) string {
	switch s {
	case trpcws.StatePending:
		return "connected"
	case trpcws.StateConnecting:
		return "connecting"
	case trpcws.StateIdle:
		return "idle"
	}
	return s.String()
}

// lockedWriter serialises the writes of the client's goroutines to stderr.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// text is err's message without the library's "trpcws: " prefix, which
// every line on stderr already carries.
func text(err error) string {
	return strings.TrimPrefix(err.Error(), "trpcws: ")
}
