package quant

import (
	"context"
	"encoding/binary"
	"math"
	"runtime"
	"slices"
	"sort"

	"github.com/cockroachdb/errors"
	"golang.org/x/sync/errgroup"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// PCAFit is a fitted principal component analysis (see [FitPCA]), in
// float64 as the eigen-decomposition left it. A caller turns it into the
// transform it applies: [NewPCA] for an index, train/reduce's projection
// (optionally whitened) for `vecdb train pca`.
type PCAFit struct {
	// In and Out are the input and output dimensions.
	In, Out int
	// Mean is the sample mean (In values), or zeros for an uncentred fit.
	Mean []float64
	// Components holds Out unit eigenvectors of the sample covariance (or
	// second-moment matrix), In values each, row-major, by decreasing
	// eigenvalue; each is signed so that its entry of largest magnitude
	// (the first such) is positive, which makes the result reproducible.
	Components []float64
	// Values are the Out kept eigenvalues, descending.
	Values []float64
	// Total is the sum of all In eigenvalues, each clamped at 0: the
	// sample's total variance.
	Total float64
}

// covChunk is the number of centred rows FitPCA converts to float64 and
// adds to a covariance at once (one rank-k update).
const covChunk = 512

// FitPCA fits principal component analysis on data, n rows of in values
// (row-major), keeping the out components of largest eigenvalue. With
// centre the matrix decomposed is the sample covariance (divided by
// n - 1) about the sample mean, the usual PCA; without, it is the
// second-moment matrix Σ x xᵀ / (n - 1) and the mean is zero, so that the
// projection y = M x keeps inner products of the kept subspace
// (<Mx, My> is <x, y> less the part outside it), which inner-product
// metrics need.
//
// The matrix is accumulated in float64 over all cores. FitPCA returns an
// error, not a panic, when out is outside [1, in], n < 2, len(data) !=
// n x in or a value is not finite; it checks ctx between chunks of rows.
// It holds an in x in float64 matrix per core.
func FitPCA(ctx context.Context, data []float32, n, in, out int, centre bool) (*PCAFit, error) {
	switch {
	case in < 1 || out < 1 || out > in:
		return nil, errors.Newf("quant: PCA from %d to %d dimensions; want 1 <= out <= in", in, out)
	case n < 2:
		return nil, errors.Newf("quant: PCA needs at least 2 vectors; got %d", n)
	case len(data) != n*in:
		return nil, errors.Newf("quant: PCA: %d values for %d vectors of %d", len(data), n, in)
	}
	mean, err := sampleMean(data, n, in, centre)
	if err != nil {
		return nil, err
	}
	cov, err := covariance(ctx, data, n, in, mean)
	if err != nil {
		return nil, err
	}
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return nil, errors.New("quant: PCA: eigen-decomposition of the covariance did not converge")
	}
	vals := eig.Values(nil) // ascending
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	order := make([]int, in)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return vals[order[a]] > vals[order[b]] })
	fit := &PCAFit{In: in, Out: out, Mean: mean, Components: make([]float64, 0, out*in), Values: make([]float64, out)}
	for _, v := range vals {
		fit.Total += max(v, 0)
	}
	for j := range out {
		fit.Components = appendComponent(fit.Components, &vecs, order[j], in)
		fit.Values[j] = vals[order[j]]
	}
	return fit, nil
}

// appendComponent appends column c of vecs, signed so that its entry of
// largest magnitude (the first such) is positive.
func appendComponent(dst []float64, vecs *mat.Dense, c, in int) []float64 {
	best, sign := 0.0, 1.0
	for i := range in {
		if a := math.Abs(vecs.At(i, c)); a > best {
			best = a
			sign = math.Copysign(1, vecs.At(i, c))
		}
	}
	for i := range in {
		dst = append(dst, sign*vecs.At(i, c))
	}
	return dst
}

// sampleMean returns the float64 mean of the rows of data (zeros unless
// centre), or an error naming the first value that is not finite.
func sampleMean(data []float32, n, in int, centre bool) ([]float64, error) {
	mean := make([]float64, in)
	for r := range n {
		for i, x := range data[r*in : (r+1)*in] {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, errors.Newf("quant: PCA: vector %d, value %d is %v; want finite values", r, i, x)
			}
			mean[i] += float64(x)
		}
	}
	for i := range mean {
		mean[i] /= float64(n)
		if !centre {
			mean[i] = 0
		}
	}
	return mean, nil
}

