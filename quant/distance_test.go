package quant

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

var kernelLengths = []int{0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 33, 63, 64, 127, 128, 129, 300, 1000}

// randVec returns n floats uniform in [-scale, scale).
func randVec(rng *rand.Rand, n int, scale float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = (rng.Float32()*2 - 1) * scale
	}
	return v
}

// dotMag and l2Mag return sum(|a[i]*b[i]|) and sum((a[i]-b[i])^2) in
// float64: the scale that rounding errors of any summation order are
// proportional to.
func dotMag(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += math.Abs(float64(a[i]) * float64(b[i]))
	}
	return s
}

func l2Mag(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return s
}

// approxEqual reports whether got and want agree within relTol of mag, the sum of
// the absolute values of the terms. A tiny absolute slack covers products
// that are subnormal in one summation order and fused away in the other.
func approxEqual(got, want float32, mag, relTol float64) bool {
	if got == want {
		return true
	}
	return math.Abs(float64(got)-float64(want)) <= relTol*mag+1e-37
}

func TestKernels(t *testing.T) {
	const seed = 1
	t.Logf("seed %d", seed)
	for _, k := range allKernels {
		t.Run(k.name, func(t *testing.T) { runKernelsRandom(t, k, seed) })
	}
}

func runKernelsRandom(t *testing.T, k kernels, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0))
	for _, scale := range []float32{1, 1e-3, 1e6} {
		for _, n := range kernelLengths {
			a, b := randVec(rng, n, scale), randVec(rng, n, scale)
			if got, want := k.dot(a, b), DotRef(a, b); !approxEqual(got, want, dotMag(a, b), 1e-5) {
				t.Errorf("dot(len %d, scale %g) = %v, want %v", n, scale, got, want)
			}
			if got, want := k.l2(a, b), L2SquaredRef(a, b); !approxEqual(got, want, l2Mag(a, b), 1e-5) {
				t.Errorf("l2(len %d, scale %g) = %v, want %v", n, scale, got, want)
			}
			if got, want := k.dot(a, a), DotRef(a, a); !approxEqual(got, want, dotMag(a, a), 1e-5) {
				t.Errorf("norm2(len %d, scale %g) = %v, want %v", n, scale, got, want)
			}
		}
	}
}

// TestKernelsAgree checks that every implementation gives what the selected
// one gives, on slices that start at every offset within a 32-byte line, so
// that unaligned loads are covered.
func TestKernelsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 0))
	buf := randVec(rng, 2000, 1)
	for _, k := range allKernels {
		for _, n := range kernelLengths {
			for off := range 8 {
				a, b := buf[off:off+n], buf[1000-off:1000-off+n]
				if got, want := k.dot(a, b), DotProduct(a, b); !approxEqual(got, want, dotMag(a, b), 1e-5) {
					t.Errorf("%s: dot(len %d, off %d) = %v, DotProduct = %v", k.name, n, off, got, want)
				}
				if got, want := k.l2(a, b), L2Squared(a, b); !approxEqual(got, want, l2Mag(a, b), 1e-5) {
					t.Errorf("%s: l2(len %d, off %d) = %v, L2Squared = %v", k.name, n, off, got, want)
				}
			}
		}
	}
}

func TestBatchKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 0))
	dims := []int{0, 1, 2, 3, 7, 8, 9, 31, 32, 33, 96, 100, 128, 129, 784}
	for _, k := range allKernels {
		for _, dim := range dims {
			for _, rows := range []int{0, 1, 2, 5, 17} {
				t.Run(fmt.Sprintf("%s/dim=%d/rows=%d", k.name, dim, rows), func(t *testing.T) {
					q, data := randVec(rng, dim, 1), randVec(rng, dim*rows, 1)
					// A sentinel past the end of out catches overruns.
					out := make([]float32, rows+1)
					out[rows] = 42
					k.dotBatch(q, data, out[:rows])
					for i := range rows {
						row := data[i*dim : (i+1)*dim]
						if want := DotRef(q, row); !approxEqual(out[i], want, dotMag(q, row), 1e-5) {
							t.Errorf("dotBatch row %d = %v, want %v", i, out[i], want)
						}
					}
					k.l2Batch(q, data, out[:rows])
					for i := range rows {
						row := data[i*dim : (i+1)*dim]
						if want := L2SquaredRef(q, row); !approxEqual(out[i], want, l2Mag(q, row), 1e-5) {
							t.Errorf("l2Batch row %d = %v, want %v", i, out[i], want)
						}
					}
					if out[rows] != 42 {
						t.Errorf("batch wrote past the end of out: %v", out[rows])
					}
				})
			}
		}
	}
}

