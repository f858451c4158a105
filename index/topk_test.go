package index

import (
	"slices"
	"testing"
)

func TestTopKSorted(t *testing.T) {
	top := NewTopK(3)
	for i, d := range []float32{5, 1, 3, 1, 0.5, 3} {
		top.Push(Hit{Doc: uint32(i), Distance: d})
	}
	got := top.Sorted(nil)
	want := []Hit{{Doc: 4, Distance: 0.5}, {Doc: 1, Distance: 1}, {Doc: 3, Distance: 1}}
	if !slices.Equal(got, want) {
		t.Fatalf("Sorted = %v, want %v", got, want)
	}
}
