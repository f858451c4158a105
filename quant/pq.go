package quant

import (
	"context"
	"math"
	"runtime"

	"github.com/cockroachdb/errors"
	"golang.org/x/sync/errgroup"
)

// PQCentroids is the number of centroids of each PQ sub-quantiser: codes
// are one byte per sub-vector.
const PQCentroids = 256

// PQ is a product quantiser: a vector of Dim values is cut into M
// sub-vectors of Dim/M values (M must divide Dim), and each sub-vector is
// replaced by the index of the nearest of its sub-quantiser's 256
// centroids, so that a code is M bytes.
//
// Build a PQ with [TrainPQ], [NewPQ] or [DecodePQ]: they validate the shape
// and lay the codebooks out for the encoding kernel. A PQ written as a
// literal works too, but then every Encode and EncodeBatch call rebuilds
// that layout. A PQ is immutable once built: its methods are goroutine-safe,
// and its fields must not be modified.
type PQ struct {
	// Dim is the dimension of the vectors.
	Dim int
	// M is the number of sub-quantisers and the code size in bytes.
	M int
	// Codebooks holds M * 256 * (Dim/M) values: centroid j of sub-quantiser
	// m starts at (m*256+j)*(Dim/M).
	Codebooks []float32

	// tabs are the sub-quantisers' codebooks laid out for the nearest
	// kernel, one per sub-quantiser (nil in a literal PQ).
	tabs []centroidTable
}

// PQOptions configure [TrainPQ]. Zero fields take the defaults documented
// on each.
type PQOptions struct {
	// Iters is the maximum number of k-means iterations per sub-quantiser
	// (default 25).
	Iters int
	// Seed drives the k-means of every sub-quantiser (each derives its own
	// seed from it).
	Seed uint64
	// Threads bounds the goroutines used; 0 (or negative) means
	// GOMAXPROCS. The result does not depend on it.
	Threads int
}

// defaultPQIters is the default of PQOptions.Iters.
const defaultPQIters = 25

