package index

import (
	"math"
	"math/bits"
	"slices"
)

// probeOrder is the order in which a search visits lists: by centroid
// distance, ties by list id. It is sorted lazily, a prefix at a time: an
// unfiltered search needs only its nprobe closest lists, a filtered one
// an unknown number. Each key packs a distance's order-preserving bits
// above the list id, so plain integer order is the probe order.
type probeOrder struct {
	keys []uint64
	// sorted is the length of the prefix of keys in final order; the
	// rest are all larger than it, in no order.
	sorted int
}

// reset orders the lists of the centroid distances dist (smaller closer),
// none yet sorted.
func (o *probeOrder) reset(dist []float32) {
	if cap(o.keys) < len(dist) {
		o.keys = make([]uint64, len(dist))
	}
	o.keys = o.keys[:len(dist)]
	for l, d := range dist {
		o.keys[l] = uint64(orderedBits(d))<<32 | uint64(l)
	}
	o.sorted = 0
}

// extend puts the next n lists (or all that remain) in final order:
// a selection moves the n smallest remaining keys to the front of the
// unsorted part, then only they are sorted. With 2048 lists, selecting
// and sorting the closest 128 costs about a third of a heap selection.
func (o *probeOrder) extend(n int) {
	rest := o.keys[o.sorted:]
	n = min(n, len(rest))
	if n < len(rest) {
		selectSmallest(rest, n)
	}
	slices.Sort(rest[:n])
	o.sorted += n
}

// rekey updates the keys not yet sorted to the distances dist (of which
// the sorted prefix's must not have changed).
func (o *probeOrder) rekey(dist []float32) {
	for i := o.sorted; i < len(o.keys); i++ {
		l := uint32(o.keys[i])
		o.keys[i] = uint64(orderedBits(dist[l]))<<32 | uint64(l)
	}
}

// list returns the list at position i of the order, which must be sorted.
func (o *probeOrder) list(i int) int { return int(uint32(o.keys[i])) }

// selectSmallest reorders x so that its n smallest values (0 < n <
// len(x)) come first, in no particular order (quickselect, median of three).
func selectSmallest(x []uint64, n int) {
	lo, hi := 0, len(x)-1
	for lo < hi {
		// Median of three to x[hi] as the pivot.
		mid := lo + (hi-lo)/2
		if x[mid] < x[lo] {
			x[mid], x[lo] = x[lo], x[mid]
		}
		if x[hi] < x[lo] {
			x[hi], x[lo] = x[lo], x[hi]
		}
		if x[mid] < x[hi] {
			x[mid], x[hi] = x[hi], x[mid]
		}
		pivot := x[hi]
		p := lo
		// Branch-free Lomuto partition: whether a key goes left is a coin
		// flip a branch predictor loses, so every step swaps and the
		// boundary advances by the comparison.
		for i := lo; i < hi; i++ {
			v := x[i]
			x[i] = x[p]
			x[p] = v
			_, lt := bits.Sub64(v, pivot, 0) // 1 when v < pivot
			p += int(lt)
		}
		x[p], x[hi] = x[hi], x[p]
		// x[lo:p] < pivot = x[p] < x[p+1:hi+1]; keys are distinct.
		switch {
		case p == n || p == n-1:
			return
		case p > n:
			hi = p - 1
		default:
			lo = p + 1
		}
	}
}

// orderedBits maps a float32 to a uint32 with the same order (for
// non-NaN values; -0 sorts just before +0).
func orderedBits(f float32) uint32 {
	b := math.Float32bits(f)
	if b&(1<<31) != 0 {
		return ^b
	}
	return b | 1<<31
}
