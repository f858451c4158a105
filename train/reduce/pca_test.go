package reduce

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// spectrumData returns n points of in dimensions about an offset mean with
// standard deviation math.Sqrt(variances[k]) along the k-th of in random
// orthonormal axes (which are not the coordinate axes).
func spectrumData(seed uint64, n int, variances []float64) []float32 {
	in := len(variances)
	rng := rand.New(rand.NewPCG(seed, 3))
	axes := orthonormal(rng, in, in)
	data := make([]float32, n*in)
	x := make([]float64, in)
	for r := range n {
		for i := range x {
			x[i] = 3 - 0.5*float64(i)
		}
		for k, u := range axes {
			a := math.Sqrt(variances[k]) * rng.NormFloat64()
			for i := range x {
				x[i] += a * u[i]
			}
		}
		for i, v := range x {
			data[r*in+i] = float32(v)
		}
	}
	return data
}

// TestPCAReconstructionError projects a known spectrum with D = 1 .. in-1
// components and reconstructs x ≈ mean + Mᵀ y from Params: the mean
// squared reconstruction error must fall strictly as D grows and equal the
// sum of the discarded eigenvalues of the sample covariance, computed here
// independently with gonum's EigenSym (scaled by (n-1)/n: the error is a
// mean over n points, the covariance divides by n-1), to a relative 1e-6:
// they agree to about 1e-12, the error being second order in M's rounding.
func TestPCAReconstructionError(t *testing.T) {
	const n = 20000
	variances := []float64{40, 30, 22, 16, 11, 8, 5.5, 3.7, 2.4, 1.5, 0.8, 0.3}
	in := len(variances)
	data := spectrumData(21, n, variances)

	// The test's own sample covariance and its spectrum.
	mean := make([]float64, in)
	for r := range n {
		for i := range in {
			mean[i] += float64(data[r*in+i]) / n
		}
	}
	cov := mat.NewSymDense(in, nil)
	for a := range in {
		for b := a; b < in; b++ {
			var s float64
			for r := range n {
				s += (float64(data[r*in+a]) - mean[a]) * (float64(data[r*in+b]) - mean[b])
			}
			cov.SetSym(a, b, s/(n-1))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(cov, false) {
		t.Fatal("EigenSym did not converge")
	}
	eigs := eig.Values(nil)
	sort.Sort(sort.Reverse(sort.Float64Slice(eigs)))
	t.Logf("sample eigenvalues %.3f", eigs)

	prev := math.Inf(1)
	for out := 1; out < in; out++ {
		p, err := FitPCA(context.Background(), data, n, in, out, false)
		if err != nil {
			t.Fatal(err)
		}
		params := p.Params()
		pm, m := params[:in], params[in:in+out*in]
		y := make([]float32, out)
		var sse float64
		for r := range n {
			x := data[r*in : (r+1)*in]
			p.Apply(y, x)
			for i := range in {
				rec := float64(pm[i])
				for j := range out {
					rec += float64(m[j*in+i]) * float64(y[j])
				}
				d := rec - float64(x[i])
				sse += d * d
			}
		}
		mse := sse / n
		var discarded float64
		for _, v := range eigs[out:] {
			discarded += v
		}
		want := discarded * (n - 1) / n
		if math.Abs(mse-want) > 1e-6*want {
			t.Errorf("D=%d: mean squared reconstruction error %.6g, want the discarded eigenvalues' %.6g (rel. diff %.2g)",
				out, mse, want, math.Abs(mse-want)/want)
		}
		if !(mse < prev) {
			t.Errorf("D=%d: reconstruction error %.6g, not below D=%d's %.6g", out, mse, out-1, prev)
		}
		prev = mse
	}
}