// covariance returns Σ (x - mean)(x - mean)ᵀ / (n - 1) over the rows of
// data. Each goroutine adds chunks of centred rows to its own upper
// triangle with a rank-k update (BLAS dsyrk); the triangles are then
// summed.
func covariance(ctx context.Context, data []float32, n, in int, mean []float64) (*mat.SymDense, error) {
	chunks := (n + covChunk - 1) / covChunk
	threads := max(1, min(runtime.GOMAXPROCS(0), chunks))
	parts := make([]blas64.Symmetric, threads)
	g, gctx := errgroup.WithContext(ctx)
	for t := range threads {
		g.Go(func() error {
			c := blas64.Symmetric{N: in, Stride: in, Uplo: blas.Upper, Data: make([]float64, in*in)}
			buf := make([]float64, covChunk*in)
			for k := t; k < chunks; k += threads {
				if err := gctx.Err(); err != nil {
					return err
				}
				lo, hi := k*covChunk, min(n, (k+1)*covChunk)
				x := buf[:(hi-lo)*in]
				for r := lo; r < hi; r++ {
					row, dst := data[r*in:(r+1)*in], x[(r-lo)*in:(r-lo+1)*in]
					for i, v := range row {
						dst[i] = float64(v) - mean[i]
					}
				}
				blas64.Syrk(blas.Trans, 1, blas64.General{Rows: hi - lo, Cols: in, Stride: in, Data: x}, 1, c)
			}
			parts[t] = c
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, errors.Wrap(err, "quant: PCA covariance")
	}
	sum := parts[0].Data
	for _, p := range parts[1:] {
		for i, v := range p.Data {
			sum[i] += v
		}
	}
	scale := 1 / float64(n-1)
	for i := range in {
		for j := i; j < in; j++ {
			v := sum[i*in+j] * scale
			sum[i*in+j], sum[j*in+i] = v, v
		}
	}
	return mat.NewSymDense(in, sum), nil
}

// PCA is a linear map from In to Out dimensions with orthonormal rows, y =
// M (x - Mean): an index's pre-transform (index.BuildOptions.PCA). Since
// the rows are orthonormal, ||M(x - y)||² is ||x - y||² less the part of
// x - y outside the kept subspace (never more), and with a zero Mean
// <Mx, My> is <x, y> less the part outside it.
//
// Build a PCA with [TrainPCA], [NewPCA] or [DecodePCA]. It is immutable:
// its methods are goroutine-safe, and its fields must not be modified.
type PCA struct {
	In, Out int
	// Mean holds In values (zeros for an uncentred fit).
	Mean []float32
	// M holds Out rows of In values, row-major.
	M []float32
	// bias is M·Mean, so that Apply computes M x - bias.
	bias []float32
}

// maxPCADim bounds a PCA's input dimension (vecdb's dimension limit).
const maxPCADim = 1 << 16

// TrainPCA fits a PCA from in to out dimensions on n rows of data
// ([FitPCA]) and returns it as a transform.
func TrainPCA(ctx context.Context, data []float32, n, in, out int, centre bool) (*PCA, error) {
	fit, err := FitPCA(ctx, data, n, in, out, centre)
	if err != nil {
		return nil, err
	}
	mean := make([]float32, in)
	for i, x := range fit.Mean {
		mean[i] = float32(x)
	}
	m := make([]float32, out*in)
	for i, x := range fit.Components {
		m[i] = float32(x)
	}
	return NewPCA(in, out, mean, m)
}

// NewPCA returns the transform y = m (x - mean), checking its shape, that
// every value is finite and that m's rows are orthonormal within
// [RotationTolerance] (which costs Out² x In multiply-adds). It keeps mean
// and m.
func NewPCA(in, out int, mean, m []float32) (*PCA, error) {
	switch {
	case in < 1 || in > maxPCADim || out < 1 || out > in:
		return nil, errors.Newf("quant: PCA from %d to %d dimensions; want 1 <= out <= in <= %d", in, out, maxPCADim)
	case len(mean) != in || len(m) != out*in:
		return nil, errors.Newf("quant: PCA %d -> %d with %d mean values and %d matrix entries", in, out, len(mean), len(m))
	}
	for _, xs := range [][]float32{mean, m} {
		for i, x := range xs {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, errors.Newf("quant: PCA value %d is %v", i, x)
			}
		}
	}
	for a := range out {
		ra := m[a*in : (a+1)*in]
		for b := a; b < out; b++ {
			var s float64
			for i, x := range m[b*in : (b+1)*in] {
				s += float64(x) * float64(ra[i])
			}
			if a == b {
				s--
			}
			if math.Abs(s) > RotationTolerance {
				return nil, errors.Newf("quant: PCA rows %d and %d are not orthonormal (off by %g)", a, b, s)
			}
		}
	}
	p := &PCA{In: in, Out: out, Mean: mean, M: m, bias: make([]float32, out)}
	for j := range out {
		var b float64
		for i, x := range m[j*in : (j+1)*in] {
			b += float64(x) * float64(mean[i])
		}
		p.bias[j] = float32(b)
	}
	return p, nil
}

// Apply writes M (x - Mean) into dst[:Out] and returns it. len(x) must be
// In and len(dst) at least Out, not overlapping x; otherwise Apply panics
// with an assertion failure. It does not allocate.
func (p *PCA) Apply(dst, x []float32) []float32 {
	if len(x) != p.In || len(dst) < p.Out {
		panic(errors.AssertionFailedf("quant: PCA.Apply: len(x) = %d, len(dst) = %d; want %d and at least %d", len(x), len(dst), p.In, p.Out))
	}
	dst = dst[:p.Out]
	DotBatch(x, p.M, dst)
	for j, b := range p.bias {
		dst[j] -= b
	}
	return dst
}

// ApplyBatch sets row i of dst (Out values) to the transform of row i of
// data (In values) for each row, with the values of [PCA.Apply], on
// threads goroutines (GOMAXPROCS when threads <= 0). dst must not overlap
// data. Mismatched lengths panic with an assertion failure.
func (p *PCA) ApplyBatch(dst, data []float32, threads int) {
	in, out := p.In, p.Out
	if len(data)%in != 0 || len(dst) != len(data)/in*out {
		panic(errors.AssertionFailedf("quant: PCA.ApplyBatch: len(dst) = %d, len(data) = %d; want n x %d and n x %d", len(dst), len(data), out, in))
	}
	parallelChunks(threads, len(data)/in, rotateChunk, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			p.Apply(dst[r*out:(r+1)*out], data[r*in:(r+1)*in])
		}
	})
}

