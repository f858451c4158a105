package quant

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/internal/vectest"
)

// randomRotation returns a Haar-random dim x dim rotation: the orthogonal
// polar factor of a matrix of standard normal entries.
func randomRotation(seed uint64, dim int) *Rotation {
	rng := rand.New(rand.NewPCG(seed, 47))
	g := make([]float64, dim*dim)
	for i := range g {
		g[i] = rng.NormFloat64()
	}
	r, err := procrustes(g, dim)
	if err != nil {
		panic(err)
	}
	return r
}

// dot64 is the inner product of a and b in float64.
func dot64(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// skewedData returns n vectors x = Q·z of dimension dim, for the random
// rotation Q drawn from qseed and z with independent normal coordinates of
// deviation exp(-d/decay) for coordinate d, drawn from zseed. Every
// coordinate of x mixes strong and weak directions, which PQ cannot
// exploit and a rotation undoes.
func skewedData(qseed, zseed uint64, n, dim int, decay float64) []float32 {
	rng := rand.New(rand.NewPCG(zseed, 48))
	z := make([]float32, n*dim)
	for i := range n {
		for d := range dim {
			z[i*dim+d] = float32(rng.NormFloat64() * math.Exp(-float64(d)/decay))
		}
	}
	x := make([]float32, n*dim)
	randomRotation(qseed, dim).ApplyBatch(x, z, 0)
	return x
}

// opqMSE returns the mean squared distance between each vector x of data
// and its OPQ reconstruction Rᵀ·decode(encode(R·x)), computed in float64.
func opqMSE(r *Rotation, pq *PQ, data []float32) float64 {
	d := r.Dim
	n := len(data) / d
	var rx, rec []float32
	var sum float64
	for i := range n {
		x := data[i*d : (i+1)*d]
		rx = r.Apply(rx[:0], x)
		rec = pq.Decode(rec[:0], pq.Encode(nil, rx))
		for j := range d { // x - Rᵀ·rec
			s := float64(x[j])
			for k := range d {
				s -= float64(r.M[k*d+j]) * float64(rec[k])
			}
			sum += s * s
		}
	}
	return sum / float64(n)
}

// opqCase is the shape of the quality test, smaller under -short.
type opqCase struct {
	n, dim, m int
	decay     float64
}

func opqTestCase() opqCase {
	if testing.Short() {
		return opqCase{n: 1500, dim: 32, m: 4, decay: 6}
	}
	return opqCase{n: 6000, dim: 64, m: 8, decay: 12}
}

// trainedOPQ returns TrainOPQ with the defaults and Seed 1 on skewedData
// of opqTestCase, trained once and shared by the tests.
func trainedOPQ(t testing.TB) (*Rotation, *PQ) {
	t.Helper()
	o := trainOPQOnce()
	if o.err != nil {
		t.Fatal(o.err)
	}
	return o.r, o.pq
}

var trainOPQOnce = sync.OnceValue(func() (o struct {
	r   *Rotation
	pq  *PQ
	err error
}) {
	c := opqTestCase()
	data := skewedData(1, 2, c.n, c.dim, c.decay)
	o.r, o.pq, o.err = TrainOPQ(context.Background(), data, c.dim, c.m, OPQOptions{Seed: 1})
	return o
})

// TestOPQReconstruction checks that OPQ's reconstruction error is well
// below plain PQ's (with TrainPQ's default 25 k-means iterations, more
// than OPQ's first PQ gets) on data a rotation helps, both on the
// training set and held out. When written, the ratios were 0.24 (0.25
// held out) at 6000 x 64 with M = 8, and 0.37 (0.40) under -short.
func TestOPQReconstruction(t *testing.T) {
	c := opqTestCase()
	data := skewedData(1, 2, c.n, c.dim, c.decay)
	held := skewedData(1, 3, 1000, c.dim, c.decay) // same Q, new z
	r, opq := trainedOPQ(t)
	pq, err := TrainPQ(context.Background(), data, c.dim, c.m, PQOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		data     []float32
		maxRatio float64
	}{
		{"train", data, 0.5},
		{"held out", held, 0.55},
	} {
		pqMSE, opqMSE := reconstructionMSE(pq, tc.data), opqMSE(r, opq, tc.data)
		t.Logf("%s: PQ MSE %.5f, OPQ MSE %.5f, ratio %.3f", tc.name, pqMSE, opqMSE, opqMSE/pqMSE)
		if !(opqMSE < tc.maxRatio*pqMSE) {
			t.Errorf("%s: OPQ MSE %.5f, want below %.2f * PQ's %.5f", tc.name, opqMSE, tc.maxRatio, pqMSE)
		}
	}
}

// TestOPQNeverWorse checks on clustered data, where a rotation helps
// little, that OPQ is no worse than plain PQ, and that each added
// alternation lowers the error or keeps it (runs with more Iters continue
// runs with fewer, so their errors must not rise).
func TestOPQNeverWorse(t *testing.T) {
	n, dim, m := 2000, 32, 4
	if testing.Short() {
		n = 600
	}
	data, _ := clusteredData(31, n, dim, 500, 0.05)
	const pqIters = 4
	pq, err := TrainPQ(context.Background(), data, dim, m, PQOptions{Seed: 3, Iters: pqIters})
	if err != nil {
		t.Fatal(err)
	}
	prev := reconstructionMSE(pq, data)
	t.Logf("PQ: MSE %.5f", prev)
	for iters := 1; iters <= 5; iters++ {
		r, opq, err := TrainOPQ(context.Background(), data, dim, m, OPQOptions{Iters: iters, PQIters: pqIters, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		mse := opqMSE(r, opq, data)
		t.Logf("OPQ, %d alternations: MSE %.5f", iters, mse)
		if !(mse <= prev*(1+1e-4)) {
			t.Errorf("OPQ with %d alternations: MSE %.5f, above %.5f with one fewer (or plain PQ)", iters, mse, prev)
		}
		prev = mse
	}
}

// maxOrthError returns max |(R·Rᵀ - I)[i][j]| and max |(Rᵀ·R - I)[i][j]|,
// computed in float64.
func maxOrthError(r *Rotation) float64 {
	d := r.Dim
	var worst float64
	for i := range d {
		for j := range d {
			var rr, rtr float64
			for k := range d {
				rr += float64(r.M[i*d+k]) * float64(r.M[j*d+k])
				rtr += float64(r.M[k*d+i]) * float64(r.M[k*d+j])
			}
			if i == j {
				rr, rtr = rr-1, rtr-1
			}
			worst = max(worst, math.Abs(rr), math.Abs(rtr))
		}
	}
	return worst
}

func TestOPQRotationOrthogonal(t *testing.T) {
	r, _ := trainedOPQ(t)
	for _, tc := range []struct {
		name string
		r    *Rotation
	}{
		{"trained", r},
		{"random 100", randomRotation(7, 100)},
		{"identity 5", identityRotation(5)},
	} {
		if e := maxOrthError(tc.r); !(e < 1e-4) {
			t.Errorf("%s: R·Rᵀ and Rᵀ·R differ from I by %g, want below 1e-4", tc.name, e)
		}
		if err := tc.r.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v", tc.name, err)
		}
	}
}

// TestRotationApply checks that rotating preserves squared norms, inner
// products and squared distances, that Apply appends after dst's values,
// and that it does not allocate when dst has room.
func TestRotationApply(t *testing.T) {
	trained, _ := trainedOPQ(t)
	rng := rand.New(rand.NewPCG(8, 0))
	for _, r := range []*Rotation{trained, randomRotation(9, 1), randomRotation(10, 7), randomRotation(11, 33)} {
		for range 20 {
			a, b := randVec(rng, r.Dim, 1), randVec(rng, r.Dim, 3)
			ra := r.Apply([]float32{42}, a)
			if len(ra) != 1+r.Dim || ra[0] != 42 {
				t.Fatalf("Apply(dst of length 1, x): length %d, first %v; want %d values after 42", len(ra), ra[0], 1+r.Dim)
			}
			ra = ra[1:]
			rb := r.Apply(nil, b)
			for _, c := range []struct {
				what      string
				got, want float64
				mag       float64
			}{
				{"|a|²", dot64(ra, ra), dot64(a, a), dot64(a, a)},
				{"<a, b>", dot64(ra, rb), dot64(a, b), math.Sqrt(dot64(a, a) * dot64(b, b))},
				{"|a-b|²", float64L2(ra, rb), float64L2(a, b), float64L2(a, b)},
			} {
				if math.Abs(c.got-c.want) > 1e-5*c.mag {
					t.Errorf("dim %d: %s = %v after the rotation, %v before", r.Dim, c.what, c.got, c.want)
				}
			}
		}
	}
	x := randVec(rng, trained.Dim, 1)
	dst := make([]float32, 0, trained.Dim)
	if allocs := testing.AllocsPerRun(100, func() { dst = trained.Apply(dst[:0], x) }); allocs != 0 {
		t.Errorf("Apply with room in dst: %v allocations, want 0", allocs)
	}
}

// TestRotationApplyBatch checks ApplyBatch against Apply row by row, bit
// for bit, across thread counts and row counts around the tile and chunk
// sizes.
func TestRotationApplyBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 0))
	for _, dim := range []int{1, 7, 33} {
		r := randomRotation(uint64(dim), dim)
		for _, n := range []int{0, 1, rotateTile + 1, rotateChunk + 3*rotateTile + 5} {
			data := randVec(rng, n*dim, 1)
			var want []float32
			for i := range n {
				want = r.Apply(want, data[i*dim:(i+1)*dim])
			}
			for _, threads := range []int{1, 2, 3} {
				got := make([]float32, n*dim)
				r.ApplyBatch(got, data, threads)
				if n > 0 && !slices.Equal(got, want) {
					t.Errorf("dim %d, n %d, %d threads: ApplyBatch differs from Apply row by row", dim, n, threads)
				}
			}
		}
	}
}

