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
			pushBlock(top, d, &b, start, allow, skip)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return top.Sorted(nil), nil
}

// exactGroupMax bounds the queries one grouped scan answers: their top-k
// heaps and the block's rows stay in cache together.
const exactGroupMax = 256

// ExactGroup answers several queries as Exact does, in one scan of the
// rows: each block is scored against every query while it is in cache,
// so the rows are read once for the group rather than once a query (rows
// that come from the store cost a read and a decode each). skips, when
// not nil, holds each query's skip.
func ExactGroup(rows Rows, m quant.Metric, qs [][]float32, k int, allow *roaring.Bitmap, skips []*uint32) ([][]Hit, error) {
	out := make([][]Hit, len(qs))
	if k <= 0 || allow.IsEmpty() || len(qs) == 0 {
		return out, nil
	}
	dim := rows.Dim()
	tops := make([]TopK, len(qs))
	for i := range tops {
		tops[i].Reset(k)
	}
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	err := rows.Scan(allow, func(b Block) bool {
		n := b.Len(dim)
		for start := 0; start < n; start += len(s.dist) {
			end := min(start+len(s.dist), n)
			d := s.dist[:end-start]
			chunk := b.Rows[start*dim : end*dim]
			for qi, q := range qs {
				quant.DistanceBatch(m, q, chunk, d)
				var skip *uint32
				if skips != nil {
					skip = skips[qi]
				}
				pushBlock(&tops[qi], d, &b, start, allow, skip)
			}
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	for i := range tops {
		out[i] = tops[i].Sorted(nil)
	}
	return out, nil
}

// pushBlock pushes the rows of b from start, whose distances are d, that
// allow lets in (all of them when b.Allowed) and that are not skip.
func pushBlock(top *TopK, d []float32, b *Block, start int, allow *roaring.Bitmap, skip *uint32) {
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
