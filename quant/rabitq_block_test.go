package quant

import (
	"math"
	"math/rand/v2"
	"testing"
)

// rabitqBlockRef is rabitqBlock from its definition, each operation done in
// float64 and rounded to float32: float64 holds every product of two
// float32s exactly and has enough bits that rounding a sum or difference
// twice gives the correctly rounded float32 result.
func rabitqBlockRef(sums *[32]uint16, adds, k1s, e1s *[32]float32, p *rabitqBlockParams, d *[32]float32) uint32 {
	r := func(x float64) float64 { return float64(float32(x)) }
	f := func(x float32) float64 { return float64(x) }
	var mask uint32
	for i := range d {
		base := r(f(p.bias) + r(f(p.addc)*f(adds[i])))
		t := r(f(p.c0) + r(f(p.c1)*float64(sums[i])))
		di := r(base + r(r(f(p.s)*f(k1s[i]))*t))
		d[i] = float32(di)
		lb := r(r(di-r(f(p.errX)*f(e1s[i]))) - r(f(p.errT)*math.Abs(f(k1s[i]))))
		if !(lb > f(p.worst)) {
			mask |= 1 << i
		}
	}
	return mask
}

// blockValue returns a float32 of the kind the kernel tests mix: mostly
// ordinary values of either sign and any magnitude, sometimes zero of
// either sign, the largest or a subnormal, NaN or an infinity.
func blockValue(rng *rand.Rand) float32 {
	switch rng.IntN(20) {
	case 0:
		return 0
	case 1:
		return float32(math.Copysign(0, -1))
	case 2:
		return float32(math.NaN())
	case 3:
		return float32(math.Inf(1))
	case 4:
		return float32(math.Inf(-1))
	case 5:
		// Huge: products overflow.
		return float32(rng.NormFloat64() * 1e37)
	case 6:
		return math.MaxFloat32 * float32(2*rng.IntN(2)-1)
	case 7:
		// Tiny: products underflow, and subnormals.
		return float32(rng.NormFloat64() * 1e-38)
	case 8:
		return math.Float32frombits(uint32(rng.IntN(1<<23)) | uint32(rng.IntN(2))<<31)
	case 9:
		// Any bits at all.
		return math.Float32frombits(rng.Uint32())
	default:
		return float32(rng.NormFloat64() * math.Pow(2, float64(rng.IntN(41)-20)))
	}
}

// blockInputs returns a block's inputs: with special, every value from
// blockValue; without, values of the sizes a scan sees (estimates around
// worst), so that the masks are neither all set nor all clear.
func blockInputs(rng *rand.Rand, special bool) (sums [32]uint16, adds, k1s, e1s [32]float32, p rabitqBlockParams) {
	v := func(typical float32) float32 {
		if special {
			return blockValue(rng)
		}
		return typical
	}
	for i := range sums {
		switch rng.IntN(8) {
		case 0:
			sums[i] = 0
		case 1:
			sums[i] = math.MaxUint16
		default:
			sums[i] = uint16(rng.IntN(2000))
		}
		adds[i] = v(float32(rng.ExpFloat64() * 10))
		k1s[i] = v(float32(rng.NormFloat64()))
		e1s[i] = v(float32(rng.ExpFloat64() * 0.1))
	}
	p = rabitqBlockParams{
		bias: v(float32(rng.NormFloat64())), addc: v(1), s: v(-2),
		c0: v(float32(rng.NormFloat64() * 100)), c1: v(0.1),
		errX: v(float32(rng.ExpFloat64())), errT: v(float32(rng.ExpFloat64() * 0.1)),
		worst: v(float32(rng.NormFloat64() * 50)),
	}
	return sums, adds, k1s, e1s, p
}

