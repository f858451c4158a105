package quant

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"

	"github.com/cockroachdb/errors"
	"golang.org/x/sync/errgroup"
	"gonum.org/v1/gonum/mat"
)

// Rotation is an orthogonal Dim x Dim matrix, the learned rotation of
// optimised product quantisation (see [TrainOPQ]): vectors are rotated
// with [Rotation.Apply] before a [PQ] encodes them, and queries are
// rotated the same way before the ADC tables are built. Since R is
// orthogonal, squared L2 distances and inner products are the same before
// and after the rotation, so no metric needs to know about it.
//
// Build a Rotation with [TrainOPQ] or [DecodeRotation], or as a literal
// checked with [Rotation.Validate]. A Rotation is immutable once built:
// its methods are goroutine-safe, and its fields must not be modified.
type Rotation struct {
	// Dim is the dimension of the vectors.
	Dim int
	// M holds the Dim*Dim entries of the matrix R, row-major: R[i][j] is
	// M[i*Dim+j], and coordinate i of R·x is the inner product of row i
	// with x.
	M []float32
}

const (
	// maxRotationDim bounds Dim. A rotation costs Dim^2 floats (64 MiB at
	// 4096), and checking that it is orthogonal costs Dim^3/2
	// multiply-adds (about 3.4e10 at 4096, a few seconds), which
	// [DecodeRotation] pays on every call.
	maxRotationDim = 4096
	// RotationTolerance is the largest deviation |(R·Rᵀ)[i][j] - δij|
	// that [Rotation.Validate] accepts. Rounding a float64 orthogonal
	// matrix to float32 leaves about 1e-7*sqrt(Dim); anything near 1e-3
	// is not a rotation but a damaged one.
	RotationTolerance = 1e-3
)

// Validate returns an error if r is not an orthogonal matrix: Dim outside
// 1 to 4096, len(M) not Dim*Dim, an entry that is a NaN or an infinity, or
// an entry of R·Rᵀ more than [RotationTolerance] from the identity's. It
// costs Dim^3/2 multiply-adds.
func (r *Rotation) Validate() error {
	d := r.Dim
	if d < 1 || d > maxRotationDim {
		return errors.Newf("quant: rotation: dimension %d, want 1 to %d", d, maxRotationDim)
	}
	if len(r.M) != d*d {
		return errors.Newf("quant: rotation of dimension %d has %d entries, want %d", d, len(r.M), d*d)
	}
	for i, x := range r.M {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return errors.Newf("quant: rotation entry (%d, %d) is %v", i/d, i%d, x)
		}
	}
	for i := range d {
		ri := r.M[i*d : (i+1)*d]
		for j := i; j < d; j++ {
			want := float32(0)
			if i == j {
				want = 1
			}
			// Written so that a NaN or an overflow to infinity fails too.
			if e := DotProduct(ri, r.M[j*d:(j+1)*d]) - want; !(e <= RotationTolerance && e >= -RotationTolerance) {
				return errors.Newf("quant: rotation is not orthogonal: (R·Rᵀ)[%d][%d] is off by %v, more than %v", i, j, e, RotationTolerance)
			}
		}
	}
	return nil
}

// Apply appends R·x, Dim values, to dst and returns the extended slice.
// Pass dst[:0] to overwrite a buffer; the appended values must not overlap
// x. It does not allocate when dst has room for Dim more values, and it is
// goroutine-safe. len(x) must be Dim and len(M) Dim*Dim; otherwise Apply
// panics with an assertion failure.
func (r *Rotation) Apply(dst, x []float32) []float32 {
	d := r.Dim
	if len(x) != d || len(r.M) != d*d {
		panic(errors.AssertionFailedf("quant: Rotation.Apply: len(x) = %d and %d entries, want Dim = %d and Dim^2", len(x), len(r.M), d))
	}
	n := len(dst)
	dst = slices.Grow(dst, d)[:n+d]
	out := dst[n:]
	for i := range out {
		out[i] = DotProduct(r.M[i*d:(i+1)*d], x)
	}
	return dst
}

// rotateTile is the number of vectors ApplyBatch rotates together, so that
// each row of R is read once per tile rather than once per vector.
const rotateTile = 16

// rotateChunk is the number of vectors in a unit of ApplyBatch's work.
const rotateChunk = 256

