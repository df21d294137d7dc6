package chaos

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"
)

// echoServer echoes every connection until the test ends.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				io.Copy(c, c)
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

func dial(t *testing.T, p *Proxy) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	deadline := time.Now().Add(10 * time.Second)
	for p.Conns() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	return c
}

func roundTrip(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
		t.Fatalf("echo = %q, %v", got, err)
	}
}

func newProxy(t *testing.T) *Proxy {
	p, err := New(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestForwards(t *testing.T) {
	c := dial(t, newProxy(t))
	roundTrip(t, c, "hello")
}

func TestCutForwardsHalfThenCloses(t *testing.T) {
	p := newProxy(t)
	c := dial(t, p)
	roundTrip(t, c, "first")
	if n := p.Cut(10 * time.Second); n != 1 {
		t.Fatalf("Cut affected %d connections", n)
	}
	msg := bytes.Repeat([]byte("x"), 1000)
	c.Write(msg)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatal(err)
	}
	if len(got) >= len(msg) {
		t.Errorf("read %d bytes after the cut, want fewer than %d", len(got), len(msg))
	}
}

func TestResetSendsRST(t *testing.T) {
	p := newProxy(t)
	c := dial(t, p)
	roundTrip(t, c, "first")
	p.Reset()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	_, err := c.Read(make([]byte, 10))
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("read after Reset: %v, want ECONNRESET", err)
	}
}

func TestStallHoldsBytes(t *testing.T) {
	p := newProxy(t)
	c := dial(t, p)
	p.Stall(300 * time.Millisecond)
	c.SetDeadline(time.Now().Add(100 * time.Millisecond))
	c.Write([]byte("held"))
	if _, err := c.Read(make([]byte, 4)); !errors.Is(err, syscall.ETIMEDOUT) && !isTimeout(err) {
		t.Errorf("read during the stall: %v, want a timeout", err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	got := make([]byte, 4)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "held" {
		t.Errorf("after the stall: %q %v", got, err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestHalfOpenIsSilent(t *testing.T) {
	p := newProxy(t)
	c := dial(t, p)
	roundTrip(t, c, "first")
	p.HalfOpen()
	c.Write([]byte("lost"))
	c.SetDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := c.Read(make([]byte, 4)); !isTimeout(err) {
		t.Errorf("read on a half-open connection: %v, want a timeout (no data, no close)", err)
	}
}
