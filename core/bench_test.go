package core

import (
	"strconv"
	"testing"
)

func BenchmarkAppendRequest(b *testing.B) {
	r := Request{WireID: 12345, Method: Query, Path: "post.byId", Input: []byte(`{"id":"abc","n":1}`)}
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

// benchFrame builds a data frame of about size bytes. Shape "str" carries
// one long string, like the flood subscription's padding; "obj" carries an
// array of small records (keys, numbers, short strings, literals).
func benchFrame(shape string, size int) []byte {
	head := `{"id":12345,"result":{"type":"data","data":`
	tail := `}}`
	room := size - len(head) - len(tail)
	var data []byte
	switch shape {
	case "str":
		data = []byte(`{"i":1,"pad":"`)
		for len(data) < room-2 {
			data = append(data, "lorem ipsum dolor sit amet, \\\"consectetur\\\" adipiscing elit "[len(data)%56])
		}
		if data[len(data)-1] == '\\' {
			data[len(data)-1] = 'x'
		}
		data = append(data, `"}`...)
	default:
		data = []byte{'['}
		for i := 0; len(data) < room-80 || i == 0; i++ {
			if i > 0 {
				data = append(data, ',')
			}
			data = append(data, `{"id":`...)
			data = strconv.AppendInt(data, int64(i), 10)
			data = append(data, `,"title":"item number `...)
			data = strconv.AppendInt(data, int64(i), 10)
			data = append(data, `","score":-12.5e-3,"ok":true,"tags":["a","bc"],"next":null}`...)
		}
		data = append(data, ']')
	}
	return []byte(head + string(data) + tail)
}

// BenchmarkDecodeSize decodes data frames of 100 B to 64 KiB: the scanner
// must step over result.data, whose bytes dominate large frames.
func BenchmarkDecodeSize(b *testing.B) {
	for _, shape := range []string{"str", "obj"} {
		for _, size := range []int{100, 1 << 10, 4 << 10, 64 << 10} {
			frame := benchFrame(shape, size)
			if !Valid(frame) {
				b.Fatalf("bad frame %s", frame)
			}
			b.Run(shape+"/"+strconv.Itoa(size), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(frame)))
				for b.Loop() {
					if _, err := Decode(frame); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
