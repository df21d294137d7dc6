package core

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// table behaves as the map it replaces, and keeps its ids sorted.
func TestTableAsMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var tb table
	ref := map[int64]*request{}
	for i := 0; i < 20000; i++ {
		id := rng.Int64N(300) // small ids: many hits, replacements and deletions
		switch rng.IntN(3) {
		case 0:
			r := &request{callID: id}
			tb.set(id, r)
			ref[id] = r
		case 1:
			tb.del(id)
			delete(ref, id)
		}
		if tb.get(id) != ref[id] {
			t.Fatalf("step %d: get(%d) = %p, want %p", i, id, tb.get(id), ref[id])
		}
		if tb.len() != len(ref) {
			t.Fatalf("step %d: len %d, want %d", i, tb.len(), len(ref))
		}
	}
	if !slices.IsSorted(tb.ids) {
		t.Fatal("ids not sorted")
	}
	for i, r := range tb.all() {
		if ref[tb.ids[i]] != r {
			t.Fatalf("all()[%d] is not the request under id %d", i, tb.ids[i])
		}
	}
	tb.clear()
	if tb.len() != 0 || tb.get(1) != nil {
		t.Fatal("clear left requests")
	}
}
