package reduce

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// planeData returns n points of in dimensions on a 2-d plane (standard
// deviations 3 and 1 along two orthonormal directions, returned as the
// rows of basis) offset from the origin, plus Gaussian noise of standard
// deviation noise.
func planeData(seed uint64, n, in int, noise float64) (data []float32, basis [][]float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	basis = orthonormal(rng, 2, in)
	data = make([]float32, 0, n*in)
	for range n {
		a, b := 3*rng.NormFloat64(), rng.NormFloat64()
		for i := range in {
			data = append(data, float32(5+float64(i)+a*basis[0][i]+b*basis[1][i]+noise*rng.NormFloat64()))
		}
	}
	return data, basis
}

func dot64(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// rows returns the matrix M of p's parameters as float64 rows.
func rows(p *Projection) [][]float64 {
	in, out := p.InDim(), p.OutDim()
	params := p.Params()
	m := make([][]float64, out)
	for j := range m {
		m[j] = make([]float64, in)
		for i := range in {
			m[j][i] = float64(params[in+j*in+i])
		}
	}
	return m
}

func gaussian(seed uint64, n, in int, std func(i int) float64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 2))
	data := make([]float32, n*in)
	for r := range n {
		for i := range in {
			data[r*in+i] = float32(std(i) * rng.NormFloat64())
		}
	}
	return data
}

