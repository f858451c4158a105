package reduce

import (
	"context"
	"math"
	"runtime"
	"sort"

	"github.com/cockroachdb/errors"
	"golang.org/x/sync/errgroup"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// covChunk is the number of centred rows FitPCA converts to float64 and
// adds to a covariance at once (one rank-k update).
const covChunk = 512

// FitPCA fits principal component analysis on data, n rows of in values
// (row-major), keeping the out components of largest variance: the
// projection is y = M (x - mean) with M's rows the unit eigenvectors of
// the sample covariance by decreasing eigenvalue, each signed so that its
// entry of largest magnitude (the first such) is positive, which makes the
// result reproducible. With whiten, output j is further divided by the
// square root of its eigenvalue, so that every output has unit variance
// on the sample (an error when a kept eigenvalue is zero).
//
// The covariance is accumulated in float64 over all cores. FitPCA returns
// an error, not a panic, when out is outside [1, in], n < 2, len(data) !=
// n x in or a value is not finite; it checks ctx between chunks of rows.
func FitPCA(ctx context.Context, data []float32, n, in, out int, whiten bool) (*Projection, error) {
	if err := checkDims(in, out); err != nil {
		return nil, err
	}
	if n < 2 {
		return nil, errors.Newf("reduce: PCA needs at least 2 vectors; got %d", n)
	}
	if len(data) != n*in {
		return nil, errors.Newf("reduce: PCA: %d values for %d vectors of %d", len(data), n, in)
	}
	mean, err := sampleMean(data, n, in)
	if err != nil {
		return nil, err
	}
	cov, err := covariance(ctx, data, n, in, mean)
	if err != nil {
		return nil, err
	}
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return nil, errors.New("reduce: PCA: eigen-decomposition of the covariance did not converge")
	}
	vals := eig.Values(nil) // ascending
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	order := make([]int, in)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return vals[order[a]] > vals[order[b]] })
	var total, kept float64
	for _, v := range vals {
		total += max(v, 0)
	}
	params := make([]float32, 0, in+out*in+out)
	for _, m := range mean {
		params = append(params, float32(m))
	}
	for j := range out {
		params = appendComponent(params, &vecs, order[j], in)
		kept += max(vals[order[j]], 0)
	}
	if whiten {
		for j := range out {
			v := vals[order[j]]
			if !(v > 1e-12*max(vals[order[0]], 1e-300)) {
				return nil, errors.Newf("reduce: PCA: component %d has variance %g; cannot whiten it (keep fewer components)", j, v)
			}
			params = append(params, float32(math.Sqrt(v)))
		}
	}
	cfg := Config{Version: Version, Kind: PCA, In: in, Out: out, Whiten: whiten}
	if total > 0 {
		cfg.ExplainedVariance = min(kept/total, 1)
	}
	return New(cfg, params)
}

// appendComponent appends column c of vecs, signed so that its entry of
// largest magnitude (the first such) is positive.
func appendComponent(dst []float32, vecs *mat.Dense, c, in int) []float32 {
	best, sign := 0.0, 1.0
	for i := range in {
		if a := math.Abs(vecs.At(i, c)); a > best {
			best = a
			sign = math.Copysign(1, vecs.At(i, c))
		}
	}
	for i := range in {
		dst = append(dst, float32(sign*vecs.At(i, c)))
	}
	return dst
}

// sampleMean returns the float64 mean of the rows of data, or an error
// naming the first value that is not finite.
func sampleMean(data []float32, n, in int) ([]float64, error) {
	mean := make([]float64, in)
	for r := range n {
		for i, x := range data[r*in : (r+1)*in] {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, errors.Newf("reduce: vector %d, value %d is %v; want finite values", r, i, x)
			}
			mean[i] += float64(x)
		}
	}
	for i := range mean {
		mean[i] /= float64(n)
	}
	return mean, nil
}

// covariance returns the sample covariance (divided by n - 1) of the rows
// of data about mean. Each goroutine adds chunks of centred rows to its own
// upper triangle with a rank-k update (BLAS dsyrk); the triangles are then
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
		return nil, errors.Wrap(err, "reduce: PCA covariance")
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
