//go:build js && wasm

package jsbridge

import (
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// output is what one call returns to JavaScript.
type output struct {
	nums  []float64
	bytes []byte
}

func (o *output) reset() {
	o.nums = o.nums[:0]
	o.bytes = o.bytes[:0]
}

// rec appends one record's numbers. Not inlined (issue #25): every call
// site would build its own slice and append, about 1.5 KB brotli in all.
//
//go:noinline
func (o *output) rec(v ...float64) { o.nums = append(o.nums, v...) }

// text appends b to the bytes area and returns its range.
func (o *output) text(b []byte) (float64, float64) {
	a := len(o.bytes)
	o.bytes = append(o.bytes, b...)
	return float64(a), float64(len(o.bytes))
}

// textRef appends b and records a bytes ref to it.
func (o *output) textRef(b []byte) {
	a, e := o.text(b)
	o.rec(refBytes, a, e)
}

// errRef records a bytes ref to err's description (see appendError), or
// an absent ref when err is nil.
func (o *output) errRef(err error) {
	if err == nil {
		o.rec(refNone, 0, 0)
		return
	}
	o.textRef(appendError(nil, err, 0))
}

// stringRef appends s and records a bytes ref to it.
func (o *output) stringRef(s string) {
	a := len(o.bytes)
	o.bytes = append(o.bytes, s...)
	o.rec(refBytes, float64(a), float64(len(o.bytes)))
}

// frameRef records a ref to d: a UTF-16 range of frame when d lies inside
// it (ascii says frame is pure ASCII, so byte and UTF-16 offsets agree),
// else a copy in the bytes area. A nil d is recorded as absent.
func (o *output) frameRef(frame []byte, ascii bool, d []byte) {
	if d == nil {
		o.rec(refNone, 0, 0)
		return
	}
	if off, ok := within(frame, d); ok {
		a, n := off, len(d)
		if !ascii {
			a = utf16Len(frame[:off])
			n = utf16Len(d)
		}
		o.rec(refFrame, float64(a), float64(a+n))
		return
	}
	o.textRef(d)
}

// within reports whether d is a sub-slice of frame, and where it starts.
func within(frame, d []byte) (int, bool) {
	if len(frame) == 0 || len(d) == 0 {
		return 0, false
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(frame)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(d)))
	if p < base || p+uintptr(len(d)) > base+uintptr(len(frame)) {
		return 0, false
	}
	return int(p - base), true
}

// utf16Len returns how many UTF-16 code units the UTF-8 text b decodes to,
// as JavaScript's TextDecoder decodes it (an invalid byte becomes one
// U+FFFD).
func utf16Len(b []byte) int {
	n := 0
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
		i += size
	}
	return n
}

// appendJSONString appends s as a JSON string literal. Not inlined (issue
// #25): its loop at every call site (error descriptions) cost about 2.5 KB brotli.
//
//go:noinline
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

func appendNumber(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }
