package index

import (
	"math"
	"sync"

	"github.com/vecdb/vecdb/quant"
)

// The coarse step ranks every centroid for every query: NList x Dim
// multiply-adds, which on high-dimensional data with many lists costs more
// than scanning the probed lists (1,024 centroids of 784 floats are 3.2 MB
// a query). Above coarseMinValues, a search estimates the centroid
// distances from RaBitQ codes of the centroids instead (fast-scanned, a
// few nanoseconds each), and computes exactly only the centroids whose
// error bounds leave them a chance to be among the nprobe closest, and
// any other list it goes on to scan.

// coarseMinValues is the number of centroid values (NList x Dim) above
// which the coarse step is estimated: 1 MB of float32s, past which the
// scan streams from memory rather than the caches.
const coarseMinValues = 1 << 18

// coarseBits is the bits per dimension of the centroids' codes: 4 bits
// estimate distances tightly enough that few centroids need computing.
const coarseBits = 4

// coarseSeed draws the centroid codes' rotation: fixed, since the codes
// are made from the centroids at load and never stored.
const coarseSeed = 0xc0a45e

// coarseCodes are the centroids' RaBitQ codes: the residual of each
// centroid from their mean, packed in blocks.
type coarseCodes struct {
	rq     *quant.RaBitQ
	mean   []float32
	packed []byte
}

// coarse returns the centroids' codes, made on first use, or nil when
// the index scans its centroids exactly (few enough values, or a
// dimension RaBitQ does not take).
func (ivf *IVF) coarse() *coarseCodes {
	ivf.coarseOnce.Do(func() {
		dim := ivf.SpaceDim()
		if ivf.NList*dim < coarseMinValues || dim > quant.MaxRaBitQDim {
			return
		}
		rq, err := quant.NewRaBitQ(dim, coarseBits, coarseSeed)
		if err != nil {
			return
		}
		cc := &coarseCodes{rq: rq, mean: make([]float32, dim)}
		for l := range ivf.NList {
			for j, x := range ivf.centroid(l) {
				cc.mean[j] += x
			}
		}
		for j := range cc.mean {
			cc.mean[j] /= float32(ivf.NList)
		}
		codes := make([]byte, 0, ivf.NList*rq.CodeSize())
		r := make([]float32, dim)
		for l := range ivf.NList {
			for j, x := range ivf.centroid(l) {
				r[j] = x - cc.mean[j]
			}
			codes = rq.Encode(codes, r, nil)
		}
		cc.packed = rq.Pack(nil, codes)
		ivf.coarseCodes = cc
	})
	return ivf.coarseCodes
}

// coarseScratch is a query's working memory for the estimated coarse
// step.
type coarseScratch struct {
	rq    *quant.RaBitQ
	est   quant.BoundedEstimator
	errs  []float32
	x     []float32
	keys  []uint64
	exact []bool // which of centroidDist are exact
}

var coarsePool sync.Pool

// estimateCentroids sets s.centroidDist to the distances from q to every
// centroid (smaller closer): exact for the centroids that may be among
// the nprobe closest, estimates (marked in s.coarse.exact) for the rest.
func (ivf *IVF) estimateCentroids(q []float32, nprobe int, cc *coarseCodes, s *scratch) {
	cs := &s.coarse
	if cs.rq != cc.rq {
		cs.rq, cs.est = cc.rq, cc.rq.NewEstimator().(quant.BoundedEstimator)
	}
	n := ivf.NList
	if cap(cs.errs) < n {
		cs.errs, cs.keys, cs.exact = make([]float32, n), make([]uint64, n), make([]bool, n)
	}
	cs.errs, cs.keys, cs.exact = cs.errs[:n], cs.keys[:n], cs.exact[:n]
	var bias float32
	if ivf.Metric == quant.L2 {
		// ||q - c||² = ||x||² + ||r||² - 2<x, r>, x = q - mean, r = c - mean.
		dim := ivf.SpaceDim()
		if cap(cs.x) < dim {
			cs.x = make([]float32, dim)
		}
		x := cs.x[:dim]
		for j := range x {
			x[j] = q[j] - cc.mean[j]
		}
		bias = quant.DotProduct(x, x)
		cs.est.SetL2(x)
	} else {
		// -<q, c> = -<q, mean> - <q, r>.
		bias = -quant.DotProduct(q, cc.mean)
		cs.est.SetDot(q, -1)
	}
	cs.est.ScanBlocksBounded(cc.packed, bias, float32(math.Inf(1)), nil, s.centroidDist, cs.errs)
	// The nprobe-th smallest upper bound: a centroid whose lower bound
	// is above it has nprobe others closer.
	for l, d := range s.centroidDist {
		cs.keys[l] = uint64(orderedBits(d+cs.errs[l]))<<32 | uint64(l)
	}
	nprobe = min(nprobe, n)
	if nprobe < n {
		selectSmallest(cs.keys, nprobe)
	}
	var bound uint32
	for _, k := range cs.keys[:nprobe] {
		bound = max(bound, uint32(k>>32))
	}
	for l, d := range s.centroidDist {
		cs.exact[l] = false
		if orderedBits(d-cs.errs[l]) <= bound {
			ivf.exactCentroid(q, l, s)
		}
	}
}

// exactCentroids makes every centroid distance exact.
func (ivf *IVF) exactCentroids(q []float32, s *scratch) {
	for l, ok := range s.coarse.exact {
		if !ok {
			ivf.exactCentroid(q, l, s)
		}
	}
	s.estimated = false
}

// exactCentroid sets s.centroidDist[l] to q's exact distance to centroid
// l.
func (ivf *IVF) exactCentroid(q []float32, l int, s *scratch) {
	c := ivf.centroid(l)
	if ivf.Metric == quant.L2 {
		s.centroidDist[l] = quant.L2Squared(q, c)
	} else {
		s.centroidDist[l] = -quant.DotProduct(q, c)
	}
	s.coarse.exact[l] = true
}