// ApplyBatch sets row i of dst to R times row i of data, for each of the
// n = len(data)/Dim rows (row-major, contiguous), with the same values as
// [Rotation.Apply] row by row. It uses threads goroutines, or GOMAXPROCS
// when threads <= 0, and writes only dst, which must not overlap data
// (this is not checked). len(dst) must equal len(data), a multiple of
// Dim; otherwise ApplyBatch panics with an assertion failure.
func (r *Rotation) ApplyBatch(dst, data []float32, threads int) {
	d := r.Dim
	if d < 1 || len(r.M) != d*d || len(data)%d != 0 || len(dst) != len(data) {
		panic(errors.AssertionFailedf("quant: Rotation.ApplyBatch: len(dst) = %d, len(data) = %d, Dim = %d, %d entries",
			len(dst), len(data), d, len(r.M)))
	}
	parallelChunks(threads, len(data)/d, rotateChunk, func(lo, hi int) {
		for t := lo; t < hi; t += rotateTile {
			u := min(t+rotateTile, hi)
			for i := range d {
				ri := r.M[i*d : (i+1)*d]
				for j := t; j < u; j++ {
					dst[j*d+i] = DotProduct(ri, data[j*d:(j+1)*d])
				}
			}
		}
	})
}

// A stored rotation, all integers and floats little-endian:
//
//	+---------+---------+-----------------------------------+
//	| version | dim u32 | R: dim*dim float32, row-major     |
//	| 1 byte  | 4 bytes | (R[i][j] at i*dim+j, as in M)     |
//	+---------+---------+-----------------------------------+
//
// The encoding is exactly 5 + 4*dim*dim bytes; nothing may follow it.
const rotationVersion byte = 1

// rotationHeaderSize is the size of the version and dim.
const rotationHeaderSize = 5

// AppendBinary appends r's encoding (see the layout above) to dst and
// returns the extended slice. It implements encoding.BinaryAppender and
// returns the error of [Rotation.Validate] if r is not a valid rotation,
// in which case dst is returned unchanged. It is goroutine-safe.
func (r *Rotation) AppendBinary(dst []byte) ([]byte, error) {
	if err := r.Validate(); err != nil {
		return dst, errors.Wrap(err, "encoding rotation")
	}
	dst = slices.Grow(dst, rotationHeaderSize+4*len(r.M))
	dst = append(dst, rotationVersion)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(r.Dim))
	for _, x := range r.M {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(x))
	}
	return dst, nil
}

