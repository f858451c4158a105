package index

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestProbeOrder checks the lazily sorted probe order against a comparison
// sort by Less, with ties, negative distances, and prefixes extended in
// steps of several sizes.
func TestProbeOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 255, 256, 257, 2048, 5000} {
		for _, ties := range []bool{false, true} {
			for _, step := range []int{1, 7, 128, n} {
				dist := make([]float32, n)
				for i := range dist {
					if ties {
						dist[i] = float32(rng.IntN(7) - 3)
					} else {
						dist[i] = float32(rng.NormFloat64() * 100)
					}
				}
				want := make([]Hit, n)
				for l, d := range dist {
					want[l] = Hit{Doc: uint32(l), Distance: d}
				}
				slices.SortFunc(want, func(a, b Hit) int {
					if Less(a, b) {
						return -1
					}
					if Less(b, a) {
						return 1
					}
					return 0
				})
				var o probeOrder
				o.reset(dist)
				for i := range n {
					if i == o.sorted {
						o.extend(step)
					}
					if l := o.list(i); l != int(want[i].Doc) {
						t.Fatalf("n %d ties %v step %d: position %d is list %d (distance %g), want %d (%g)", n, ties, step, i, l, dist[l], want[i].Doc, want[i].Distance)
					}
				}
				if o.sorted != n {
					t.Fatalf("n %d step %d: sorted %d after visiting every list", n, step, o.sorted)
				}
			}
		}
	}
}

// BenchmarkProbeOrder compares a heap selection of the closest 128 of
// 2048 lists (the unfiltered probe before the lazy order) with selecting
// and sorting them.
func BenchmarkProbeOrder(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	dist := make([]float32, 2048)
	for i := range dist {
		dist[i] = 50 + float32(rng.NormFloat64()*10)
	}
	b.Run("heap", func(b *testing.B) {
		var top TopK
		var hits []Hit
		for b.Loop() {
			top.Reset(128)
			for l, d := range dist {
				top.Push(Hit{Doc: uint32(l), Distance: d})
			}
			hits = top.Sorted(hits[:0])
		}
	})
	b.Run("select", func(b *testing.B) {
		var o probeOrder
		for b.Loop() {
			o.reset(dist)
			o.extend(128)
		}
	})
	b.Run("select-all", func(b *testing.B) {
		var o probeOrder
		for b.Loop() {
			o.reset(dist)
			o.extend(len(dist))
		}
	})
}

func BenchmarkProbeOrderTwice(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	dist := make([]float32, 2048)
	for i := range dist {
		dist[i] = 50 + float32(rng.NormFloat64()*10)
	}
	var o probeOrder
	for b.Loop() {
		o.reset(dist)
		o.extend(128)
		o.extend(128)
		o.extend(256)
	}
}
