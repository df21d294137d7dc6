package jsbridge

import (
	"math"
	"reflect"
	"testing"

	"github.com/trpcws/trpcws/core"
)

// TestBackoffConstants checks that the formula web/lib/options.js applies
// to BACKOFF_BASE_MS and BACKOFF_MAX_MS is core.ExponentialBackoff.
func TestBackoffConstants(t *testing.T) {
	base, max := core.ExponentialBackoff(1)/2, core.ExponentialBackoff(1<<30)
	for attempt := 0; attempt < 70; attempt++ {
		want := core.ExponentialBackoff(attempt)
		got := int64(0)
		if attempt > 0 {
			got = max
			if attempt < 40 && base<<attempt < max {
				got = base << attempt
			}
		}
		if got != want {
			t.Fatalf("attempt %d: formula gives %d, core %d", attempt, got, want)
		}
	}
}

// TestOptionsLayout checks that each field of the options record lands in
// its place.
func TestOptionsLayout(t *testing.T) {
	vals := []float64{1, 250, 1, 300, 40, 1, 1, 0, 3, 500, 700, 900, 10, 1, 60000, 0.5, packAuth(true, 4401, 4000)}
	if len(vals) != len(optionFields) {
		t.Fatalf("test covers %d fields, layout has %d", len(vals), len(optionFields))
	}
	b := make([]byte, 8*len(vals))
	for i, v := range vals {
		putFloat64(b[8*i:], v)
	}
	o := decodeOptions(b)
	want := options{
		cfg: core.Config{Lazy: true, LazyCloseMs: 250, KeepAlive: true, KeepAliveIntervalMs: 300, PongTimeoutMs: 40, AskRetry: true,
			MaxAttempts: 3, MinUptimeMs: 500, ConnectTimeoutMs: 700, RequestTimeoutMs: 900, MaxQueued: 10, Events: true, MaxConnectionAgeMs: 60000,
			RefreshAuth: true, RefreshRetryMutations: true, AuthCloseCodes: []int{4401, 4000}},
		params: true,
		seed:   1 << 52,
	}
	if !reflect.DeepEqual(o, want) {
		t.Fatalf("decoded %+v, want %+v", o, want)
	}
	if z := decodeOptions(make([]byte, 8*len(vals))); z.cfg.Lazy || z.cfg.AskRetry || z.params || z.cfg.LazyCloseMs != 0 || z.cfg.AuthCloseCodes != nil {
		t.Fatalf("zero record decoded as %+v", z)
	}
}

// packAuth packs the refreshAuth options as web/lib/options.js does (codes
// nil: none given).
func packAuth(retryMutations bool, codes ...int) float64 {
	u := 0.0
	if retryMutations {
		u++
	}
	if codes != nil {
		u += 2 + 4*float64(len(codes))
	}
	for i, c := range codes {
		u += 32 * float64(c-1000) * math.Pow(4096, float64(i))
	}
	return 1 + u
}

// TestRefreshAuthOptions checks the packed refreshAuth options round trip.
func TestRefreshAuthOptions(t *testing.T) {
	for _, codes := range [][]int{nil, {}, {1000}, {4401, 4403, 1008}, {4999, 4999, 4999, 4999}, {1000, 4999, 1001, 4998}} {
		for _, retry := range []bool{false, true} {
			var o options
			o.refreshAuth(packAuth(retry, codes...))
			if !o.cfg.RefreshAuth || o.cfg.RefreshRetryMutations != retry || !reflect.DeepEqual(o.cfg.AuthCloseCodes, codes) {
				t.Errorf("%v %v decoded as %+v", retry, codes, o.cfg)
			}
		}
	}
	for _, v := range []float64{0, -1, 0.5, 1<<53 + 2} { // absent, nonsense, too big
		var o options
		if o.refreshAuth(v); o.cfg.RefreshAuth {
			t.Errorf("%v decoded as %+v", v, o.cfg)
		}
	}
}

// TestJitter checks that the max-age jitter stays in [0, n) and varies.
func TestJitter(t *testing.T) {
	for _, seed := range []uint64{0, 1, 1 << 52, 1<<53 - 1} {
		j := jitter(seed)
		seen := map[int64]bool{}
		for range 200 {
			v := j(101)
			if v < 0 || v >= 101 {
				t.Fatalf("seed %d: jitter %d outside [0, 101)", seed, v)
			}
			seen[v] = true
		}
		if len(seen) < 50 {
			t.Errorf("seed %d: only %d distinct values of 200", seed, len(seen))
		}
		if v := j(1); v != 0 {
			t.Errorf("jitter(1) = %d", v)
		}
	}
	if jitter(1)(1<<40) == jitter(2)(1<<40) {
		t.Error("two seeds start alike")
	}
}
