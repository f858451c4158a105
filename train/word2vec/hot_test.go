package word2vec

import (
	"slices"
	"testing"
)

func TestHotSet(t *testing.T) {
	counts := []int64{5, 100, 7, 100, 1}
	if h := newHotSet(counts, 4, 1); h != nil {
		t.Error("one thread gets a hot set")
	}
	h := newHotSet(counts, 4, 2)
	if want := []int32{1, 3, 2, 0, 4}; !slices.Equal(h.ids, want) {
		t.Errorf("hot ids = %v, want %v (by count, ties in id order)", h.ids, want)
	}
	if want := []int32{3, 0, 2, 1, 4}; !slices.Equal(h.slot, want) {
		t.Errorf("slots = %v, want %v", h.slot, want)
	}
	// A large dimension leaves room for fewer rows.
	big := newHotSet(make([]int64, 100_000), 1000, 2)
	if n := len(big.ids); n != hotBytes/8000 {
		t.Errorf("%d hot rows at dim 1000, want %d", n, hotBytes/8000)
	}
}

// TestHotRowsMerge checks that a merge adds the worker's change to the
// shared row without losing what another worker wrote meanwhile.
func TestHotRowsMerge(t *testing.T) {
	const dim = 3
	out := []float32{
		1, 2, 3, // id 0, cold
		10, 20, 30, // id 1, hot
	}
	set := newHotSet([]int64{1, 9}, dim, 2)
	set.ids, set.slot = set.ids[:1], []int32{-1, 0} // only id 1 is hot
	h := newHotRows(set, out, dim)
	r := h.row(out, 1, dim)
	if !slices.Equal(r, []float32{10, 20, 30}) {
		t.Fatalf("hot row = %v", r)
	}
	r[0] += 1     // this worker's update
	out[3+2] += 5 // another worker's update to the shared row
	if c := h.row(out, 0, dim); &c[0] != &out[0] {
		t.Error("cold row is not the shared row")
	}
	h.merge(out, dim)
	if want := []float32{11, 20, 35}; !slices.Equal(out[3:], want) {
		t.Errorf("shared row after merge = %v, want %v", out[3:], want)
	}
	if r := h.row(out, 1, dim); !slices.Equal(r, []float32{11, 20, 35}) {
		t.Errorf("hot row after merge = %v, want the shared row", r)
	}
	var none *hotRows
	if r := none.row(out, 1, dim); &r[0] != &out[3] {
		t.Error("without a cache the row is not the shared row")
	}
}
