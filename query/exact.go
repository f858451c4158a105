package query

import (
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/vecdb/vecdb/quant"
)

// sparseMax: when the allowed set holds less than this share of the
// scanned rows, a scan visits the allowed ids one by one instead of running
// the batch kernel over whole chunks. On the project's machine (200k x 128,
// bench/filtered.sh) a row visited alone costs about 1.5x a row of the
// batch kernel, and the crossover sits near 45%: at 20% the sparse walk
// answered 406 q/s against the dense scan's 108, at 49% 88 against 116.
const sparseMax = 0.4

// SparseMax is sparseMax for implementations of [Rows] outside this
// package: below this share of allowed rows, Scan should visit the
// allowed docs rather than every row.
const SparseMax = sparseMax

// scratch is per-query working memory, pooled.
type scratch struct {
	dist []float32
	top  TopK
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{dist: make([]float32, FlatChunkRows)}
}}

// Exact returns the k nearest rows to q (best first) among the doc ids in
// allow, or every allowed row when fewer than k are allowed. allow must
// not be nil; docs without a row are ignored. skip, when set, is left out
// (a query by a stored record's own vector). q must have rows.Dim() values
// and, for Cosine, be unit-normalised like the stored rows.
//
// Exact is goroutine-safe; it does not modify allow.
func Exact(rows Rows, m quant.Metric, q []float32, k int, allow *roaring.Bitmap, skip *uint32) ([]Hit, error) {
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	s.top.Reset(k)
	if k <= 0 || allow.IsEmpty() {
		return nil, nil
	}
	dim := rows.Dim()
	top := &s.top
	err := rows.Scan(allow, func(b Block) bool {
		n := b.Len(dim)
		for start := 0; start < n; start += len(s.dist) {
			end := min(start+len(s.dist), n)
			d := s.dist[:end-start]
			quant.DistanceBatch(m, q, b.Rows[start*dim:end*dim], d)
			for i, x := range d {
				if top.Full() && x > top.Worst() {
					continue
				}
				doc := b.Doc(start + i)
				if (!b.Allowed && !allow.Contains(doc)) || (skip != nil && doc == *skip) {
					continue
				}
				top.Push(Hit{Doc: doc, Distance: x})
			}
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return top.Sorted(nil), nil
}
