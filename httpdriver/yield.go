package httpdriver

import "runtime"

// yield lets goroutines that are starting calls at the same moment add them
// to the batch before it is sent (the reference waits for one JS macrotask).
func yield() {
	for range 3 {
		runtime.Gosched()
	}
}
