package word2vec

import (
	"cmp"
	"slices"

	"github.com/vecdb/vecdb/quant"
)

// Hot output rows.
//
// Negatives are drawn from the unigram distribution raised to 0.75, so the
// output rows of the most frequent ids are written all the time: on the
// shared corpus the 1,024 most frequent words take 39% of the draws. With
// several workers sharing those rows, nearly every access finds the row's
// cache lines modified by another core and waits for them to move, which
// measured a 30% loss of speed at two threads on a 61k-word vocabulary
// (with private output matrices, two threads ran as fast as one each).
//
// So with more than one worker, each worker keeps private copies of the
// hottest output rows, trains on them, and every syncWords words adds the
// change since its last merge to the shared rows and takes a fresh copy.
// Every update still reaches the shared matrix, a little later than under
// plain Hogwild: the other workers see this worker's changes to those rows
// up to syncWords words late, a staleness far below what asynchronous SGD
// tolerates. With one worker the cache is off.
//
// The copies win back part of the loss, about 8% of two-thread speed in
// measurements at 61k words and 100 dimensions; the rest comes from the
// many less frequent rows the workers still share.

// hotBytes bounds the memory of one worker's copies (two per row: the
// working copy and the snapshot taken at the last merge), so that they
// stay in a core's L2 cache.
const hotBytes = 1 << 20

// hotSet picks the rows to cache.
type hotSet struct {
	ids  []int32 // the cached ids, most frequent first
	slot []int32 // slot[id] is id's index in ids, or -1
}

// newHotSet selects the most frequent ids, as many as fit hotBytes at dim,
// or returns nil when rows cannot be shared (one thread).
func newHotSet(counts []int64, dim, threads int) *hotSet {
	if threads < 2 {
		return nil
	}
	k := min(len(counts), hotBytes/(2*4*dim))
	if k == 0 {
		return nil
	}
	order := make([]int32, len(counts))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(counts[b], counts[a]) })
	h := &hotSet{ids: order[:k:k], slot: make([]int32, len(counts))}
	for i := range h.slot {
		h.slot[i] = -1
	}
	for s, id := range h.ids {
		h.slot[id] = int32(s)
	}
	return h
}

// hotRows is one worker's copies of the hot rows.
type hotRows struct {
	set         *hotSet
	local, snap []float32
}

func newHotRows(set *hotSet, out []float32, dim int) *hotRows {
	if set == nil {
		return nil
	}
	n := len(set.ids) * dim
	h := &hotRows{set: set, local: isolated[float32](n), snap: isolated[float32](n)}
	h.load(out, dim)
	return h
}

// load copies the shared rows into local and snap.
func (h *hotRows) load(out []float32, dim int) {
	for s, id := range h.set.ids {
		o := int(id) * dim
		copy(h.local[s*dim:(s+1)*dim], out[o:o+dim])
	}
	copy(h.snap, h.local)
}

// merge adds local-snap, this worker's change since the last merge, to the
// shared rows, then reloads them with the other workers' changes.
func (h *hotRows) merge(out []float32, dim int) {
	for s, id := range h.set.ids {
		o := int(id) * dim
		l := h.local[s*dim : (s+1)*dim : (s+1)*dim]
		quant.Axpy(-1, h.snap[s*dim:(s+1)*dim:(s+1)*dim], l)
		quant.Axpy(1, l, out[o:o+dim:o+dim])
	}
	h.load(out, dim)
}

// row returns the row to train for id: the private copy when id is hot,
// else the shared row.
func (h *hotRows) row(out []float32, id int32, dim int) []float32 {
	if h != nil {
		if s := int(h.set.slot[id]); s >= 0 {
			return h.local[s*dim : (s+1)*dim : (s+1)*dim]
		}
	}
	o := int(id) * dim
	return out[o : o+dim : o+dim]
}