func TestRotationPanics(t *testing.T) {
	r := identityRotation(4)
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"Apply short x", func() { r.Apply(nil, make([]float32, 3)) }},
		{"Apply short M", func() { (&Rotation{Dim: 4, M: make([]float32, 15)}).Apply(nil, make([]float32, 4)) }},
		{"ApplyBatch ragged", func() { r.ApplyBatch(make([]float32, 6), make([]float32, 6), 1) }},
		{"ApplyBatch short dst", func() { r.ApplyBatch(make([]float32, 4), make([]float32, 8), 1) }},
		{"ApplyBatch Dim 0", func() { (&Rotation{}).ApplyBatch(nil, nil, 1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if p := recover(); p == nil {
					t.Errorf("%s did not panic", tc.name)
				} else if err, ok := p.(error); !ok || !errors.IsAssertionFailure(err) {
					t.Errorf("%s panicked with %v, want an assertion failure", tc.name, p)
				}
			}()
			tc.f()
		})
	}
}

// TestTrainOPQDeterministic checks that the result depends on the seed
// only, not on the thread count or the run.
func TestTrainOPQDeterministic(t *testing.T) {
	data := skewedData(4, 5, 700, 16, 4)
	train := func(seed uint64, threads int) []byte {
		r, pq, err := TrainOPQ(context.Background(), data, 16, 4, OPQOptions{Iters: 3, Seed: seed, Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		b, err := r.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err = pq.AppendBinary(b)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	first := train(6, 1)
	for _, threads := range []int{1, 2, 3} {
		if !bytes.Equal(train(6, threads), first) {
			t.Errorf("Seed 6 with %d threads: rotation or PQ differs from the first run", threads)
		}
	}
	if bytes.Equal(train(7, 2), first) {
		t.Errorf("Seeds 6 and 7 trained the same rotation and PQ")
	}
}

func TestTrainOPQErrors(t *testing.T) {
	good := skewedData(1, 1, 300, 8, 4)
	nan := slices.Clone(good)
	nan[77] = float32(math.NaN())
	inf := slices.Clone(good)
	inf[5] = float32(math.Inf(-1))
	for _, tc := range []struct {
		name   string
		data   []float32
		dim, m int
		opts   OPQOptions
	}{
		{"dim 0", good, 0, 1, OPQOptions{}},
		{"dim too large", make([]float32, 4097*256), 4097, 1, OPQOptions{}},
		{"M 0", good, 8, 0, OPQOptions{}},
		{"M 3", good, 8, 3, OPQOptions{}},
		{"ragged", good[:len(good)-1], 8, 2, OPQOptions{}},
		{"255 vectors", good[:255*8], 8, 2, OPQOptions{}},
		{"negative Iters", good, 8, 2, OPQOptions{Iters: -1}},
		{"negative PQIters", good, 8, 2, OPQOptions{PQIters: -1}},
		{"NaN", nan, 8, 2, OPQOptions{}},
		{"Inf", inf, 8, 2, OPQOptions{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := TrainOPQ(context.Background(), tc.data, tc.dim, tc.m, tc.opts); err == nil {
				t.Errorf("TrainOPQ(%s) succeeded, want an error", tc.name)
			} else {
				t.Logf("%v", err)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := TrainOPQ(ctx, good, 8, 2, OPQOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("TrainOPQ with a cancelled context: err = %v, want context.Canceled", err)
	}
	for _, after := range []int{0, 2} {
		ctx := &stopAfter{Context: context.Background(), n: after}
		if _, _, err := TrainOPQ(ctx, good, 8, 2, OPQOptions{Iters: 5}); !errors.Is(err, context.Canceled) {
			t.Errorf("TrainOPQ cancelled after %d checks: err = %v, want context.Canceled", after, err)
		}
	}
}

// goldenRotation is the rotation whose encoding testdata/quant_opq.golden
// pins: a 3-d rotation with a reflection, fractional entries and one
// negative zero, so the file depends on the format alone.
func goldenRotation() *Rotation {
	negZero := float32(math.Copysign(0, -1))
	return &Rotation{Dim: 3, M: []float32{
		0.6, -0.8, negZero,
		0.8, 0.6, 0,
		0, 0, -1,
	}}
}

func goldenRotationBytes(t testing.TB) []byte {
	b, err := goldenRotation().AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRotationGolden pins the rotation encoding. A change to the file is a
// format change: bump rotationVersion, and the formats that embed it.
func TestRotationGolden(t *testing.T) {
	vectest.CheckGolden(t, "quant_opq.golden", []byte(hex.Dump(goldenRotationBytes(t))), *update)
}

func TestRotationRoundTrip(t *testing.T) {
	trained, _ := trainedOPQ(t)
	for _, r := range []*Rotation{goldenRotation(), trained, randomRotation(13, 1), randomRotation(14, 50)} {
		b, err := r.AppendBinary([]byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		if b[0] != 'x' || len(b) != 1+rotationHeaderSize+4*r.Dim*r.Dim {
			t.Fatalf("AppendBinary: %d bytes, want 'x' then %d", len(b), rotationHeaderSize+4*r.Dim*r.Dim)
		}
		got, err := DecodeRotation(b[1:])
		if err != nil {
			t.Fatal(err)
		}
		if got.Dim != r.Dim || !slices.EqualFunc(got.M, r.M, func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }) {
			t.Fatalf("DecodeRotation(AppendBinary(r)) differs from r (dim %d)", r.Dim)
		}
		again, err := got.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, b[1:]) {
			t.Fatalf("re-encoding a decoded rotation of dim %d differs", r.Dim)
		}
	}
}

func TestDecodeRotationErrors(t *testing.T) {
	good := goldenRotationBytes(t)
	entry := func(i int, x float32) []byte {
		b := slices.Clone(good)
		binary.LittleEndian.PutUint32(b[rotationHeaderSize+4*i:], math.Float32bits(x))
		return b
	}
	with := func(f func(b []byte)) []byte {
		b := slices.Clone(good)
		f(b)
		return b
	}
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"short header", good[:4]},
		{"header only", good[:rotationHeaderSize]},
		{"truncated", good[:len(good)-1]},
		{"trailing byte", append(slices.Clone(good), 0)},
		{"version", with(func(b []byte) { b[0] = 2 })},
		{"dim 0", with(func(b []byte) { binary.LittleEndian.PutUint32(b[1:], 0) })},
		{"dim 2", with(func(b []byte) { binary.LittleEndian.PutUint32(b[1:], 2) })},
		{"dim 4097", with(func(b []byte) { binary.LittleEndian.PutUint32(b[1:], 4097) })},
		{"huge dim", with(func(b []byte) { binary.LittleEndian.PutUint32(b[1:], math.MaxUint32) })},
		{"NaN", entry(4, float32(math.NaN()))},
		{"Inf", entry(8, float32(math.Inf(1)))},
		{"huge entry", entry(0, 1e30)},
		{"scaled row", entry(8, -1.01)},
		{"perturbed entry", entry(1, -0.79)},
		{"zero row", with(func(b []byte) { clear(b[rotationHeaderSize+24:]) })},
		{"repeated row", with(func(b []byte) { copy(b[rotationHeaderSize+12:], b[rotationHeaderSize:rotationHeaderSize+12]) })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r, err := DecodeRotation(tc.b); err == nil {
				t.Errorf("DecodeRotation(%s) = rotation of dim %d, want an error", tc.name, r.Dim)
			} else {
				t.Logf("%v", err)
			}
		})
	}
	// Just inside the tolerance still decodes.
	if _, err := DecodeRotation(entry(8, -1.0004)); err != nil {
		t.Errorf("DecodeRotation with an entry off by 4e-4: %v", err)
	}
}

func TestRotationAppendBinaryInvalid(t *testing.T) {
	for _, r := range []*Rotation{
		{},
		{Dim: 2, M: []float32{1, 0, 0}},
		{Dim: 2, M: []float32{1, 0, 0, 2}},
		{Dim: 2, M: []float32{1, 0, 0, float32(math.NaN())}},
		{Dim: 1, M: []float32{float32(math.Inf(-1))}},
	} {
		if b, err := r.AppendBinary([]byte("x")); err == nil || string(b) != "x" {
			t.Errorf("AppendBinary(Dim %d, %v) = %q, %v; want dst unchanged and an error", r.Dim, r.M, b, err)
		}
	}
}

// FuzzDecodeRotation: decoding never panics, never allocates more than the
// input declares and proves it holds, and whatever decodes re-encodes to
// the same bytes and preserves norms.
func FuzzDecodeRotation(f *testing.F) {
	good := goldenRotationBytes(f)
	f.Add(good)
	f.Add(good[:rotationHeaderSize])
	f.Add(good[:len(good)/2])
	for _, dim := range []int{1, 4} {
		b, err := randomRotation(15, dim).AppendBinary(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	b, err := identityRotation(2).AppendBinary(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte{rotationVersion, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRotation(b)
		if err != nil {
			return
		}
		if 4*len(r.M) > len(b) {
			t.Fatalf("decoded %d entries from %d bytes", len(r.M), len(b))
		}
		again, err := r.AppendBinary(nil)
		if err != nil {
			t.Fatalf("re-encoding a decoded rotation: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs from the input")
		}
		x := make([]float32, r.Dim)
		for i := range x {
			x[i] = float32(i%3) - 1
		}
		rx := r.Apply(nil, x)
		got, want := dot64(rx, rx), dot64(x, x)
		if math.Abs(got-want) > 3e-3*float64(r.Dim)*(want+1) {
			t.Fatalf("|R·x|² = %v, |x|² = %v", got, want)
		}
	})
}

// BenchmarkTrainOPQ trains on the target size of the brief: 20,000
// correlated 128-d vectors, M = 16, default options. It reports the OPQ
// reconstruction error relative to plain PQ's (TrainPQ defaults).
func BenchmarkTrainOPQ(b *testing.B) {
	const n, dim, m = 20000, 128, 16
	data := skewedData(1, 2, n, dim, 20)
	pq, err := TrainPQ(context.Background(), data, dim, m, PQOptions{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	pqMSE := reconstructionMSE(pq, data)
	b.Run(fmt.Sprintf("n=%d/dim=%d/M=%d", n, dim, m), func(b *testing.B) {
		var r *Rotation
		var opq *PQ
		for b.Loop() {
			if r, opq, err = TrainOPQ(context.Background(), data, dim, m, OPQOptions{Seed: 1}); err != nil {
				b.Fatal(err)
			}
		}
		rotated := make([]float32, len(data))
		r.ApplyBatch(rotated, data, 0)
		b.ReportMetric(reconstructionMSE(opq, rotated)/pqMSE, "mse/pq")
	})
}
