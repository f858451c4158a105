package db

import (
	"bytes"
	"math"
	"slices"
	"testing"
)

// TestSortableOrder checks that the numeric key encodings sort like the
// numbers.
func TestSortableOrder(t *testing.T) {
	ints := []int64{math.MinInt64, -1 << 40, -2, -1, 0, 1, 2, 1 << 40, math.MaxInt64}
	floats := []float64{math.Inf(-1), -math.MaxFloat64, -1e10, -1, -math.SmallestNonzeroFloat64, 0, math.SmallestNonzeroFloat64, 0.5, 1, 1e300, math.Inf(1)}
	var ik, fk [][]byte
	for _, v := range ints {
		ik = append(ik, appendSortableInt(nil, v))
	}
	for _, v := range floats {
		fk = append(fk, appendSortableFloat(nil, v))
	}
	for _, keys := range [][][]byte{ik, fk} {
		if !slices.IsSortedFunc(keys, bytes.Compare) {
			t.Errorf("encodings out of order: %x", keys)
		}
	}
	if !bytes.Equal(appendSortableFloat(nil, math.Copysign(0, -1)), appendSortableFloat(nil, 0)) {
		t.Error("-0 and +0 encode differently")
	}
}