func TestDistance(t *testing.T) {
	a := []float32{0.6, 0.8, 0}
	b := []float32{0, 1, 0}
	c := []float32{3, 4, 12}
	tests := []struct {
		name string
		m    Metric
		a, b []float32
		want float32
	}{
		{"l2", L2, a, b, 0.36 + 0.04},
		{"l2/self", L2, c, c, 0},
		{"l2/unnormalised", L2, c, []float32{0, 0, 0}, 169},
		{"cosine", Cosine, a, b, 1 - 0.8},
		{"cosine/self", Cosine, b, b, 0},
		{"cosine/opposite", Cosine, b, []float32{0, -1, 0}, 2},
		{"dot", Dot, a, b, -0.8},
		{"dot/unnormalised", Dot, c, c, -169},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Distance(tc.m, tc.a, tc.b); !approxEqual(got, tc.want, 1, 1e-6) {
				t.Errorf("Distance(%v, %v, %v) = %v, want %v", tc.m, tc.a, tc.b, got, tc.want)
			}
			out := make([]float32, 2)
			DistanceBatch(tc.m, tc.a, append(append([]float32(nil), tc.b...), tc.b...), out)
			for i, got := range out {
				if !approxEqual(got, tc.want, 1, 1e-6) {
					t.Errorf("DistanceBatch(%v) row %d = %v, want %v", tc.m, i, got, tc.want)
				}
			}
		})
	}
}

// TestDistanceBatchMatchesDistance checks every metric's batch against the
// single-pair function on random unit vectors.
func TestDistanceBatchMatchesDistance(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 0))
	const dim, rows = 37, 11
	q := randVec(rng, dim, 1)
	Normalize(q)
	data := make([]float32, 0, dim*rows)
	for range rows {
		v := randVec(rng, dim, 1)
		Normalize(v)
		data = append(data, v...)
	}
	out := make([]float32, rows)
	for _, m := range []Metric{L2, Cosine, Dot} {
		DistanceBatch(m, q, data, out)
		for i := range rows {
			if want := Distance(m, q, data[i*dim:(i+1)*dim]); !approxEqual(out[i], want, 4, 1e-6) {
				t.Errorf("DistanceBatch(%v) row %d = %v, Distance = %v", m, i, out[i], want)
			}
		}
	}
}

func TestPanics(t *testing.T) {
	tests := []struct {
		name string
		f    func()
	}{
		{"DotProduct", func() { DotProduct(make([]float32, 3), make([]float32, 4)) }},
		{"L2Squared", func() { L2Squared(make([]float32, 4), make([]float32, 3)) }},
		{"DotRef", func() { DotRef(make([]float32, 3), make([]float32, 4)) }},
		{"L2SquaredRef", func() { L2SquaredRef(make([]float32, 3), make([]float32, 4)) }},
		{"DotBatch/short", func() { DotBatch(make([]float32, 3), make([]float32, 5), make([]float32, 2)) }},
		{"DotBatch/long", func() { DotBatch(make([]float32, 3), make([]float32, 9), make([]float32, 2)) }},
		{"L2SquaredBatch", func() { L2SquaredBatch(make([]float32, 3), make([]float32, 6), make([]float32, 1)) }},
		{"L2SquaredBatch/emptyQuery", func() { L2SquaredBatch(nil, make([]float32, 3), make([]float32, 1)) }},
		{"Distance/metric", func() { Distance(0, make([]float32, 3), make([]float32, 3)) }},
		{"DistanceBatch/metric", func() { DistanceBatch(Dot+1, make([]float32, 3), make([]float32, 3), make([]float32, 1)) }},
		{"Distance/len", func() { Distance(Cosine, make([]float32, 3), make([]float32, 2)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", tc.name)
				}
			}()
			tc.f()
		})
	}
	// An empty query with no rows or with rows of length zero is valid.
	out := []float32{7, 7}
	DotBatch(nil, nil, out)
	if out[0] != 0 || out[1] != 0 {
		t.Errorf("DotBatch(nil, nil, out) = %v, want zeros", out)
	}
}

func TestNorm2(t *testing.T) {
	if got := Norm2([]float32{3, 4, 12}); got != 169 {
		t.Errorf("Norm2 = %v, want 169", got)
	}
	if got := Norm2(nil); got != 0 {
		t.Errorf("Norm2(nil) = %v, want 0", got)
	}
}

