package core

import (
	"strconv"
	"testing"
)

func BenchmarkAppendRequest(b *testing.B) {
	r := Request{ID: 12345, Method: Query, Path: "post.byId", Input: []byte(`{"id":"abc","n":1}`)}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendRequest(buf[:0], &r)
	}
}

func BenchmarkDecodeResult(b *testing.B) {
	frame := []byte(`{"id":12345,"result":{"type":"data","data":{"id":"abc","title":"hello world","tags":["a","b"],"n":1}}}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if _, err := Decode(frame); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeTrackedEvent(b *testing.B) {
	frame := []byte(`{"id":7,"result":{"type":"data","data":{"id":"42","data":{"n":42}},"id":"42"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(frame); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRoundTrip drives one query through the state machine: start,
// transmit, answer, deliver. It is the core's share of every call.
func BenchmarkRoundTrip(b *testing.B) {
	c := New(Config{}, 1)
	drainOutputs(c)
	c.Opened(1, 1, nil)
	drainOutputs(c)
	input := []byte(`{"a":1}`)
	frames := make([][]byte, 0, 64)
	for i := int64(1); i <= 64; i++ {
		frames = append(frames, []byte(`{"id":`+strconv.FormatInt(i, 10)+`,"result":{"type":"data","data":{"a":1}}}`))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		id := c.Start(2, Query, "echo", input, nil)
		if _, ok := c.PollTransmit(1); !ok {
			b.Fatal("nothing to transmit")
		}
		c.PollTransmit(1)
		if id <= 64 {
			c.Message(2, 1, frames[id-1])
		} else {
			c.Message(2, 1, []byte(`{"id":`+strconv.FormatInt(id, 10)+`,"result":{"type":"data","data":{"a":1}}}`))
		}
		drainOutputs(c)
		i++
	}
}

func drainOutputs(c *Client) {
	for {
		if _, ok := c.Poll(); !ok {
			return
		}
	}
}
