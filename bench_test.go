//go:build !js

package trpcws_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/coder/websocket"
	"github.com/trpcws/trpcws"
)

// The floor every client is measured against: a hand-written loop speaking
// the wire protocol on a bare coder/websocket connection, one query at a time.
func BenchmarkBareSocketSequentialQuery(b *testing.B) {
	ctx := context.Background()
	conn, _, err := websocket.Dial(ctx, shared.URL, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.CloseNow()
	id := 0
	for b.Loop() {
		id++
		msg := `{"id":` + strconv.Itoa(id) + `,"method":"query","params":{"input":1,"path":"echo"}}`
		if err := conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			b.Fatal(err)
		}
		if _, _, err := conn.Read(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClientSequentialQuery(b *testing.B) {
	ctx := context.Background()
	c := connectedClient(b)
	defer c.Close(ctx)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Query(ctx, "echo", 1); err != nil {
			b.Fatal(err)
		}
	}
}

// 100 queries in flight at all times.
func BenchmarkClientThroughput100(b *testing.B) {
	ctx := context.Background()
	c := connectedClient(b)
	defer c.Close(ctx)
	b.ReportAllocs()
	var wg sync.WaitGroup
	work := make(chan struct{}, 100)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				if _, err := c.Query(ctx, "echo", 1); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for b.Loop() {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
}

// The floor for throughput: a bare socket with 100 requests in flight.
func BenchmarkBareSocketThroughput100(b *testing.B) {
	ctx := context.Background()
	conn, _, err := websocket.Dial(ctx, shared.URL, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.CloseNow()
	window := make(chan struct{}, 100)
	n := b.N
	done := make(chan error, 1)
	go func() {
		for range n {
			if _, _, err := conn.Read(ctx); err != nil {
				done <- err
				return
			}
			<-window
		}
		done <- nil
	}()
	b.ResetTimer()
	for i := range n {
		window <- struct{}{}
		msg := `{"id":` + strconv.Itoa(i+1) + `,"method":"query","params":{"input":1,"path":"echo"}}`
		if err := conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// connectedClient returns a client whose socket is open and warm.
func connectedClient(b *testing.B) *trpcws.Client {
	c, err := trpcws.NewClient(trpcws.Options{URL: shared.URL})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Query(context.Background(), "echo", 1); err != nil {
		b.Fatal(err)
	}
	return c
}
