package jsbridge

import "math"

// putFloat64 writes v little-endian, as JavaScript's DataView.setFloat64(p, v, true).
func putFloat64(b []byte, v float64) {
	u := math.Float64bits(v)
	for i := 0; i < 8; i++ {
		b[i] = byte(u >> (8 * i))
	}
}