// TestPCAPlane fits 2 components on points of a plane in 10 dimensions:
// they explain ~all the variance, are orthonormal, span the plane, come
// by decreasing variance, and reconstruct the points almost exactly.
func TestPCAPlane(t *testing.T) {
	const n, in = 2000, 10
	data, basis := planeData(1, n, in, 1e-3)
	p, err := FitPCA(context.Background(), data, n, in, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	if ev := p.ExplainedVariance(); ev < 0.99999 || ev > 1 {
		t.Errorf("ExplainedVariance() = %v, want ~1", ev)
	}
	m := rows(p)
	for a := range m {
		for b := range m {
			want := 0.0
			if a == b {
				want = 1
			}
			if got := dot64(m[a], m[b]); math.Abs(got-want) > 1e-5 {
				t.Errorf("<m%d, m%d> = %v, want %v", a, b, got, want)
			}
		}
	}
	// The first component is the plane's high-variance direction.
	if c := math.Abs(dot64(m[0], basis[0])); c < 0.9999 {
		t.Errorf("|<m0, basis0>| = %v, want ~1", c)
	}
	if c := math.Abs(dot64(m[1], basis[1])); c < 0.9999 {
		t.Errorf("|<m1, basis1>| = %v, want ~1", c)
	}
	mean := p.Params()[:in]
	y := make([]float32, 2)
	var worst float64
	for r := range n {
		x := data[r*in : (r+1)*in]
		p.Apply(y, x)
		var e float64
		for i := range in {
			rec := float64(mean[i]) + float64(y[0])*m[0][i] + float64(y[1])*m[1][i]
			e += (rec - float64(x[i])) * (rec - float64(x[i]))
		}
		worst = max(worst, math.Sqrt(e))
	}
	// Noise of 1e-3 per coordinate leaves ~sqrt(8)e-3 off the plane.
	if worst > 0.02 {
		t.Errorf("worst reconstruction error %v, want < 0.02 (points spread ~3)", worst)
	}
	cfg := p.Config()
	if cfg.Kind != PCA || cfg.In != in || cfg.Out != 2 || cfg.Whiten || cfg.Version != Version {
		t.Errorf("Config() = %+v", cfg)
	}
}

// TestPCAVarianceOrder checks the eigenvalue order and the explained share
// on axis-aligned data with known variances.
func TestPCAVarianceOrder(t *testing.T) {
	const n, in = 20000, 4
	stds := []float64{1, 4, 2, 3} // variances 1, 16, 4, 9: total 30
	data := gaussian(3, n, in, func(i int) float64 { return stds[i] })
	p, err := FitPCA(context.Background(), data, n, in, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	m := rows(p)
	for j, axis := range []int{1, 3} {
		if m[j][axis] < 0.999 {
			t.Errorf("component %d = %v, want ~+e%d (signed positive)", j, m[j], axis)
		}
	}
	if ev, want := p.ExplainedVariance(), 25.0/30; math.Abs(ev-want) > 0.01 {
		t.Errorf("ExplainedVariance() = %v, want ~%v", ev, want)
	}
}

// TestPCAWhiten checks that whitened outputs have zero mean, unit variance
// and no correlation on the sample.
func TestPCAWhiten(t *testing.T) {
	const n, in, out = 5000, 6, 4
	data := gaussian(4, n, in, func(i int) float64 { return float64(i + 1) })
	// Mix the axes so that the components are not the axes.
	for r := range n {
		x := data[r*in : (r+1)*in]
		x[0], x[1] = x[0]+x[1], x[1]-0.5*x[2]+7
	}
	p, err := FitPCA(context.Background(), data, n, in, out, true)
	if err != nil {
		t.Fatal(err)
	}
	ys := make([]float32, n*out)
	p.ApplyBatch(ys, data, 0)
	for a := range out {
		var mean float64
		for r := range n {
			mean += float64(ys[r*out+a])
		}
		mean /= n
		if math.Abs(mean) > 1e-4 {
			t.Errorf("output %d: mean %v, want 0", a, mean)
		}
		for b := range out {
			var c float64
			for r := range n {
				c += float64(ys[r*out+a]) * float64(ys[r*out+b])
			}
			c /= n - 1
			want := 0.0
			if a == b {
				want = 1
			}
			if math.Abs(c-want) > 1e-3 {
				t.Errorf("covariance of outputs %d and %d = %v, want %v", a, b, c, want)
			}
		}
	}
}

// TestRandomProjectionJL checks that a 256 -> 64 random projection keeps
// squared distances between random points: mean ratio ~1 and nearly
// every ratio within the Johnson–Lindenstrauss band for 64 outputs
// (ratio ~ chi2(64)/64, standard deviation 0.18).
func TestRandomProjectionJL(t *testing.T) {
	const n, in, out = 200, 256, 64
	data := gaussian(5, n, in, func(int) float64 { return 1 })
	p, err := RandomProjection(in, out, 42)
	if err != nil {
		t.Fatal(err)
	}
	ys := make([]float32, n*out)
	p.ApplyBatch(ys, data, 2)
	var sum float64
	pairs, outside := 0, 0
	for a := range n {
		for b := range a {
			ratio := sqDist(ys[a*out:(a+1)*out], ys[b*out:(b+1)*out]) / sqDist(data[a*in:(a+1)*in], data[b*in:(b+1)*in])
			sum += ratio
			pairs++
			if ratio < 0.5 || ratio > 1.5 {
				outside++
			}
		}
	}
	if mean := sum / float64(pairs); math.Abs(mean-1) > 0.05 {
		t.Errorf("mean squared-distance ratio %v, want 1 +- 0.05", mean)
	}
	if frac := float64(outside) / float64(pairs); frac > 0.02 {
		t.Errorf("%d of %d pairs (%.3f) have a ratio outside [0.5, 1.5], want <= 2%%", outside, pairs, frac)
	}
	if p.ExplainedVariance() != 0 || p.Config().Seed != 42 || p.Config().Kind != RP {
		t.Errorf("Config() = %+v", p.Config())
	}
	if mean := p.Params()[:in]; slices.ContainsFunc(mean, func(x float32) bool { return x != 0 }) {
		t.Error("random projection has a non-zero mean")
	}
}

func sqDist(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return s
}

// TestApplyReference compares Apply with a float64 evaluation of
// y = M (x - mean) / scale from the parameters, at odd dimensions.
func TestApplyReference(t *testing.T) {
	for _, in := range []int{1, 7, 31, 33, 127} {
		out := (in + 1) / 2
		n := in + 5
		data := gaussian(uint64(in), n, in, func(i int) float64 { return float64(1 + i%5) })
		for i := range data {
			data[i] += 10
		}
		p, err := FitPCA(context.Background(), data, n, in, out, true)
		if err != nil {
			t.Fatal(err)
		}
		params := p.Params()
		mean, m, scales := params[:in], params[in:in+out*in], params[in+out*in:]
		y := make([]float32, out)
		for r := range n {
			x := data[r*in : (r+1)*in]
			p.Apply(y, x)
			for j := range out {
				var want float64
				for i := range in {
					want += float64(m[j*in+i]) * (float64(x[i]) - float64(mean[i]))
				}
				want /= float64(scales[j])
				if math.Abs(float64(y[j])-want) > 1e-4*(1+math.Abs(want)) {
					t.Fatalf("in=%d: Apply(row %d)[%d] = %v, want %v", in, r, j, y[j], want)
				}
			}
		}
	}
}

// TestParamsRoundTrip rebuilds projections from Config (through JSON) and
// Params and requires bit-identical outputs, in Apply and ApplyBatch.
func TestParamsRoundTrip(t *testing.T) {
	const n, in = 600, 20
	data := gaussian(6, n, in, func(i int) float64 { return float64(i%3 + 1) })
	pca, err := FitPCA(context.Background(), data, n, in, 5, false)
	if err != nil {
		t.Fatal(err)
	}
	white, err := FitPCA(context.Background(), data, n, in, 5, true)
	if err != nil {
		t.Fatal(err)
	}
	rp, err := RandomProjection(in, 5, 7)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*Projection{pca, white, rp} {
		b, err := json.Marshal(p.Config())
		if err != nil {
			t.Fatal(err)
		}
		var cfg Config
		if err := json.Unmarshal(b, &cfg); err != nil {
			t.Fatal(err)
		}
		q, err := New(cfg, p.Params())
		if err != nil {
			t.Fatal(err)
		}
		if q.Config() != p.Config() || q.ExplainedVariance() != p.ExplainedVariance() {
			t.Errorf("config %+v after the round trip, want %+v", q.Config(), p.Config())
		}
		want, got := make([]float32, n*5), make([]float32, n*5)
		p.ApplyBatch(want, data, 1)
		q.ApplyBatch(got, data, 3)
		if !slices.Equal(got, want) {
			t.Errorf("%s (whiten %t): outputs differ after the round trip", cfg.Kind, cfg.Whiten)
		}
		one := make([]float32, 5)
		for r := range n {
			q.Apply(one, data[r*in:(r+1)*in])
			if !slices.Equal(one, want[r*5:(r+1)*5]) {
				t.Fatalf("Apply(row %d) = %v, ApplyBatch gave %v", r, one, want[r*5:(r+1)*5])
			}
		}
	}
}

// TestDeterminism: the same input gives the same parameters, and the
// random projection depends on its seed.
func TestDeterminism(t *testing.T) {
	const n, in = 500, 16
	data := gaussian(8, n, in, func(i int) float64 { return float64(i + 1) })
	a, err := FitPCA(context.Background(), data, n, in, 8, true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := FitPCA(context.Background(), data, n, in, 8, true)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Params(), b.Params()) {
		t.Error("two PCA fits of the same data differ")
	}
	r1, _ := RandomProjection(in, 8, 1)
	r1b, _ := RandomProjection(in, 8, 1)
	r2, _ := RandomProjection(in, 8, 2)
	if !slices.Equal(r1.Params(), r1b.Params()) {
		t.Error("two random projections with seed 1 differ")
	}
	if slices.Equal(r1.Params(), r2.Params()) {
		t.Error("random projections with seeds 1 and 2 are equal")
	}
}

// TestBadInput checks that invalid arguments are errors naming the
// problem.
func TestBadInput(t *testing.T) {
	ctx := context.Background()
	good := gaussian(9, 10, 4, func(int) float64 { return 1 })
	nan := slices.Clone(good)
	nan[13] = float32(math.NaN())
	inf := slices.Clone(good)
	inf[0] = float32(math.Inf(-1))
	constant := make([]float32, 40)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	fits := []struct {
		name    string
		ctx     context.Context
		data    []float32
		n, in   int
		out     int
		whiten  bool
		wantErr string
	}{
		{"out > in", ctx, good, 10, 4, 5, false, "output dimension 5"},
		{"out < 1", ctx, good, 10, 4, 0, false, "output dimension 0"},
		{"n < 2", ctx, good[:4], 1, 4, 2, false, "at least 2 vectors"},
		{"length", ctx, good[:39], 10, 4, 2, false, "39 values"},
		{"NaN", ctx, nan, 10, 4, 2, false, "vector 3, value 1 is NaN"},
		{"Inf", ctx, inf, 10, 4, 2, false, "vector 0, value 0 is -Inf"},
		{"whiten zero variance", ctx, constant, 10, 4, 1, true, "cannot whiten"},
		{"cancelled", cancelled, good, 10, 4, 2, false, "context canceled"},
	}
	for _, tc := range fits {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FitPCA(tc.ctx, tc.data, tc.n, tc.in, tc.out, tc.whiten)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("FitPCA = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
	if _, err := RandomProjection(4, 5, 1); err == nil {
		t.Error("RandomProjection(4, 5) succeeded")
	}
	ok := Config{Version: Version, Kind: PCA, In: 2, Out: 1, Whiten: true}
	news := []struct {
		name    string
		cfg     Config
		params  []float32
		wantErr string
	}{
		{"short", ok, []float32{0, 0, 1, 0}, "4 parameters"},
		{"long", ok, []float32{0, 0, 1, 0, 1, 1}, "6 parameters"},
		{"version", Config{Version: 2, Kind: PCA, In: 2, Out: 1}, []float32{0, 0, 1, 0}, "version 2"},
		{"kind", Config{Version: Version, Kind: "svd", In: 2, Out: 1}, []float32{0, 0, 1, 0}, `unknown kind "svd"`},
		{"rp whiten", Config{Version: Version, Kind: RP, In: 2, Out: 1, Whiten: true}, []float32{0, 0, 1, 0, 1}, "cannot be whitened"},
		{"out > in", Config{Version: Version, Kind: RP, In: 1, Out: 2}, []float32{0, 1, 1}, "output dimension 2"},
		{"NaN", ok, []float32{0, float32(math.NaN()), 1, 0, 1}, "parameter 1 is NaN"},
		{"zero scale", ok, []float32{0, 0, 1, 0, 0}, "scale 0 is 0"},
	}
	for _, tc := range news {
		t.Run("New/"+tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, tc.params)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("New = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

// orthonormal returns k random orthonormal vectors of dimension in
// (Gram-Schmidt over Gaussian draws).
func orthonormal(rng *rand.Rand, k, in int) [][]float64 {
	axes := make([][]float64, k)
	for a := range axes {
		v := make([]float64, in)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		for _, u := range axes[:a] {
			d := dot64(v, u)
			for i := range v {
				v[i] -= d * u[i]
			}
		}
		norm := math.Sqrt(dot64(v, v))
		for i := range v {
			v[i] /= norm
		}
		axes[a] = v
	}
	return axes
}