// sameFloat32 reports whether a and b have the same bits, or are both
// NaN: which NaN an operation on two NaNs gives depends on the order of
// its operands, which Go does not fix.
func sameFloat32(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

func TestRaBitQBlockKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	masks := map[bool]int{}
	for trial := range 20000 {
		special := trial%2 == 1
		sums, adds, k1s, e1s, p := blockInputs(rng, special)
		var want [32]float32
		wantMask := rabitqBlockRef(&sums, &adds, &k1s, &e1s, &p, &want)
		if !special {
			masks[wantMask != 0 && wantMask != math.MaxUint32]++
		}
		check := func(name string, f func(sums *[32]uint16, adds, k1s, e1s *[32]float32, p *rabitqBlockParams, d *[32]float32) uint32) {
			t.Helper()
			var got [32]float32
			// Every d is written, whatever was there.
			for i := range got {
				got[i] = float32(math.NaN())
			}
			mask := f(&sums, &adds, &k1s, &e1s, &p, &got)
			for i := range got {
				if !sameFloat32(got[i], want[i]) {
					t.Fatalf("trial %d: %s: d[%d] = %v (%#x), want %v (%#x); sum %d, add %v, k1 %v, e1 %v, params %+v",
						trial, name, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]),
						sums[i], adds[i], k1s[i], e1s[i], p)
				}
			}
			if mask != wantMask {
				t.Fatalf("trial %d: %s: mask %#08x, want %#08x (params %+v)", trial, name, mask, wantMask, p)
			}
		}
		for _, k := range rabitqBlockKernels {
			check("kernel "+k.name, k.block)
		}
		check("entry point", rabitqBlock)
	}
	// The ordinary inputs give mixed masks often enough to test them.
	t.Logf("ordinary inputs: %d mixed masks, %d all set or clear", masks[true], masks[false])
	if masks[true] < masks[false] {
		t.Errorf("%d mixed masks, %d all set or clear", masks[true], masks[false])
	}
}

// TestRaBitQBlockWorst checks the comparison with worst at its edges: a
// lower bound equal to worst survives, one just above it does not, every
// finite one survives worst +Inf or NaN and none survives -Inf; a NaN
// lower bound survives, +Inf does not and -Inf does.
func TestRaBitQBlockWorst(t *testing.T) {
	var sums [32]uint16
	var adds, k1s, e1s, d [32]float32
	for i := range adds {
		adds[i] = float32(i) // d = lb = i
	}
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	for _, tc := range []struct {
		worst float32
		want  uint32
	}{
		{-1, 0},
		{0, 1},
		{7, 0xff},
		{math.Nextafter32(7, 0), 0x7f},
		{31, math.MaxUint32},
		{inf, math.MaxUint32},
		{nan, math.MaxUint32},
		{-inf, 0},
	} {
		p := rabitqBlockParams{addc: 1, worst: tc.worst}
		for _, k := range rabitqBlockKernels {
			if got := k.block(&sums, &adds, &k1s, &e1s, &p, &d); got != tc.want {
				t.Errorf("%s: worst %v: mask %#x, want %#x", k.name, tc.worst, got, tc.want)
			}
		}
	}
	// A NaN lower bound survives any worst, an infinite one as its sign says.
	adds[3], adds[4], adds[5] = nan, inf, -inf
	p := rabitqBlockParams{addc: 1, worst: -1}
	for _, k := range rabitqBlockKernels {
		if got, want := k.block(&sums, &adds, &k1s, &e1s, &p, &d), uint32(1<<3|1<<5); got != want {
			t.Errorf("%s: NaN and infinite lower bounds: mask %#x, want %#x", k.name, got, want)
		}
	}
}

func TestRaBitQBlockChecks(t *testing.T) {
	var sums [32]uint16
	var a, d [32]float32
	var p rabitqBlockParams
	for i, f := range []func(){
		func() { rabitqBlock(nil, &a, &a, &a, &p, &d) },
		func() { rabitqBlock(&sums, nil, &a, &a, &p, &d) },
		func() { rabitqBlock(&sums, &a, nil, &a, &p, &d) },
		func() { rabitqBlock(&sums, &a, &a, nil, &p, &d) },
		func() { rabitqBlock(&sums, &a, &a, &a, nil, &d) },
		func() { rabitqBlock(&sums, &a, &a, &a, &p, nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("nil argument %d: no panic", i)
				}
			}()
			f()
		}()
	}
}

func BenchmarkRaBitQBlockKernels(b *testing.B) {
	rng := rand.New(rand.NewPCG(23, 24))
	sums, adds, k1s, e1s, p := blockInputs(rng, false)
	var d [32]float32
	for _, k := range rabitqBlockKernels {
		b.Run(k.name, func(b *testing.B) {
			var m uint32
			for b.Loop() {
				m ^= k.block(&sums, &adds, &k1s, &e1s, &p, &d)
			}
			_ = m
		})
	}
}
