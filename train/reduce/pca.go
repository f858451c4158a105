package reduce

import (
	"context"
	"math"

	"github.com/cockroachdb/errors"

	"github.com/vecdb/vecdb/quant"
)

// FitPCA fits principal component analysis on data, n rows of in values
// (row-major), keeping the out components of largest variance: the
// projection is y = M (x - mean) with M's rows the unit eigenvectors of
// the sample covariance by decreasing eigenvalue, each signed so that its
// entry of largest magnitude (the first such) is positive, which makes the
// result reproducible. With whiten, output j is further divided by the
// square root of its eigenvalue, so that every output has unit variance
// on the sample (an error when a kept eigenvalue is zero).
//
// The fit is quant.FitPCA's (which index builds with a PCA pre-transform
// share); the covariance is accumulated in float64 over all cores. FitPCA returns
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
	fit, err := quant.FitPCA(ctx, data, n, in, out, true)
	if err != nil {
		return nil, errors.Wrap(err, "reduce")
	}
	params := make([]float32, 0, in+out*in+out)
	for _, m := range fit.Mean {
		params = append(params, float32(m))
	}
	var kept float64
	for j, x := range fit.Components {
		params = append(params, float32(x))
		if j%in == 0 {
			kept += max(fit.Values[j/in], 0)
		}
	}
	if whiten {
		for j, v := range fit.Values {
			if !(v > 1e-12*max(fit.Values[0], 1e-300)) {
				return nil, errors.Newf("reduce: PCA: component %d has variance %g; cannot whiten it (keep fewer components)", j, v)
			}
			params = append(params, float32(math.Sqrt(v)))
		}
	}
	cfg := Config{Version: Version, Kind: PCA, In: in, Out: out, Whiten: whiten}
	if fit.Total > 0 {
		cfg.ExplainedVariance = min(kept/fit.Total, 1)
	}
	return New(cfg, params)
}