// filled returns Iters and Threads with their defaults.
func (o PQOptions) filled() (iters, threads int) {
	iters, threads = o.Iters, o.Threads
	if iters == 0 {
		iters = defaultPQIters
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	return iters, threads
}

// maxPQDim bounds the dimension of a PQ, like index's bound on stored IVFs.
const maxPQDim = 1 << 16

// TrainPQ trains a product quantiser on the n = len(data)/dim vectors of
// data (row-major, contiguous): sub-quantiser m is [KMeans] with K = 256
// on the sub-vectors m*dim/M ... (m+1)*dim/M-1 of every vector. Up to
// Threads sub-quantisers train at once; the result depends only on the
// data, dim, m, Iters and Seed.
//
// TrainPQ returns an error if dim < 1, m < 1, m does not divide dim,
// len(data) is not a multiple of dim, n < 256 or data holds a NaN or an
// infinity, and ctx's error (wrapped) when ctx is done. It does not modify
// data and is goroutine-safe.
func TrainPQ(ctx context.Context, data []float32, dim, m int, opts PQOptions) (*PQ, error) {
	if err := checkPQShape(dim, m); err != nil {
		return nil, err
	}
	if len(data)%dim != 0 {
		return nil, errors.Newf("quant: PQ: %d values are not a multiple of dimension %d", len(data), dim)
	}
	n := len(data) / dim
	if n < PQCentroids {
		return nil, errors.Newf("quant: PQ: %d training vectors, need at least %d", n, PQCentroids)
	}
	iters, threads := opts.filled()
	// Sub-quantisers train in parallel, each on one thread, unless there are
	// fewer of them than threads.
	outer := min(threads, m)
	inner := max(1, threads/outer)
	dsub := dim / m
	pq := &PQ{Dim: dim, M: m, Codebooks: make([]float32, m*PQCentroids*dsub)}
	if err := trainCodebooks(ctx, data, dim, m, PQCentroids, iters, opts.Seed, outer, inner, pq.Codebooks); err != nil {
		return nil, err
	}
	pq.tabs = pq.buildTables()
	return pq, nil
}

// trainCodebooks trains m sub-quantisers of k centroids, [KMeans] on each
// sub-vector of data, into codebooks (m x k x dim/m values), outer of them
// at once on inner threads each.
func trainCodebooks(ctx context.Context, data []float32, dim, m, k, iters int, seed uint64, outer, inner int, codebooks []float32) error {
	dsub := dim / m
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(outer)
	for j := range m {
		g.Go(func() error {
			c, err := KMeans(gctx, subVectors(data, dim, j, dsub), dsub, KMeansOptions{K: k, Iters: iters, Seed: subSeed(seed, j), Threads: inner})
			if err != nil {
				return errors.Wrapf(err, "training sub-quantiser %d of %d", j, m)
			}
			copy(codebooks[j*k*dsub:], c)
			return nil
		})
	}
	return g.Wait()
}

// subSeed derives sub-quantiser j's k-means seed from seed (SplitMix64).
func subSeed(seed uint64, j int) uint64 {
	z := seed + uint64(j+1)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// NewPQ returns a PQ over the given codebooks (M * 256 * (dim/M) values, the
// layout of [PQ.Codebooks]), which it keeps: the caller must not modify
// them afterwards. It returns an error if the shape is invalid or a value
// is a NaN or an infinity.
func NewPQ(dim, m int, codebooks []float32) (*PQ, error) {
	pq := &PQ{Dim: dim, M: m, Codebooks: codebooks}
	if err := pq.Validate(); err != nil {
		return nil, err
	}
	pq.tabs = pq.buildTables()
	return pq, nil
}

func checkPQShape(dim, m int) error {
	switch {
	case dim < 1 || dim > maxPQDim:
		return errors.Newf("quant: PQ: dimension %d, want 1 to %d", dim, maxPQDim)
	case m < 1 || dim%m != 0:
		return errors.Newf("quant: PQ: M = %d does not divide dimension %d", m, dim)
	}
	return nil
}

// Validate returns an error if pq's shape is invalid (Dim outside 1 to
// 65536, M not dividing Dim, len(Codebooks) not M*256*(Dim/M)) or a
// codebook value is a NaN or an infinity.
func (pq *PQ) Validate() error {
	if err := checkPQShape(pq.Dim, pq.M); err != nil {
		return err
	}
	if want := PQCentroids * pq.Dim; len(pq.Codebooks) != want {
		return errors.Newf("quant: PQ: %d codebook values, want %d", len(pq.Codebooks), want)
	}
	for i, x := range pq.Codebooks {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return errors.Newf("quant: PQ: codebook value %d is %v", i, x)
		}
	}
	return nil
}

// buildTables lays out each sub-quantiser's codebook for the nearest kernel.
func (pq *PQ) buildTables() []centroidTable {
	dsub := pq.SubDim()
	tabs := make([]centroidTable, pq.M)
	for m := range tabs {
		tabs[m].reset(pq.codebook(m), dsub)
	}
	return tabs
}

// tables returns the kernel layout of the codebooks, built now if pq was
// not built by TrainPQ, NewPQ or DecodePQ. It panics with an assertion
// failure if the codebooks do not have the shape of Dim and M.
func (pq *PQ) tables() []centroidTable {
	if len(pq.tabs) == pq.M && pq.M > 0 {
		return pq.tabs
	}
	if err := checkPQShape(pq.Dim, pq.M); err != nil || len(pq.Codebooks) != PQCentroids*pq.Dim {
		panic(errors.AssertionFailedf("quant: PQ with Dim %d, M %d and %d codebook values", pq.Dim, pq.M, len(pq.Codebooks)))
	}
	return pq.buildTables()
}

// SubDim returns Dim/M, the length of a sub-vector.
func (pq *PQ) SubDim() int { return pq.Dim / pq.M }

// CodeSize returns the length of a code in bytes, M.
func (pq *PQ) CodeSize() int { return pq.M }

// codebook returns sub-quantiser m's 256 centroids, row-major.
func (pq *PQ) codebook(m int) []float32 {
	size := PQCentroids * pq.SubDim()
	return pq.Codebooks[m*size : (m+1)*size]
}

// Encode appends the M-byte code of v to dst and returns the extended
// slice: byte m is the index of the centroid of sub-quantiser m nearest to
// sub-vector m of v (squared L2, ranked as [Nearest] ranks). len(v) must be
// Dim; otherwise Encode panics with an assertion failure. It does not
// allocate when dst has room (and pq was built by TrainPQ, NewPQ or
// DecodePQ).
func (pq *PQ) Encode(dst []byte, v []float32) []byte {
	if len(v) != pq.Dim {
		panic(errors.AssertionFailedf("quant: PQ.Encode: len(v) = %d, want %d", len(v), pq.Dim))
	}
	tabs := pq.tables()
	dsub := pq.SubDim()
	var a [1]int32
	for m := range tabs {
		nearestRows(&tabs[m], v[m*dsub:(m+1)*dsub], dsub, a[:])
		dst = append(dst, byte(a[0]))
	}
	return dst
}

// encodeChunk is the number of vectors in a unit of EncodeBatch's work.
const encodeChunk = 256

// EncodeBatch appends the codes of the n = len(data)/Dim vectors of data
// (row-major, contiguous) to dst, n*M bytes equal to Encode's vector by
// vector, and returns the extended slice. It uses threads goroutines, or
// GOMAXPROCS when threads <= 0. len(data) must be a multiple of Dim;
// otherwise EncodeBatch panics with an assertion failure.
func (pq *PQ) EncodeBatch(dst []byte, data []float32, threads int) []byte {
	if pq.Dim < 1 || len(data)%pq.Dim != 0 {
		panic(errors.AssertionFailedf("quant: PQ.EncodeBatch: len(data) = %d is not a multiple of Dim = %d", len(data), pq.Dim))
	}
	tabs := pq.tables()
	n, dim, dsub, M := len(data)/pq.Dim, pq.Dim, pq.SubDim(), pq.M
	start := len(dst)
	dst = growBytes(dst, n*M)
	codes := dst[start:]
	parallelChunks(threads, n, encodeChunk, func(lo, hi int) {
		var a [encodeChunk]int32
		rows := a[:hi-lo]
		for m := range tabs {
			nearestRows(&tabs[m], data[lo*dim+m*dsub:hi*dim], dim, rows)
			for i, c := range rows {
				codes[(lo+i)*M+m] = byte(c)
			}
		}
	})
	return dst
}

// growBytes extends b by n bytes.
func growBytes(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b[:len(b)+n]
	}
	return append(b, make([]byte, n)...)
}

// Decode appends the reconstruction of code, Dim values (the centroid of
// each sub-quantiser that code names), to dst and returns the extended
// slice. len(code) must be M; otherwise Decode panics with an assertion
// failure.
func (pq *PQ) Decode(dst []float32, code []byte) []float32 {
	if len(code) != pq.M {
		panic(errors.AssertionFailedf("quant: PQ.Decode: len(code) = %d, want %d", len(code), pq.M))
	}
	dsub := pq.SubDim()
	for m, c := range code {
		cb := pq.codebook(m)
		dst = append(dst, cb[int(c)*dsub:(int(c)+1)*dsub]...)
	}
	return dst
}

// subVectors copies sub-vector j (values [j*dsub, (j+1)*dsub)) of every
// row of data into one contiguous slice, for training sub-quantiser j.
func subVectors(data []float32, dim, j, dsub int) []float32 {
	n := len(data) / dim
	sub := make([]float32, n*dsub)
	for i := range n {
		copy(sub[i*dsub:(i+1)*dsub], data[i*dim+j*dsub:i*dim+(j+1)*dsub])
	}
	return sub
}
