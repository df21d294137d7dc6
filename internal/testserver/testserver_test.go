package testserver

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rawWS is a minimal WebSocket client (text frames only), enough to check
// the harness without a WebSocket library.
type rawWS struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialWS(t *testing.T, s *Server, path string) *rawWS {
	t.Helper()
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", path, s.Port, base64.StdEncoding.EncodeToString(key))
	r := bufio.NewReader(conn)
	res, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %s", res.Status)
	}
	return &rawWS{conn: conn, r: r}
}

func (w *rawWS) send(t *testing.T, text string) {
	t.Helper()
	p := []byte(text)
	hdr := []byte{0x81} // FIN + text
	switch {
	case len(p) < 126:
		hdr = append(hdr, 0x80|byte(len(p)))
	case len(p) < 1<<16:
		hdr = append(hdr, 0x80|126, byte(len(p)>>8), byte(len(p)))
	default:
		t.Fatal("frame too long for this test client")
	}
	mask := make([]byte, 4)
	_, _ = rand.Read(mask)
	hdr = append(hdr, mask...)
	masked := make([]byte, len(p))
	for i := range p {
		masked[i] = p[i] ^ mask[i%4]
	}
	if _, err := w.conn.Write(append(hdr, masked...)); err != nil {
		t.Fatal(err)
	}
}