// DecodeRotation decodes a rotation encoded by [Rotation.AppendBinary]. It
// checks the version, the dimension (1 to 4096) and the exact length
// before it allocates, then runs [Rotation.Validate], so that a matrix
// that is not orthogonal within [RotationTolerance] is an error. It never
// panics, and the Rotation does not alias b.
func DecodeRotation(b []byte) (*Rotation, error) {
	if len(b) < rotationHeaderSize {
		return nil, errors.Newf("quant: rotation of %d bytes is shorter than its %d-byte header", len(b), rotationHeaderSize)
	}
	if b[0] != rotationVersion {
		return nil, errors.Newf("quant: rotation format version %d, want %d", b[0], rotationVersion)
	}
	dim := binary.LittleEndian.Uint32(b[1:])
	if dim < 1 || dim > maxRotationDim {
		return nil, errors.Newf("quant: rotation of dimension %d, want 1 to %d", dim, maxRotationDim)
	}
	body := b[rotationHeaderSize:]
	if want := 4 * uint64(dim) * uint64(dim); uint64(len(body)) != want {
		return nil, errors.Newf("quant: rotation of dimension %d needs %d bytes, has %d", dim, want, len(body))
	}
	r := &Rotation{Dim: int(dim), M: make([]float32, int(dim)*int(dim))}
	for i := range r.M {
		r.M[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
	}
	if err := r.Validate(); err != nil {
		return nil, errors.Wrap(err, "decoding rotation")
	}
	return r, nil
}

// OPQOptions configure [TrainOPQ]. Zero fields take the defaults
// documented on each.
type OPQOptions struct {
	// Iters is the number of outer alternations, each a rotation update
	// followed by PQIters k-means iterations (default 20). The
	// distortion keeps falling slowly for dozens of alternations: on
	// 20,000 correlated 128-d vectors (M = 16) it was 0.21, 0.15 and
	// 0.13 of plain PQ's after 10, 20 and 40, and 0.87 of it on clustered
	// 128-d data from 10 on. 20 costs 3 to 4 s there on 2 cores.
	Iters int
	// PQIters is the number of k-means iterations of each PQ training
	// (default 4): the first trains from scratch like [TrainPQ], later
	// ones continue from the previous codebooks, so they add up over the
	// alternations. 10 instead of 4 changed the distortion by under 1%
	// and cost twice the time; alternations are the better buy.
	PQIters int
	// Seed drives the k-means of every PQ training.
	Seed uint64
	// Threads bounds the goroutines used; 0 (or negative) means
	// GOMAXPROCS. The result does not depend on it.
	Threads int
}

const (
	// defaultOPQIters is the default of OPQOptions.Iters.
	defaultOPQIters = 20
	// defaultOPQPQIters is the default of OPQOptions.PQIters.
	defaultOPQPQIters = 4
	// opqSeedSalt separates the seeds of the k-means refinements from
	// those TrainPQ derives from the same Seed.
	opqSeedSalt = 0x6f7071 // "opq"
)

// TrainOPQ learns an optimised product quantiser (Ge, He, Ke and Sun,
// "Optimized Product Quantization", 2013, the non-parametric method) on
// the n = len(data)/dim vectors of data (row-major, contiguous): an
// orthogonal rotation R and a PQ of M sub-quantisers trained on the
// rotated vectors R·x, chosen so that the PQ's reconstruction error on
// R·x (equal to the error of Rᵀ·decode(encode(R·x)) on x) is lower than a
// plain PQ's on x. It returns R and the PQ, which go together: encode
// R.Apply(x), and rotate queries before building ADC tables.
//
// R starts as the identity, so the first PQ is TrainPQ's with Iters =
// PQIters, and every step after it lowers the distortion or leaves it
// unchanged: the result is never worse on data than that plain PQ, up to
// float rounding. (A random starting rotation, as in FAISS, would lose
// that guarantee; on data that is already randomly rotated the two are
// the same.) Then Iters times:
//
//  1. encode the rotated data with the PQ and decode it, Y;
//  2. set R to the solution of the orthogonal Procrustes problem,
//     argmin ||R·X - Y|| over rotations: R = U·Vᵀ for the SVD U·S·Vᵀ of
//     Y·Xᵀ = Σ y_i·x_iᵀ, accumulated in float64;
//  3. rotate the data with the new R and run PQIters k-means iterations
//     of every sub-quantiser on it, starting from the current codebooks.
//
// Each alternation costs about (PQIters+1)·256·n·dim multiply-adds for
// k-means and encoding, n·dim² for the rotation, and n·dim·M + 256·dim²
// plus an SVD (O(dim³), single-threaded) for the Procrustes step. With the
// defaults, on 2 cores: 3 to 4 s for 20,000 vectors of dimension 128 and
// M = 16; for 10,000 of dimension 784 and M = 28, about 2.8 s per
// alternation, 1.7 s of it in the SVD. TrainOPQ wants a sample, not a
// whole collection: pass at most about 65,536 vectors (as for [KMeans],
// more buy little), and fewer Iters at high dimensions.
//
// The result depends only on data, dim, m, Iters, PQIters and Seed. It
// returns an error if dim < 1 or dim > 4096, m < 1, m does not divide
// dim, len(data) is not a multiple of dim, n < 256, Iters or PQIters is
// negative or data holds a NaN or an infinity, and ctx's error (wrapped)
// when ctx is done. It does not modify data and is goroutine-safe.
func TrainOPQ(ctx context.Context, data []float32, dim, m int, opts OPQOptions) (*Rotation, *PQ, error) {
	if err := checkOPQ(data, dim, m, opts); err != nil {
		return nil, nil, err
	}
	iters, pqIters := opts.Iters, opts.PQIters
	if iters == 0 {
		iters = defaultOPQIters
	}
	if pqIters == 0 {
		pqIters = defaultOPQPQIters
	}
	threads := opts.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	r := identityRotation(dim)
	rotated := slices.Clone(data) // R·x for every x, with R = I
	pq, err := TrainPQ(ctx, rotated, dim, m, PQOptions{Iters: pqIters, Seed: opts.Seed, Threads: threads})
	if err != nil {
		return nil, nil, errors.Wrap(err, "training OPQ")
	}
	var codes []byte
	for it := range iters {
		if err := ctx.Err(); err != nil {
			return nil, nil, errors.Wrapf(err, "OPQ iteration %d of %d", it+1, iters)
		}
		codes = pq.EncodeBatch(codes[:0], rotated, threads)
		if r, err = procrustes(crossCovariance(pq, codes, data, threads), dim); err != nil {
			return nil, nil, errors.Wrapf(err, "OPQ iteration %d of %d", it+1, iters)
		}
		r.ApplyBatch(rotated, data, threads)
		pq, err = refinePQ(ctx, pq, rotated, pqIters, subSeed(opts.Seed^opqSeedSalt, it), threads)
		if err != nil {
			return nil, nil, errors.Wrapf(err, "OPQ iteration %d of %d", it+1, iters)
		}
	}
	return r, pq, nil
}

func checkOPQ(data []float32, dim, m int, opts OPQOptions) error {
	if err := checkPQShape(dim, m); err != nil {
		return errors.Wrap(err, "training OPQ")
	}
	switch {
	case dim > maxRotationDim:
		return errors.Newf("quant: OPQ: dimension %d, want at most %d", dim, maxRotationDim)
	case len(data)%dim != 0:
		return errors.Newf("quant: OPQ: %d values are not a multiple of dimension %d", len(data), dim)
	case len(data)/dim < PQCentroids:
		return errors.Newf("quant: OPQ: %d training vectors, need at least %d", len(data)/dim, PQCentroids)
	case opts.Iters < 0 || opts.PQIters < 0:
		return errors.Newf("quant: OPQ: Iters = %d and PQIters = %d, want at least 0", opts.Iters, opts.PQIters)
	}
	for i, x := range data {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return errors.Newf("quant: OPQ: vector %d holds %v", i/dim, x)
		}
	}
	return nil
}