// A stored PCA, integers and floats little-endian:
//
//	+---------+--------+---------+--------------------+--------------------------+
//	| version | in u32 | out u32 | mean: in float32   | M: out*in float32, rows  |
//	+---------+--------+---------+--------------------+--------------------------+
//
// PCAEncodedLen gives its length from the header; other data may follow.
const pcaVersion byte = 1

// pcaHeaderSize is the size of the version and the dimensions.
const pcaHeaderSize = 9

// AppendBinary appends p's encoding (see the layout above) to dst.
func (p *PCA) AppendBinary(dst []byte) ([]byte, error) {
	if len(p.Mean) != p.In || len(p.M) != p.In*p.Out {
		return dst, errors.AssertionFailedf("quant: PCA %d -> %d with %d mean values and %d matrix entries", p.In, p.Out, len(p.Mean), len(p.M))
	}
	dst = slices.Grow(dst, pcaHeaderSize+4*(len(p.Mean)+len(p.M)))
	dst = append(dst, pcaVersion)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(p.In))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(p.Out))
	for _, xs := range [][]float32{p.Mean, p.M} {
		for _, x := range xs {
			dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(x))
		}
	}
	return dst, nil
}

// PCAEncodedLen returns the length of the PCA encoding b starts with,
// checking the header (not the values: see [DecodePCA]).
func PCAEncodedLen(b []byte) (int, error) {
	if len(b) < pcaHeaderSize {
		return 0, errors.Newf("quant: PCA of %d bytes is shorter than its %d-byte header", len(b), pcaHeaderSize)
	}
	if b[0] != pcaVersion {
		return 0, errors.Newf("quant: PCA format version %d, want %d", b[0], pcaVersion)
	}
	in, out := binary.LittleEndian.Uint32(b[1:]), binary.LittleEndian.Uint32(b[5:])
	if in < 1 || in > maxPCADim || out < 1 || out > in {
		return 0, errors.Newf("quant: PCA from %d to %d dimensions; want 1 <= out <= in <= %d", in, out, maxPCADim)
	}
	return pcaHeaderSize + 4*int(in)*(1+int(out)), nil
}

// DecodePCA decodes the PCA b starts with and returns it with the bytes it
// took. It checks the header and the length before it allocates, then
// what [NewPCA] checks; it never panics, and the PCA does not alias b.
func DecodePCA(b []byte) (*PCA, int, error) {
	n, err := PCAEncodedLen(b)
	if err != nil {
		return nil, 0, err
	}
	if n > len(b) {
		return nil, 0, errors.Newf("quant: PCA needs %d bytes, has %d", n, len(b))
	}
	in, out := int(binary.LittleEndian.Uint32(b[1:])), int(binary.LittleEndian.Uint32(b[5:]))
	vals := make([]float32, in*(1+out))
	for i := range vals {
		vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[pcaHeaderSize+4*i:]))
	}
	p, err := NewPCA(in, out, vals[:in], vals[in:])
	if err != nil {
		return nil, 0, errors.Wrap(err, "decoding PCA")
	}
	return p, n, nil
}