// read returns the next text frame; a close frame returns errClosed with its
// code; EOF or a reset returns that error.
func (w *rawWS) read(timeout time.Duration) (string, error) {
	_ = w.conn.SetReadDeadline(time.Now().Add(timeout))
	var h [2]byte
	if _, err := io.ReadFull(w.r, h[:]); err != nil {
		return "", err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(w.r, b[:]); err != nil {
			return "", err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(w.r, b[:]); err != nil {
			return "", err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(w.r, p); err != nil {
		return "", err
	}
	if h[0]&0x0f == 0x8 {
		code := 1005
		if len(p) >= 2 {
			code = int(binary.BigEndian.Uint16(p))
		}
		return string(p[min(2, len(p)):]), closeError(code)
	}
	return string(p), nil
}

type closeError int

func (c closeError) Error() string { return fmt.Sprintf("close frame %d", int(c)) }

func TestStartStatsSetReset(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	if !strings.HasPrefix(s.URL, "ws://127.0.0.1:") || s.Port == 0 || s.HTTP != strings.Replace(s.URL, "ws", "http", 1) {
		t.Fatalf("bad addresses %q %q %d", s.URL, s.HTTP, s.Port)
	}
	st := s.Stats(t)
	if st.Connections != 0 || st.TotalConnections != 0 || st.Generation != 1 || st.Port != s.Port {
		t.Fatalf("fresh stats: %+v", st)
	}

	// a raw socket: query, PING/PONG, noPong, stats
	w := dialWS(t, s, "/?connectionParams=1")
	w.send(t, `{"method":"connectionParams","data":{"token":"good"}}`)
	w.send(t, `{"id":1,"method":"query","params":{"path":"whoami"}}`)
	if f, err := w.read(5 * time.Second); err != nil || f != `{"id":1,"result":{"type":"data","data":{"token":"good"}}}` {
		t.Fatalf("whoami: %q %v", f, err)
	}
	w.send(t, "PING")
	if f, err := w.read(5 * time.Second); err != nil || f != "PONG" {
		t.Fatalf("PING: %q %v", f, err)
	}
	s.Set(t, false, true)
	w.send(t, "PING")
	if f, err := w.read(300 * time.Millisecond); err == nil {
		t.Fatalf("noPong: got %q", f)
	}
	st = s.WaitFor(t, "two pings", 5*time.Second, func(st Stats) bool { return st.Pings == 2 })
	if st.Connections != 1 || st.TotalConnections != 1 || st.PongsSent != 1 || !st.Settings.NoPong || st.Settings.RejectParams {
		t.Fatalf("stats: %s %+v", st.Summary(), st.Settings)
	}
	if len(st.ConnectionParams) != 1 || string(st.ConnectionParams[0]) != `{"token":"good"}` {
		t.Fatalf("connectionParams: %s", st.ConnectionParams)
	}
	if len(st.ConnectionLog) != 1 || st.ConnectionLog[0].URL != "/?connectionParams=1" || st.ConnectionLog[0].ClosedAt != 0 {
		t.Fatalf("connectionLog: %+v", st.ConnectionLog)
	}
	if got := st.FramesIn[len(st.FramesIn)-1]; got != "PING" {
		t.Fatalf("last frame in: %q", got)
	}
	if out := st.FramesOn(st.ConnectionLog[0].ID, "out"); len(out) != 2 || out[1] != "PONG" {
		t.Fatalf("frames out: %q", out)
	}

	// a tracked subscription with lastEventId, then stop
	s.Set(t, false, false)
	w.send(t, `{"id":2,"method":"subscription","params":{"path":"events","input":{"intervalMs":5},"lastEventId":"41"}}`)
	if f, _ := w.read(5 * time.Second); f != `{"id":2,"result":{"type":"started"}}` {
		t.Fatalf("started: %q", f)
	}
	if f, _ := w.read(5 * time.Second); f != `{"id":2,"result":{"type":"data","data":{"id":"42","data":{"n":42}},"id":"42"}}` {
		t.Fatalf("first event: %q", f)
	}
	w.send(t, `{"id":2,"method":"subscription.stop"}`)
	st = s.WaitFor(t, "events ended", 5*time.Second, func(st Stats) bool { return len(st.EndsFor("events")) == 1 })
	start, end := st.StartsFor("events")[0], st.EndsFor("events")[0]
	if start.ID != "2" || start.LastEventID != "41" || start.Conn != st.ConnectionLog[0].ID ||
		string(start.Input) != `{"intervalMs":5,"lastEventId":"41"}` {
		t.Fatalf("start: %+v", start)
	}
	if end.Reason != "aborted" || end.ID != "2" || end.Yielded < 1 || st.StopFrames != 1 {
		t.Fatalf("end: %+v stopFrames=%d", end, st.StopFrames)
	}

	// reconnect notification, then close with a code
	s.Reconnect(t)
	for {
		f, err := w.read(5 * time.Second)
		if err != nil {
			t.Fatalf("waiting for reconnect: %v", err)
		}
		if f == `{"id":null,"method":"reconnect"}` {
			break
		}
	}
	s.CloseAllWithReason(t, 4001, "bye")
	for {
		reason, err := w.read(5 * time.Second)
		var ce closeError
		if errors.As(err, &ce) {
			if ce != 4001 || reason != "bye" {
				t.Fatalf("close: %d %q", ce, reason)
			}
			break
		}
		if err != nil {
			t.Fatalf("waiting for close: %v", err)
		}
	}

	s.Set(t, true, true)
	s.Reset(t)
	st = s.WaitFor(t, "closed", 5*time.Second, func(st Stats) bool { return st.Connections == 0 })
	if st.TotalConnections != 0 || len(st.FramesIn) != 0 || st.Pings != 0 || len(st.SubscriptionStarts) != 0 ||
		st.Settings.NoPong || st.Settings.RejectParams {
		t.Fatalf("after reset: %s %+v", st.Summary(), st.Settings)
	}
}

func TestDropAndRejectParams(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	w := dialWS(t, s, "/")
	s.WaitFor(t, "connected", 5*time.Second, func(st Stats) bool { return st.Connections == 1 })
	s.Drop(t)
	if f, err := w.read(5 * time.Second); err == nil {
		t.Fatalf("after drop: got frame %q", f)
	} else if _, isClose := err.(closeError); isClose {
		t.Fatalf("drop sent a close frame: %v", err)
	}
	s.WaitFor(t, "dropped", 5*time.Second, func(st Stats) bool { return st.Connections == 0 })

	s.Set(t, true, false)
	b := dialWS(t, s, "/?connectionParams=1")
	b.send(t, `{"method":"connectionParams","data":{"token":"bad"}}`)
	f, err := b.read(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		ID    *int `json:"id"`
		Error struct {
			Message string
			Code    int
			Data    struct{ Code string }
		}
	}
	if err := json.Unmarshal([]byte(f), &msg); err != nil || msg.ID != nil || msg.Error.Message != "bad token" ||
		msg.Error.Code != -32001 || msg.Error.Data.Code != "UNAUTHORIZED" {
		t.Fatalf("rejection: %q", f)
	}
	if _, err := b.read(5 * time.Second); err != closeError(1005) {
		t.Fatalf("after rejection: %v", err)
	}
}

func TestRestart(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{Transformer: "superjson"})
	w := dialWS(t, s, "/")
	w.send(t, `{"id":1,"method":"mutation","params":{"path":"increment","input":{"json":{"by":5}}}}`)
	if f, err := w.read(5 * time.Second); err != nil || f != `{"id":1,"result":{"type":"data","data":{"json":5}}}` {
		t.Fatalf("increment: %q %v", f, err)
	}
	if st := s.Stats(t); st.Transformer != "superjson" || st.Counter != 5 {
		t.Fatalf("stats: %+v", st)
	}

	began := time.Now()
	s.Restart(t, 300*time.Millisecond)
	// down now: the socket is gone and the port is closed
	if _, err := w.read(5 * time.Second); err == nil {
		t.Fatal("socket survived the restart")
	}
	if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port), time.Second); err == nil {
		c.Close()
		t.Fatal("port still open right after Restart")
	}
	st := s.WaitFor(t, "back up", 10*time.Second, func(st Stats) bool { return st.Generation == 2 })
	if el := time.Since(began); el < 250*time.Millisecond {
		t.Fatalf("back after only %v", el)
	}
	if st.Port != s.Port || st.Counter != 5 || st.Connections != 0 || st.TotalConnections != 1 {
		t.Fatalf("after restart: %s port=%d counter=%d", st.Summary(), st.Port, st.Counter)
	}
	w2 := dialWS(t, s, "/")
	// with superjson the input must be present (the real client sends
	// {"json":null,"meta":{"values":["undefined"],"v":1}} for undefined);
	// a missing one is an id:null PARSE_ERROR
	w2.send(t, `{"id":1,"method":"query","params":{"path":"getCount","input":{"json":null}}}`)
	if f, err := w2.read(5 * time.Second); err != nil || f != `{"id":1,"result":{"type":"data","data":{"json":5}}}` {
		t.Fatalf("getCount after restart: %q %v", f, err)
	}
	if st := s.WaitUp(t, time.Second); st.Connections != 1 || st.ConnectionLog[len(st.ConnectionLog)-1].Generation != 2 {
		t.Fatalf("after reconnect: %s", st.Summary())
	}
}

func TestRunStopsWithContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	s, stop, err := Run(ctx, Options{ExtraArgs: []string{"--no-stack"}})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if err := s.Control(ctx, "health", nil, nil); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-s.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("server still running after ctx was cancelled")
	}
	stop() // idempotent
}

func TestMissingDeps(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "testserver"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"go.mod", "testserver/server.mjs"} {
		if err := os.WriteFile(filepath.Join(root, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := Run(context.Background(), Options{Root: root}); !errors.Is(err, ErrNoDeps) {
		t.Fatalf("err = %v, want ErrNoDeps", err)
	}
}
