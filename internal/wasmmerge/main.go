// Command wasmmerge rewrites the data section of a WebAssembly module built
// by Go, merging its active data segments into a few: Go's linker emits one
// segment per run of non-zero bytes (tens of thousands of tiny segments for
// web/trpcws.wasm), each with its own offset expression and length, which
// costs tens of kilobytes even compressed. Segments closer than -gap bytes
// are joined, with the zero bytes between them written out, so memory holds
// the same bytes at start-up. build.sh runs it after go build:
//
//	go run ./internal/wasmmerge -gap 4096 in.wasm out.wasm
//
// It fails, writing nothing, on a module it does not understand (a passive
// segment, an offset that is not an i32.const, segments out of order).
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
)

func main() {
	gap := flag.Int("gap", 4096, "join segments at most this many zero bytes apart")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: wasmmerge [-gap n] in.wasm out.wasm")
		os.Exit(2)
	}
	in, err := os.ReadFile(flag.Arg(0))
	if err == nil {
		var out []byte
		var before, after int
		out, before, after, err = merge(in, *gap)
		if err == nil {
			err = os.WriteFile(flag.Arg(1), out, 0o644)
			fmt.Printf("wasmmerge: %d data segments into %d, %d bytes to %d\n", before, after, len(in), len(out))
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasmmerge:", err)
		os.Exit(1)
	}
}

// segment is an active data segment of memory 0.
type segment struct {
	offset uint32
	data   []byte
}

// reader reads the LEB128 integers and bytes of a module.
type reader struct {
	b   []byte
	pos int
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%s at byte %d", what, r.pos)
	}
}

func (r *reader) byte() byte {
	if r.pos >= len(r.b) {
		r.fail("unexpected end")
		return 0
	}
	c := r.b[r.pos]
	r.pos++
	return c
}

func (r *reader) u32() uint32 {
	var v uint64
	for shift := 0; shift < 35; shift += 7 {
		c := r.byte()
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			if v > 1<<32-1 {
				r.fail("u32 out of range")
			}
			return uint32(v)
		}
	}
	r.fail("u32 too long")
	return 0
}

func (r *reader) s32() int32 {
	var v int64
	for shift := 0; shift < 35; shift += 7 {
		c := r.byte()
		v |= int64(c&0x7f) << shift
		if c&0x80 == 0 {
			if shift+7 < 64 && c&0x40 != 0 {
				v |= -1 << (shift + 7)
			}
			if v < -1<<31 || v > 1<<31-1 {
				r.fail("s32 out of range")
			}
			return int32(v)
		}
	}
	r.fail("s32 too long")
	return 0
}

