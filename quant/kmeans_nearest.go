package quant

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/errors"
)

// This file holds the nearest-centroid search shared by k-means, the IVF
// assignment and PQ encoding.
//
// Squared distances are ranked through ||x-c||^2 = ||x||^2 - 2<x,c> + ||c||^2:
// ||x||^2 is the same for every centroid, so the kernel only computes the
// score ||c||^2 - 2<x,c>, an inner product per centroid instead of a
// difference and a square. The centroids are stored transposed in panels of
// panelWidth, so that the AVX2 kernel broadcasts one coordinate of each of
// four rows and multiplies it into two 8-wide registers of centroid
// coordinates: 8 fused multiply-adds for 6 loads, no horizontal sums, and
// the same code for 8-d PQ sub-vectors as for 1024-d vectors.
//
// The score differs from the exact distance by cancellation when the points
// are far from the origin compared with their spread, so a near-tie may be
// broken differently from an exact L2 comparison; the distances Nearest
// reports are recomputed exactly for the winning centroid.

// panelWidth is the number of centroids in a panel.
const panelWidth = 16

// centroidTable is k centroids of dimension dim laid out for the nearest
// kernels. It is immutable once built and goroutine-safe.
type centroidTable struct {
	dim, k int
	// rows are the k centroids, row-major (not copied: the caller's slice).
	rows []float32
	// panels hold ceil(k/16) panels: panel p has, for each dimension d, the
	// 16 values C[16p+l][d] at panels[(p*dim+d)*16+l]. The padding
	// centroids past k are zero.
	panels []float32
	// norms are ||C[j]||^2 for the ceil(k/16)*16 centroids, +Inf for the
	// padding so that it never wins.
	norms []float32
}

// reset lays out k = len(rows)/dim centroids, reusing t's buffers.
func (t *centroidTable) reset(rows []float32, dim int) {
	k := len(rows) / dim
	np := (k + panelWidth - 1) / panelWidth
	t.dim, t.k, t.rows = dim, k, rows
	t.panels = growFloats(t.panels, np*dim*panelWidth)
	t.norms = growFloats(t.norms, np*panelWidth)
	clear(t.panels)
	for j := range k {
		row := rows[j*dim : (j+1)*dim]
		p, l := j/panelWidth, j%panelWidth
		panel := t.panels[p*dim*panelWidth : (p+1)*dim*panelWidth]
		for d, x := range row {
			panel[d*panelWidth+l] = x
		}
		t.norms[j] = Norm2(row)
	}
	for j := k; j < len(t.norms); j++ {
		t.norms[j] = float32(math.Inf(1))
	}
}

func (t *centroidTable) npanels() int { return len(t.norms) / panelWidth }

// growFloats returns a slice of length n, reusing b's storage when it is
// large enough.
func growFloats(b []float32, n int) []float32 {
	if cap(b) >= n {
		return b[:n]
	}
	return make([]float32, n)
}

// nearestKernel is one implementation of the nearest-centroid search.
// nearest sets assign[i], for i < len(assign), to the index of the centroid
// of t with the smallest score (the lowest index among equal scores) for
// the row data[i*stride : i*stride+t.dim]. The caller has checked that
// t.k >= 1, t.dim >= 1 and len(data) >= (len(assign)-1)*stride + t.dim.
type nearestKernel struct {
	name    string
	nearest func(t *centroidTable, data []float32, stride int, assign []int32)
}

var portableNearest = nearestKernel{name: "portable", nearest: nearestPortable}

// nearestPortable is the plain Go kernel: it computes each score as
// ||c||^2 - 2<x,c> from the row-major centroids, like the AVX2 kernel up to
// float rounding (which fuses the multiply-adds and sums in another order).
func nearestPortable(t *centroidTable, data []float32, stride int, assign []int32) {
	dim := t.dim
	for i := range assign {
		x := data[i*stride : i*stride+dim]
		best, bestScore := 0, float32(math.Inf(1))
		for j := range t.k {
			c := t.rows[j*dim : (j+1)*dim]
			if s := t.norms[j] - 2*dotPortable(x, c); s < bestScore {
				best, bestScore = j, s
			}
		}
		assign[i] = int32(best)
	}
}

// nearestRows runs the selected kernel (see nearestKernel) through direct
// calls rather than a function value, so that escape analysis can keep the
// callers' scratch on the stack.
func nearestRows(t *centroidTable, data []float32, stride int, assign []int32) {
	if useAVX2Nearest {
		nearestAVX2(t, data, stride, assign)
		return
	}
	nearestPortable(t, data, stride, assign)
}

// nearestChunk is the number of rows in a unit of parallel work. It is a
// constant, not derived from the thread count, so that anything reduced per
// chunk comes out the same whatever the number of threads.
const nearestChunk = 256

