package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// pq4TableRef is pq4Table written straight from its definition, one
// sub-quantiser at a time, for finite inputs. It also returns the sum of the
// absolute values of the minima, which bounds the rounding error of base in
// any summation order.
func pq4TableRef(t *testing.T, a, b []float32, m int) (ft []float32, lut []byte, base, delta float32, mag float64) {
	t.Helper()
	ft = make([]float32, m*16)
	for i := range ft {
		ft[i] = a[i]
		if b != nil {
			ft[i] = a[i] + b[i]
		}
	}
	mins := make([]float32, m)
	var span float32
	for i := range m {
		lo, hi := ft[16*i], ft[16*i]
		for _, v := range ft[16*i : 16*i+16] {
			lo = min(lo, v)
			hi = max(hi, v)
		}
		mins[i] = lo
		span = max(span, hi-lo)
	}
	delta = span / 255
	if !(delta > 0) || math.IsInf(float64(delta), 0) {
		delta = 1
	}
	inv := 1 / delta
	lut = make([]byte, (m+1)/2*32)
	for i := range m {
		base += mins[i]
		mag += math.Abs(float64(mins[i]))
		for j := range 16 {
			// Rounded after each operation, as the kernels must.
			d := ft[16*i+j] - mins[i]
			p := d * inv
			x := float32(p) + 0.5
			if !(x >= 0.5 && x < 256) {
				t.Fatalf("m=%d: entry %d of sub-quantiser %d: (t - lo) * inv + 0.5 = %v, outside [0.5, 256)", m, j, i, x)
			}
			lut[(i/2)*32+(i%2)*16+j] = byte(int32(x))
		}
	}
	return ft, lut, base, delta, mag
}

// pq4TableInputs returns random a and b (nil when withB is false) for m
// sub-quantisers. Shape picks how sub-quantisers are constant (all 16
// entries equal, so their range is 0): none, every third one, or all.
func pq4TableInputs(rng *rand.Rand, m int, withB bool, shape string) (a, b []float32) {
	a = make([]float32, m*16)
	for i := range a {
		a[i] = float32(rng.NormFloat64() * 10)
	}
	if withB {
		b = make([]float32, m*16)
		for i := range b {
			b[i] = float32(rng.NormFloat64()*3 + 1)
		}
	}
	for i := range m {
		if shape == "all-constant" || (shape == "some-constant" && i%3 == 1) {
			for j := range 16 {
				a[16*i+j] = a[16*i]
				if b != nil {
					b[16*i+j] = b[16*i]
				}
			}
		}
	}
	return a, b
}

// runPQ4Table runs kernel k into fresh ft and lut, filled with garbage so
// that the test sees every entry written (and the padding cleared), with
// one sentinel element after each.
func runPQ4Table(t *testing.T, k pq4TableKernel, a, b []float32, m int) (ft []float32, lut []byte, base, delta float32) {
	t.Helper()
	ft = make([]float32, m*16+1)
	for i := range ft {
		ft[i] = 12345
	}
	n := (m + 1) / 2 * 32
	lut = make([]byte, n+1)
	for i := range lut {
		lut[i] = 0xa5
	}
	base, delta = k.table(a, b, m, ft[:m*16], lut[:n])
	if ft[m*16] != 12345 || lut[n] != 0xa5 {
		t.Fatalf("%s: m=%d: wrote past ft or lut", k.name, m)
	}
	return ft[:m*16], lut[:n], base, delta
}

// TestPQ4TableKernels compares every kernel with the reference: ft, lut and
// delta bit for bit, base within the rounding error of a reordered sum.
func TestPQ4TableKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 7))
	for _, k := range pq4TableKernels {
		for _, m := range []int{1, 2, 3, 7, 8, 9, 16, 63, 64, 196, 255, 256} {
			for _, withB := range []bool{false, true} {
				for _, shape := range []string{"random", "some-constant", "all-constant"} {
					for range 4 {
						a, b := pq4TableInputs(rng, m, withB, shape)
						wantFT, wantLUT, wantBase, wantDelta, mag := pq4TableRef(t, a, b, m)
						ft, lut, base, delta := runPQ4Table(t, k, a, b, m)
						name := fmt.Sprintf("%s: m=%d b=%v %s", k.name, m, withB, shape)
						for i := range ft {
							if math.Float32bits(ft[i]) != math.Float32bits(wantFT[i]) {
								t.Fatalf("%s: ft[%d] = %v, want %v", name, i, ft[i], wantFT[i])
							}
						}
						for i := range lut {
							if lut[i] != wantLUT[i] {
								t.Fatalf("%s: lut[%d] = %d, want %d", name, i, lut[i], wantLUT[i])
							}
						}
						if math.Float32bits(delta) != math.Float32bits(wantDelta) {
							t.Fatalf("%s: delta = %v, want %v", name, delta, wantDelta)
						}
						if shape == "all-constant" && delta != 1 {
							t.Fatalf("%s: delta = %v with every range 0, want 1", name, delta)
						}
						if d := math.Abs(float64(base) - float64(wantBase)); d > 1e-5*mag {
							t.Fatalf("%s: base = %v, want %v (sum of |lo| %v)", name, base, wantBase, mag)
						}
					}
				}
			}
		}
	}
}

