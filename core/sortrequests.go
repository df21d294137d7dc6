package core

// sortRequests sorts rs by key, smallest first, in place (a heapsort). It
// stands in for slices.SortFunc, whose generic pdqsort adds about 5 KB gzip
// of code to the wasm module for two calls. The keys it is used with (wire
// ids, start order) are unique, so that it is not stable does not matter.
// FuzzSortRequests holds it to slices.SortFunc.
func sortRequests(rs []*request, key func(*request) int64) {
	down := func(i, n int) {
		for {
			c := 2*i + 1
			if c >= n {
				return
			}
			if c+1 < n && key(rs[c+1]) > key(rs[c]) {
				c++
			}
			if key(rs[i]) >= key(rs[c]) {
				return
			}
			rs[i], rs[c] = rs[c], rs[i]
			i = c
		}
	}
	for i := len(rs)/2 - 1; i >= 0; i-- {
		down(i, len(rs))
	}
	for end := len(rs) - 1; end > 0; end-- {
		rs[0], rs[end] = rs[end], rs[0]
		down(0, end)
	}
}
