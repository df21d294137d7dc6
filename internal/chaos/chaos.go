// Package chaos is a TCP proxy for tests that breaks connections on
// command: cut in the middle of a frame, reset, stall, or leave half open.
//
// It listens on loopback and forwards every accepted connection to one
// target address. It knows nothing of WebSocket: "mid-frame" means in the
// middle of whatever chunk of bytes passes next, which for a busy
// WebSocket is almost always inside a frame.
package chaos

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Proxy forwards loopback TCP connections to a target and injects faults.
type Proxy struct {
	target string
	ln     net.Listener

	mu     sync.Mutex
	pairs  map[*pair]struct{}
	stall  time.Time // no bytes are forwarded before this time
	closed bool
	wg     sync.WaitGroup
}

// New starts a proxy to target ("host:port") on 127.0.0.1 and a free port.
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{target: target, ln: ln, pairs: make(map[*pair]struct{})}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the address clients connect to.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Conns is the number of connections being forwarded.
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pairs)
}

// pair is one client connection and its upstream.
type pair struct {
	p        *Proxy
	down, up *net.TCPConn // client side, target side

	mu       sync.Mutex
	cut      bool // the next chunk is forwarded halfway, then both sides close
	halfOpen bool // upstream gone; the client side stays open and silent
	once     sync.Once
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		pr := &pair{p: p, down: c.(*net.TCPConn), up: up.(*net.TCPConn)}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			up.Close()
			return
		}
		p.pairs[pr] = struct{}{}
		p.wg.Add(2)
		p.mu.Unlock()
		go pr.pump(pr.up, pr.down, true)
		go pr.pump(pr.down, pr.up, false)
	}
}

// pump copies from src to dst until either side fails, applying the
// faults; fromClient tells the direction.
func (pr *pair) pump(dst, src *net.TCPConn, fromClient bool) {
	defer pr.p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			pr.p.waitStall()
			pr.mu.Lock()
			cut, half := pr.cut, pr.halfOpen
			pr.mu.Unlock()
			switch {
			case half:
				if !fromClient {
					return
				}
				continue // the client's bytes go nowhere
			case cut:
				dst.Write(buf[:n/2])
				pr.shut(false)
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				pr.shut(false)
				return
			}
		}
		if err != nil {
			pr.mu.Lock()
			half := pr.halfOpen
			pr.mu.Unlock()
			if half && !fromClient {
				return // the upstream we closed: the client side stays
			}
			pr.shut(false)
			return
		}
	}
}

// shut closes both sides, with a reset (RST) when reset is set.
func (pr *pair) shut(reset bool) {
	pr.once.Do(func() {
		if reset {
			pr.down.SetLinger(0)
			pr.up.SetLinger(0)
		}
		pr.down.Close()
		pr.up.Close()
		pr.p.mu.Lock()
		delete(pr.p.pairs, pr)
		pr.p.mu.Unlock()
	})
}

func (p *Proxy) waitStall() {
	for {
		p.mu.Lock()
		d := time.Until(p.stall)
		p.mu.Unlock()
		if d <= 0 {
			return
		}
		time.Sleep(min(d, 50*time.Millisecond))
	}
}

func (p *Proxy) each(fn func(*pair)) int {
	p.mu.Lock()
	prs := make([]*pair, 0, len(p.pairs))
	for pr := range p.pairs {
		prs = append(prs, pr)
	}
	p.mu.Unlock()
	for _, pr := range prs {
		fn(pr)
	}
	return len(prs)
}

// Cut makes every connection forward only half of the next chunk of bytes
// that passes (in either direction), then close both sides: a frame cut in
// the middle. A connection with nothing to forward within wait is closed
// as is. It returns the number of connections affected.
func (p *Proxy) Cut(wait time.Duration) int {
	return p.each(func(pr *pair) {
		pr.mu.Lock()
		pr.cut = true
		pr.mu.Unlock()
		time.AfterFunc(wait, func() { pr.shut(false) })
	})
}

// Reset resets every connection at once (TCP RST on both sides).
func (p *Proxy) Reset() int {
	return p.each(func(pr *pair) { pr.shut(true) })
}

// Stall stops forwarding bytes on every connection, existing and new, for
// d; the connections stay open.
func (p *Proxy) Stall(d time.Duration) {
	p.mu.Lock()
	p.stall = time.Now().Add(d)
	p.mu.Unlock()
}

// HalfOpen closes the upstream of every connection while leaving the
// client side open: the client sees a silent peer that swallows what it
// sends, as after a network failure nobody was told about.
func (p *Proxy) HalfOpen() int {
	return p.each(func(pr *pair) {
		pr.mu.Lock()
		pr.halfOpen = true
		pr.mu.Unlock()
		pr.up.Close()
	})
}

// Close stops the proxy, closes every connection and waits for its
// goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	err := p.ln.Close()
	p.each(func(pr *pair) { pr.shut(false) })
	p.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

var _ io.Closer = (*Proxy)(nil)