func (r *reader) bytes(n uint32) []byte {
	if uint64(r.pos)+uint64(n) > uint64(len(r.b)) {
		r.fail("unexpected end")
		return nil
	}
	b := r.b[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return b
}

func appendU32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendS32(b []byte, v int32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 && c&0x40 == 0 || v == -1 && c&0x40 != 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

const (
	sectionData      = 11
	sectionDataCount = 12
)

// merge returns module with its data segments joined where at most gap zero
// bytes apart, and the segment counts before and after.
func merge(module []byte, gap int) ([]byte, int, int, error) {
	if len(module) < 8 || string(module[:4]) != "\x00asm" || string(module[4:8]) != "\x01\x00\x00\x00" {
		return nil, 0, 0, errors.New("not a version 1 WebAssembly module")
	}
	r := &reader{b: module, pos: 8}
	out := append([]byte(nil), module[:8]...)
	before, after := 0, 0
	seenData := false
	for r.pos < len(module) && r.err == nil {
		id := r.byte()
		body := r.bytes(r.u32())
		if r.err != nil {
			break
		}
		switch id {
		case sectionData:
			segs, err := readData(body)
			if err != nil {
				return nil, 0, 0, err
			}
			merged := join(segs, gap)
			before, after, seenData = len(segs), len(merged), true
			body = writeData(merged)
		case sectionDataCount:
			// The count must match the data section's; this section comes before it.
			c := &reader{b: body}
			n := c.u32()
			if c.err != nil || c.pos != len(body) {
				return nil, 0, 0, errors.New("malformed data count section")
			}
			segs, err := dataAfter(module, r.pos)
			if err != nil {
				return nil, 0, 0, err
			}
			if int(n) != len(segs) {
				return nil, 0, 0, errors.New("data count does not match the data section")
			}
			body = appendU32(nil, uint32(len(join(segs, gap))))
		}
		out = append(out, id)
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	if r.err != nil {
		return nil, 0, 0, r.err
	}
	if !seenData {
		return nil, 0, 0, errors.New("no data section")
	}
	return out, before, after, nil
}

// dataAfter reads the data section of the sections from pos on.
func dataAfter(module []byte, pos int) ([]segment, error) {
	r := &reader{b: module, pos: pos}
	for r.pos < len(module) && r.err == nil {
		id := r.byte()
		body := r.bytes(r.u32())
		if id == sectionData && r.err == nil {
			return readData(body)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return nil, errors.New("data count section without a data section")
}

// readData reads a data section made only of active segments of memory 0
// with i32.const offsets that do not overlap, sorted by offset.
func readData(body []byte) ([]segment, error) {
	r := &reader{b: body}
	n := r.u32()
	segs := make([]segment, 0, n)
	end := uint64(0)
	for i := uint32(0); i < n && r.err == nil; i++ {
		switch flags := r.u32(); flags {
		case 0:
		case 2:
			if r.u32() != 0 {
				return nil, fmt.Errorf("data segment %d: not memory 0", i)
			}
		default:
			return nil, fmt.Errorf("data segment %d: flags %d (only active segments are merged)", i, flags)
		}
		if r.byte() != 0x41 { // i32.const
			return nil, fmt.Errorf("data segment %d: offset is not an i32.const", i)
		}
		off := uint32(r.s32())
		if r.byte() != 0x0b { // end
			return nil, fmt.Errorf("data segment %d: offset expression longer than i32.const", i)
		}
		data := r.bytes(r.u32())
		if r.err != nil {
			break
		}
		segs = append(segs, segment{offset: off, data: data})
	}
	if r.err != nil {
		return nil, r.err
	}
	// Go's linker writes each of its sections' segments in order, but not
	// the sections: sorted, they must not overlap (or the order they were
	// written in would matter).
	sort.SliceStable(segs, func(i, j int) bool { return segs[i].offset < segs[j].offset })
	for _, s := range segs {
		if uint64(s.offset) < end {
			return nil, fmt.Errorf("data segments overlap at offset %d", s.offset)
		}
		end = uint64(s.offset) + uint64(len(s.data))
	}
	if r.pos != len(body) {
		return nil, errors.New("data section: bytes after the last segment")
	}
	return segs, nil
}

// join merges segments at most gap bytes apart, filling the gaps with zeros.
func join(segs []segment, gap int) []segment {
	var out []segment
	for _, s := range segs {
		if len(out) > 0 {
			last := &out[len(out)-1]
			end := uint64(last.offset) + uint64(len(last.data))
			if uint64(s.offset)-end <= uint64(gap) {
				last.data = append(last.data, make([]byte, uint64(s.offset)-end)...)
				last.data = append(last.data, s.data...)
				continue
			}
		}
		out = append(out, segment{offset: s.offset, data: append([]byte(nil), s.data...)})
	}
	return out
}

func writeData(segs []segment) []byte {
	b := appendU32(nil, uint32(len(segs)))
	for _, s := range segs {
		b = append(b, 0, 0x41)
		b = appendS32(b, int32(s.offset))
		b = append(b, 0x0b)
		b = appendU32(b, uint32(len(s.data)))
		b = append(b, s.data...)
	}
	return b
}
