package query

import (
	"context"
	"runtime"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/vecdb/vecdb/quant"
	"golang.org/x/sync/errgroup"
)

// sparseFraction: when the allowed set holds fewer than this fraction of
// the scanned rows, Exact visits the allowed ids one by one instead of
// running the batch kernel over whole chunks. A per-row kernel call costs a
// few times a row of the batch kernel, so below 1/8 the sparse walk reads
// less memory and wins.
const sparseFraction = 8

// scratch is per-query working memory, pooled.
type scratch struct {
	dist []float32
	top  TopK
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{dist: make([]float32, FlatChunkRows)}
}}

// Exact returns the k nearest rows of v to q (best first) among the doc ids
// in allow, or every allowed row when fewer than k are allowed. allow must
// not be nil; ids at or beyond v.Len() are ignored. skip, when set, is left
// out (a query by a stored record's own vector). q must have v.Dim() values
// and, for Cosine, be unit-normalised like the stored rows.
//
// Exact is goroutine-safe; it does not modify allow.
func Exact(v *FlatView, m quant.Metric, q []float32, k int, allow *roaring.Bitmap, skip *uint32) []Hit {
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	s.top.Reset(k)
	if k <= 0 || v.Len() == 0 {
		return nil
	}
	card := allow.GetCardinality()
	if card*sparseFraction < uint64(v.Len()) {
		exactSparse(v, m, q, allow, skip, &s.top)
	} else {
		exactDense(v, m, q, allow, skip, &s.top, s.dist)
	}
	return s.top.Sorted(nil)
}

func exactSparse(v *FlatView, m quant.Metric, q []float32, allow *roaring.Bitmap, skip *uint32, top *TopK) {
	it := allow.Iterator()
	n := v.Len()
	for it.HasNext() {
		doc := it.Next()
		if doc >= n {
			return
		}
		row := v.Row(doc)
		if row == nil || (skip != nil && doc == *skip) {
			continue // a row never written: the caller's set names a doc with no vector
		}
		top.Push(Hit{Doc: doc, Distance: quant.Distance(m, q, row)})
	}
}

func exactDense(v *FlatView, m quant.Metric, q []float32, allow *roaring.Bitmap, skip *uint32, top *TopK, dist []float32) {
	for c := 0; c < v.numChunks(); c++ {
		rows, nrows := v.chunk(c)
		d := dist[:nrows]
		quant.DistanceBatch(m, q, rows, d)
		base := uint32(c * FlatChunkRows)
		for i, x := range d {
			if top.Full() && x > top.Worst() {
				continue
			}
			doc := base + uint32(i)
			if !allow.Contains(doc) || (skip != nil && doc == *skip) {
				continue
			}
			top.Push(Hit{Doc: doc, Distance: x})
		}
	}
}

// ExactBatch runs Exact for every query, using up to threads goroutines
// (0 means GOMAXPROCS). skips, when non-nil, has one entry per query.
// It stops early with ctx's error when ctx is cancelled.
func ExactBatch(ctx context.Context, v *FlatView, m quant.Metric, qs [][]float32, k int, allow *roaring.Bitmap, skips []*uint32, threads int) ([][]Hit, error) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	out := make([][]Hit, len(qs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(threads)
	for i := range qs {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			var skip *uint32
			if skips != nil {
				skip = skips[i]
			}
			out[i] = Exact(v, m, qs[i], k, allow, skip)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, ctx.Err()
}
