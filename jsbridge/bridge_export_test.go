//go:build js && wasm

package jsbridge

// Output returns the records and text of the last call (JavaScript reads
// them through the header instead).
func (b *Bridge) Output() ([]float64, []byte) { return b.out.nums, b.out.bytes }