// identityRotation returns the dim x dim identity.
func identityRotation(dim int) *Rotation {
	r := &Rotation{Dim: dim, M: make([]float32, dim*dim)}
	for i := range dim {
		r.M[i*dim+i] = 1
	}
	return r
}

// crossCovariance returns Y·Xᵀ = Σ y_i·x_iᵀ, dim x dim row-major in
// float64, where x_i is row i of data and y_i pq's reconstruction from
// code i. Rows s*dsub ... (s+1)*dsub-1 of it depend only on
// sub-quantiser s: they are Σ_c centroid(s, c)·S(s, c)ᵀ, with S(s, c) the
// sum of the x_i whose code names centroid c in sub-space s. That costs
// n·dim·M + 256·dim² instead of n·dim². The sums run in row order, one
// sub-space per goroutine, so the result does not depend on threads.
func crossCovariance(pq *PQ, codes []byte, data []float32, threads int) []float64 {
	dim, m, dsub := pq.Dim, pq.M, pq.SubDim()
	n := len(data) / dim
	c := make([]float64, dim*dim)
	per := (m + threads - 1) / threads
	parallelChunks(threads, m, per, func(lo, hi int) {
		sums := make([]float64, PQCentroids*dim)
		for s := lo; s < hi; s++ {
			clear(sums)
			for i := range n {
				sum := sums[int(codes[i*m+s])*dim:][:dim]
				for j, x := range data[i*dim : (i+1)*dim] {
					sum[j] += float64(x)
				}
			}
			cb := pq.codebook(s)
			for a := range dsub {
				row := c[(s*dsub+a)*dim:][:dim]
				for k := range PQCentroids {
					w := float64(cb[k*dsub+a])
					if w == 0 {
						continue
					}
					for j, x := range sums[k*dim : (k+1)*dim] {
						row[j] += w * x
					}
				}
			}
		}
	})
	return c
}

// procrustes returns the rotation R = U·Vᵀ that maximises trace(Rᵀ·C)
// (minimises ||R·X - Y|| for C = Y·Xᵀ), from the SVD U·S·Vᵀ of the
// dim x dim row-major matrix c.
func procrustes(c []float64, dim int) (*Rotation, error) {
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(dim, dim, c), mat.SVDFull) {
		return nil, errors.New("quant: OPQ: SVD of the cross-covariance did not converge")
	}
	var u, v, rot mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	rot.Mul(&u, v.T())
	r := &Rotation{Dim: dim, M: make([]float32, dim*dim)}
	for i := range dim {
		for j := range dim {
			r.M[i*dim+j] = float32(rot.At(i, j))
		}
	}
	return r, nil
}

// refinePQ returns a PQ whose codebooks are those of pq after iters Lloyd
// iterations of each sub-quantiser on data, which warm-starts k-means
// where TrainPQ would seed it afresh. seed drives the repair of empty
// clusters.
func refinePQ(ctx context.Context, pq *PQ, data []float32, iters int, seed uint64, threads int) (*PQ, error) {
	dim, m, dsub := pq.Dim, pq.M, pq.SubDim()
	n := len(data) / dim
	outer := min(threads, m)
	inner := max(1, threads/outer)
	cbs := slices.Clone(pq.Codebooks)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(outer)
	for s := range m {
		g.Go(func() error {
			sub := subVectors(data, dim, s, dsub)
			km := &kmeans{
				data: sub, dim: dsub, n: n, k: PQCentroids, threads: inner,
				rng: rand.New(rand.NewPCG(subSeed(seed, s), opqSeedSalt)),
			}
			cb := cbs[s*PQCentroids*dsub : (s+1)*PQCentroids*dsub]
			return errors.Wrapf(km.lloyd(gctx, cb, iters), "refining PQ sub-quantiser %d of %d", s, m)
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return NewPQ(dim, m, cbs)
}