// Nearest writes, for each of the n = len(assign) rows of data, the index
// of the nearest of the k = len(centroids)/dim centroids under squared L2
// into assign[i] (the lowest index among equal distances, as far as float
// rounding can tell them apart) and, if dists is not nil, that squared
// distance, computed exactly, into dists[i]. It uses threads goroutines, or
// GOMAXPROCS when threads <= 0, and gives the same result for any number.
//
// A row holding a NaN is assigned centroid 0.
//
// dim must be at least 1, len(data) must be n*dim, len(centroids) a
// positive multiple of dim and dists nil or of length n; otherwise Nearest
// panics with an assertion failure. It is goroutine-safe: it only reads
// data and centroids and writes assign and dists. It allocates a copy of
// the centroids in the kernel's layout; callers that assign many small
// batches against the same centroids pay that each time.
func Nearest(data []float32, dim int, centroids []float32, assign []int32, dists []float32, threads int) {
	switch {
	case dim < 1:
		panic(errors.AssertionFailedf("quant: Nearest: dim = %d", dim))
	case len(centroids) == 0 || len(centroids)%dim != 0:
		panic(errors.AssertionFailedf("quant: Nearest: len(centroids) = %d is not a positive multiple of dim = %d", len(centroids), dim))
	case len(data)%dim != 0 || len(data)/dim != len(assign):
		panic(errors.AssertionFailedf("quant: Nearest: len(data) = %d, want dim*len(assign) = %d*%d", len(data), dim, len(assign)))
	case dists != nil && len(dists) != len(assign):
		panic(errors.AssertionFailedf("quant: Nearest: len(dists) = %d, want %d", len(dists), len(assign)))
	}
	var t centroidTable
	t.reset(centroids, dim)
	nearestTable(&t, data, assign, dists, threads)
}

// nearestTable is Nearest over a prepared table.
func nearestTable(t *centroidTable, data []float32, assign []int32, dists []float32, threads int) {
	dim := t.dim
	parallelChunks(threads, len(assign), nearestChunk, func(lo, hi int) {
		nearestRows(t, data[lo*dim:hi*dim], dim, assign[lo:hi])
		if dists != nil {
			for i := lo; i < hi; i++ {
				c := assign[i]
				dists[i] = L2Squared(data[i*dim:(i+1)*dim], t.rows[int(c)*dim:(int(c)+1)*dim])
			}
		}
	})
}

// parallelChunks calls fn(lo, hi) for the chunks [lo, hi) of [0, n), each
// chunk rows long but the last, from threads goroutines (GOMAXPROCS when
// threads <= 0). It returns when every call has returned. The chunks do not
// depend on threads, so per-chunk results combined in chunk order are the
// same for any number of threads.
func parallelChunks(threads, n, chunk int, fn func(lo, hi int)) {
	nchunks := (n + chunk - 1) / chunk
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	threads = min(threads, nchunks)
	if threads <= 1 {
		for lo := 0; lo < n; lo += chunk {
			fn(lo, min(lo+chunk, n))
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range threads {
		wg.Go(func() {
			for {
				c := int(next.Add(1) - 1)
				if c >= nchunks {
					return
				}
				lo := c * chunk
				fn(lo, min(lo+chunk, n))
			}
		})
	}
	wg.Wait()
}

// CentroidSet is a set of centroids laid out once for repeated
// nearest-centroid searches: [Nearest] lays its centroids out on every
// call, which costs a copy of them, while a CentroidSet's methods allocate
// nothing. Both rank the same way, so a vector gets the same centroid from
// either (unlike an exact L2SquaredBatch comparison, which can break
// near-ties differently).
//
// A CentroidSet is immutable and goroutine-safe. It keeps the centroid
// slice it was built from, which the caller must not modify afterwards.
type CentroidSet struct {
	t centroidTable
}

// NewCentroidSet returns the k = len(centroids)/dim centroids (row-major)
// as a CentroidSet. It returns an error if dim < 1 or len(centroids) is
// not a positive multiple of dim.
func NewCentroidSet(centroids []float32, dim int) (*CentroidSet, error) {
	if dim < 1 || len(centroids) == 0 || len(centroids)%dim != 0 {
		return nil, errors.Newf("quant: %d centroid values are not a positive multiple of dimension %d", len(centroids), dim)
	}
	c := &CentroidSet{}
	c.t.reset(centroids, dim)
	return c, nil
}

// Dim returns the dimension of the centroids.
func (c *CentroidSet) Dim() int { return c.t.dim }

// Len returns the number of centroids.
func (c *CentroidSet) Len() int { return c.t.k }

// Nearest is [Nearest] over the set: for each of the n = len(assign) rows
// of data, the nearest centroid into assign[i] and, if dists is not nil,
// the exact squared distance to it into dists[i]. len(data) must be
// n*Dim() and dists nil or of length n; otherwise it panics with an
// assertion failure.
func (c *CentroidSet) Nearest(data []float32, assign []int32, dists []float32, threads int) {
	dim := c.t.dim
	if len(data)%dim != 0 || len(data)/dim != len(assign) || (dists != nil && len(dists) != len(assign)) {
		panic(errors.AssertionFailedf("quant: CentroidSet.Nearest: len(data) = %d, len(assign) = %d, len(dists) = %d, dim %d",
			len(data), len(assign), len(dists), dim))
	}
	nearestTable(&c.t, data, assign, dists, threads)
}

// NearestOne returns the index of the centroid nearest to v, as Nearest
// ranks them, and the exact squared distance to it. len(v) must be Dim();
// otherwise it panics with an assertion failure.
func (c *CentroidSet) NearestOne(v []float32) (int, float32) {
	dim := c.t.dim
	if len(v) != dim {
		panic(errors.AssertionFailedf("quant: CentroidSet.NearestOne: len(v) = %d, want %d", len(v), dim))
	}
	var a [1]int32
	nearestRows(&c.t, v, dim, a[:])
	j := int(a[0])
	return j, L2Squared(v, c.t.rows[j*dim:(j+1)*dim])
}