// TestPQ4TableKernelsAgreeOnSpecialValues checks that the kernels give the
// same ft, lut and delta as the portable one where the reference does not
// apply: infinite and NaN values, sums that overflow, spans so large that
// delta falls back to 1 and entries leave [0, 255], and spans so small that
// 1/delta is infinite.
func TestPQ4TableKernelsAgreeOnSpecialValues(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	rng := rand.New(rand.NewPCG(43, 9))
	cases := []struct {
		name string
		set  func(a, b []float32)
	}{
		{"nan-first", func(a, b []float32) { a[min(16, len(a)-16)] = nan }},
		{"nan-first-some", func(a, b []float32) {
			for i := 32; i < len(a); i += 48 {
				a[i] = nan
			}
		}},
		{"nan-first-all", func(a, b []float32) {
			for i := 0; i < len(a); i += 16 {
				a[i] = nan
			}
		}},
		{"nan-later", func(a, b []float32) { a[len(a)-11] = nan; a[len(a)/2+3] = nan }},
		{"nan-later-some", func(a, b []float32) {
			for i := 5; i < len(a); i += 23 {
				b[i] = nan
			}
		}},
		{"plus-inf", func(a, b []float32) { a[len(a)-5] = inf }},
		{"minus-inf", func(a, b []float32) { a[len(a)/2] = -inf }},
		{"inf-minus-inf", func(a, b []float32) { a[len(a)-13], a[len(a)-12] = inf, -inf }},
		{"sum-overflows", func(a, b []float32) { a[7], b[7] = 3e38, 3e38 }},
		{"span-overflows", func(a, b []float32) { a[len(a)-8], a[len(a)-9] = 3e38, -3e38 }},
		{"span-overflows-wraps", func(a, b []float32) {
			a[7], a[8] = 3e38, -3e38
			for i := 16; i < len(a); i++ {
				a[i] *= 1000
			}
		}},
		{"huge-values", func(a, b []float32) {
			for i := range a {
				a[i] *= 1e36
			}
		}},
		{"tiny-span", func(a, b []float32) {
			for i := range a {
				a[i], b[i] = 1, float32(i%16)*0x1p-140
			}
		}},
		{"zero-signs", func(a, b []float32) {
			for i := range a {
				a[i], b[i] = 0, 0
				if i%3 == 0 {
					a[i] = float32(math.Copysign(0, -1))
				}
			}
		}},
	}
	for _, k := range pq4TableKernels[1:] {
		for _, c := range cases {
			for _, m := range []int{1, 2, 3, 7, 8, 9, 16, 17, 63, 64} {
				a, b := pq4TableInputs(rng, m, true, "random")
				c.set(a, b)
				wantFT, wantLUT, wantBase, wantDelta := runPQ4Table(t, pq4TableKernels[0], a, b, m)
				ft, lut, base, delta := runPQ4Table(t, k, a, b, m)
				name := fmt.Sprintf("%s: %s m=%d", k.name, c.name, m)
				for i := range ft {
					if math.Float32bits(ft[i]) != math.Float32bits(wantFT[i]) {
						t.Fatalf("%s: ft[%d] = %v, want %v", name, i, ft[i], wantFT[i])
					}
				}
				for i := range lut {
					if lut[i] != wantLUT[i] {
						t.Fatalf("%s: lut[%d] = %d, want %d", name, i, lut[i], wantLUT[i])
					}
				}
				if math.Float32bits(delta) != math.Float32bits(wantDelta) {
					t.Fatalf("%s: delta = %v, want %v", name, delta, wantDelta)
				}
				if !(base == wantBase || (base != base && wantBase != wantBase) ||
					math.Abs(float64(base)-float64(wantBase)) <= 1e-5*math.Max(math.Abs(float64(base)), math.Abs(float64(wantBase)))) {
					t.Fatalf("%s: base = %v, want %v", name, base, wantBase)
				}
			}
		}
	}
}

// TestPQ4TableChecks checks that the dispatcher rejects broken
// preconditions.
func TestPQ4TableChecks(t *testing.T) {
	ok := func(m int) ([]float32, []float32, []float32, []byte) {
		return make([]float32, 16*m), make([]float32, 16*m), make([]float32, 16*m), make([]byte, (m+1)/2*32)
	}
	for _, c := range []struct {
		name string
		call func()
	}{
		{"m=0", func() { a, b, ft, lut := ok(1); pq4Table(a, b, 0, ft, lut) }},
		{"m=257", func() { a, b, ft, lut := ok(257); pq4Table(a, b, 257, ft, lut) }},
		{"short a", func() { a, b, ft, lut := ok(3); pq4Table(a[:47], b, 3, ft, lut) }},
		{"short b", func() { a, b, ft, lut := ok(3); pq4Table(a, b[:0], 3, ft, lut) }},
		{"short ft", func() { a, b, ft, lut := ok(3); pq4Table(a, b, 3, ft[:47], lut) }},
		{"short lut", func() { a, b, ft, lut := ok(3); pq4Table(a, b, 3, ft, lut[:63]) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", c.name)
				}
			}()
			c.call()
		}()
	}
	a, _, ft, lut := ok(5)
	pq4Table(a, nil, 5, ft, lut)
}

// BenchmarkPQ4Table builds one query's fast-scan table from the query's
// inner products and a list's table, as an IVF search does per probed
// list.
func BenchmarkPQ4Table(b *testing.B) {
	for _, m := range []int{64, 196} {
		rng := rand.New(rand.NewPCG(uint64(m), 5))
		x, y := pq4TableInputs(rng, m, true, "random")
		ft := make([]float32, m*16)
		lut := make([]byte, (m+1)/2*32)
		for _, k := range pq4TableKernels {
			b.Run(fmt.Sprintf("M=%d/%s", m, k.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					k.table(x, y, m, ft, lut)
				}
			})
		}
	}
}
