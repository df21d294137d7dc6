package core

import (
	"math/rand"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The hand-written stand-ins for std functions (kept out of the wasm module
// for size) must give what the std functions give. Each has a fuzz target
// whose seeds run in every go test, and a test of many random cases.

func checkParseInt(t *testing.T, b []byte) {
	t.Helper()
	want, err := strconv.ParseInt(string(b), 10, 64)
	got, ok := parseInt(b)
	if got != want || ok != (err == nil) {
		t.Fatalf("parseInt(%q) = %d, %v; strconv.ParseInt gives %d, %v", b, got, ok, want, err)
	}
}

func FuzzParseInt(f *testing.F) {
	for _, s := range []string{"", "0", "-0", "+0", "+", "-", "007", "-12", "1e3", "1.5", " 1", "1_000", "0x10",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
		"18446744073709551615", "18446744073709551616", "18446744073709551615x", "18446744073709551616x",
		"99999999999999999999x", "-+1", "+-1", "--1", "١"} {
		f.Add([]byte(s))
	}
	f.Fuzz(checkParseInt)
}

func TestParseIntRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	const alphabet = "0123456789+-x._ 9"
	for range 200000 {
		b := make([]byte, rng.Intn(24))
		for i := range b {
			if rng.Intn(8) == 0 {
				b[i] = alphabet[rng.Intn(len(alphabet))]
			} else {
				b[i] = '0' + byte(rng.Intn(10))
			}
		}
		checkParseInt(t, b)
		checkParseInt(t, strconv.AppendInt(nil, rng.Int63()-rng.Int63(), 10))
	}
}

func FuzzHasByte(f *testing.F) {
	for _, s := range []string{"", "?", "ws://h/p", "ws://h/p?a=1", "?x", "x?"} {
		f.Add(s, byte('?'))
	}
	f.Fuzz(func(t *testing.T, s string, c byte) {
		if got, want := hasByte(s, c), strings.IndexByte(s, c) >= 0; got != want {
			t.Fatalf("hasByte(%q, %q) = %v, strings gives %v", s, c, got, want)
		}
		if got, want := URLWithConnectionParams(s), s+"?connectionParams=1"; strings.Contains(s, "?") {
			if want = s + "&connectionParams=1"; got != want {
				t.Fatalf("URLWithConnectionParams(%q) = %q, want %q", s, got, want)
			}
		} else if got != want {
			t.Fatalf("URLWithConnectionParams(%q) = %q, want %q", s, got, want)
		}
	})
}

func checkSortRequests(t *testing.T, keys []int64) {
	t.Helper()
	rs := make([]*request, len(keys))
	for i, k := range keys {
		rs[i] = &request{order: k}
	}
	want := slices.Clone(rs)
	slices.SortFunc(want, func(a, b *request) int {
		switch {
		case a.order < b.order:
			return -1
		case a.order > b.order:
			return 1
		}
		return 0
	})
	sortRequests(rs, func(r *request) int64 { return r.order })
	for i := range rs {
		if rs[i].order != want[i].order {
			t.Fatalf("sortRequests(%v): %d at %d, slices.SortFunc has %d", keys, rs[i].order, i, want[i].order)
		}
	}
}

func FuzzSortRequests(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add([]byte{3, 1, 2})
	f.Add([]byte{5, 5, 1, 5, 0, 9, 9})
	f.Fuzz(func(t *testing.T, b []byte) {
		keys := make([]int64, len(b))
		for i, c := range b {
			keys[i] = int64(int8(c))
		}
		checkSortRequests(t, keys)
	})
}

func TestSortRequestsRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for range 20000 {
		keys := make([]int64, rng.Intn(70))
		for i := range keys {
			if rng.Intn(2) == 0 {
				keys[i] = rng.Int63n(20)
			} else {
				keys[i] = rng.Int63() - rng.Int63()
			}
		}
		checkSortRequests(t, keys)
	}
}