func TestNormalize(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	tests := []struct {
		name string
		v    []float32
		ok   bool
		want []float32 // nil: check unit length only
	}{
		{"simple", []float32{3, 4}, true, []float32{0.6, 0.8}},
		{"unit", []float32{0, -1, 0}, true, []float32{0, -1, 0}},
		{"empty", nil, false, nil},
		{"zero", []float32{0, 0, 0}, false, []float32{0, 0, 0}},
		{"negzero", []float32{float32(math.Copysign(0, -1)), 0}, false, nil},
		{"inf", []float32{1, inf, 2}, false, []float32{1, inf, 2}},
		{"-inf", []float32{-inf, 0}, false, []float32{-inf, 0}},
		{"nan", []float32{1, nan}, false, nil},
		{"huge", []float32{3e30, 4e30}, true, []float32{0.6, 0.8}},
		{"max", []float32{math.MaxFloat32, math.MaxFloat32}, true, []float32{math.Sqrt2 / 2, math.Sqrt2 / 2}},
		{"tiny", []float32{3e-30, 4e-30}, true, []float32{0.6, 0.8}},
		{"subnormal", []float32{math.SmallestNonzeroFloat32, 0}, true, []float32{1, 0}},
		{"long", randVec(rand.New(rand.NewPCG(5, 0)), 1000, 1), true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := append([]float32(nil), tc.v...)
			ok := Normalize(v)
			if ok != tc.ok {
				t.Fatalf("Normalize(%v) = %v, want %v", tc.v, ok, tc.ok)
			}
			if !ok {
				// v must be untouched, bit for bit.
				for i := range v {
					if math.Float32bits(v[i]) != math.Float32bits(tc.v[i]) {
						t.Fatalf("Normalize(%v) changed v to %v", tc.v, v)
					}
				}
				return
			}
			for i := range tc.want {
				if !approxEqual(v[i], tc.want[i], 1, 1e-6) {
					t.Errorf("Normalize(%v) = %v, want %v", tc.v, v, tc.want)
					break
				}
			}
			var n float64
			for _, x := range v {
				n += float64(x) * float64(x)
			}
			if math.Abs(n-1) > 1e-5 {
				t.Errorf("Normalize(%v): squared norm %v, want 1", tc.v, n)
			}
		})
	}
}

// floatsFromBytes decodes little-endian float32s, replacing values that are
// not finite or whose square could overflow in some summation order: the
// kernels agree with the reference only up to rounding, and rounding that
// overflows in one order and not the other is not a bug.
func floatsFromBytes(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		x := math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		if !(math.Abs(float64(x)) <= 1e15) {
			x = float32(i%7) - 3
		}
		v[i] = x
	}
	return v
}

// fuzzTol is a proven bound on the difference between two summation orders
// of n float32 terms whose absolute values sum to mag: each is within
// about n*2^-24*mag of the exact sum, and each term is off by at most
// 3*2^-24 relative (difference, product).
func fuzzTol(n int, mag float64) float64 {
	return 2 * float64(n+4) * 0x1p-24 * mag
}

func FuzzDot(f *testing.F) {
	f.Add([]byte{})
	f.Add(binary.LittleEndian.AppendUint32(nil, math.Float32bits(1.5)))
	rng := rand.New(rand.NewPCG(6, 0))
	for _, n := range []int{1, 7, 31, 33, 127} {
		var b []byte
		for _, x := range randVec(rng, 2*n, 10) {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		v := floatsFromBytes(raw)
		n := len(v) / 2
		a, b := v[:n], v[n:2*n]
		want := DotRef(a, b)
		wantL2 := L2SquaredRef(a, b)
		for _, k := range allKernels {
			if got := k.dot(a, b); !approxEqual(got, want, dotMag(a, b), fuzzTol(n, 1)) {
				t.Errorf("%s: dot(%v, %v) = %v, want %v", k.name, a, b, got, want)
			}
			if got := k.l2(a, b); !approxEqual(got, wantL2, l2Mag(a, b), fuzzTol(n, 1)) {
				t.Errorf("%s: l2(%v, %v) = %v, want %v", k.name, a, b, got, wantL2)
			}
		}
	})
}

func FuzzL2Batch(f *testing.F) {
	rng := rand.New(rand.NewPCG(7, 0))
	for _, dim := range []uint16{1, 3, 8, 33, 128} {
		var b []byte
		for _, x := range randVec(rng, int(dim)*5, 10) {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
		f.Add(dim, b)
	}
	f.Fuzz(func(t *testing.T, dim16 uint16, raw []byte) {
		dim := 1 + int(dim16)%300
		v := floatsFromBytes(raw)
		if len(v) < dim {
			return
		}
		q := v[:dim]
		rows := (len(v) - dim) / dim
		data := v[dim : dim+rows*dim]
		for _, k := range allKernels {
			out := make([]float32, rows+1)
			out[rows] = 42
			k.l2Batch(q, data, out[:rows])
			for i := range rows {
				row := data[i*dim : (i+1)*dim]
				if want := L2SquaredRef(q, row); !approxEqual(out[i], want, l2Mag(q, row), fuzzTol(dim, 1)) {
					t.Errorf("%s: l2Batch dim %d row %d = %v, want %v", k.name, dim, i, out[i], want)
				}
			}
			if out[rows] != 42 {
				t.Errorf("%s: l2Batch wrote past the end of out", k.name)
			}
		}
	})
}
