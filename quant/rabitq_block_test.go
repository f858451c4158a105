package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
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

// scanBlocksBoundedScalar is ScanBlocksBounded as it was before
// rabitqBlock, a scalar loop over each block's codes, kept as the
// reference the kernel's results must equal bit for bit. The conversions
// to float32 in the estimates and bounds, which the loop did not have, do
// nothing in the default build; they keep GOAMD64=v3 from fusing a
// multiply and an add, as it did in the loop, and the kernel does not.
func scanBlocksBoundedScalar(e *rabitqEstimator, packed []byte, bias, worst float32, dst, errs []float32) {
	rq := e.rq
	cs, sb := rq.CodeSize(), rq.pdim/8
	bb, fsb, pairs := FastScanBlock*cs, FastScanBlock*sb, sb
	c := float32(int(1)<<rq.bits-1) / 2
	c0, c1 := 2*e.base-e.sum, 2*e.delta
	errX, errT := rabitqPruneEps*e.norm*abs32(e.scale), 2*e.lutErr*abs32(e.scale)
	cex := c * e.qsum
	for b := 0; len(dst) > 0; b++ {
		block := packed[b*bb : (b+1)*bb]
		FastScanBlocks(e.lut, block[:fsb], pairs, e.sums[:])
		nb := min(FastScanBlock, len(dst))
		fac := f32s(block[fsb : fsb+4*rq.nfac*FastScanBlock])
		adds, k1s, e1s := fac[:FastScanBlock], fac[FastScanBlock:2*FastScanBlock], fac[2*FastScanBlock:3*FastScanBlock]
		out := dst[:nb]
		if rq.bits == 1 {
			for i := range out {
				out[i] = bias + float32(e.addc*adds[i]) + float32(e.scale*k1s[i]*(c0+float32(c1*float32(e.sums[i]))))
			}
			if errs != nil {
				for i := range out {
					errs[i] = errX*e1s[i] + errT*abs32(k1s[i])
				}
				errs = errs[nb:]
			}
			dst = dst[nb:]
			continue
		}
		kbs, ebs := fac[3*FastScanBlock:4*FastScanBlock], fac[4*FastScanBlock:5*FastScanBlock]
		ex := block[fsb+4*rq.nfac*FastScanBlock:]
		for i := range out {
			k1 := k1s[i]
			base := bias + float32(e.addc*adds[i])
			d := base + float32(e.scale*k1*(c0+float32(c1*float32(e.sums[i]))))
			if float32(d-float32(errX*e1s[i]))-float32(errT*abs32(k1)) > worst {
				out[i] = float32(math.Inf(1))
				continue
			}
			out[i] = base + e.scale*kbs[i]*(e.exDot(ex[i*rq.exBytes:(i+1)*rq.exBytes])-cex)
		}
		if errs != nil {
			qerr := 3 * abs32(e.scale) * e.qscale * float32(int(1)<<(rq.bits-1)) * float32(math.Sqrt(float64(rq.pdim)/12))
			for i := range out {
				errs[i] = errX*ebs[i] + qerr*abs32(kbs[i])
			}
			errs = errs[nb:]
		}
		dst = dst[nb:]
	}
}

// TestRaBitQScanBlocksScalar checks that ScanBlocksBounded gives exactly
// the scalar loop's estimates and bounds, for dot products and for L2
// through a list table, with worst +Inf (nothing skipped), at the median
// and small (most skipped), on a list that ends in a partial block.
func TestRaBitQScanBlocksScalar(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 300
	}
	for _, dim := range []int{64, 100, 784} {
		for _, bits := range []int{1, 3, 4, 5, 8} {
			c := newRaBitQCase(t, dim, bits, n)
			rq := c.rq
			packed := rq.Pack(nil, c.codes)
			est := rq.NewEstimator().(*rabitqEstimator)
			cent := gaussian(rand.New(rand.NewPCG(7, 7)), 1, dim)
			for _, setup := range []string{"dot", "l2"} {
				bias := float32(0.25)
				if setup == "dot" {
					est.SetDot(c.q, 1)
				} else {
					est.SetQueryL2(c.q)
					est.SetListL2(rq.ListTable(cent, nil))
					bias = 3
				}
				all := make([]float32, n)
				est.ScanBlocks(packed, bias, all)
				sorted := slices.Clone(all)
				slices.Sort(sorted)
				for _, worst := range []float32{float32(math.Inf(1)), sorted[n/2], sorted[n/100]} {
					name := fmt.Sprintf("dim %d bits %d %s worst %v", dim, bits, setup, worst)
					want, wantErrs := make([]float32, n), make([]float32, n)
					scanBlocksBoundedScalar(est, packed, bias, worst, want, wantErrs)
					got, gotErrs := make([]float32, n), make([]float32, n)
					est.ScanBlocksBounded(packed, bias, worst, nil, got, gotErrs)
					skipped := 0
					for i := range n {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) || math.Float32bits(gotErrs[i]) != math.Float32bits(wantErrs[i]) {
							t.Fatalf("%s: code %d: %v ± %v, the scalar loop %v ± %v", name, i, got[i], gotErrs[i], want[i], wantErrs[i])
						}
						if math.IsInf(float64(got[i]), 1) {
							skipped++
						}
					}
					// Without errs, the same estimates.
					clear(got)
					est.ScanBlocksBounded(packed, bias, worst, nil, got, nil)
					if !slices.Equal(got, want) {
						t.Fatalf("%s: estimates without errs differ", name)
					}
					// The bound must rule some codes out for the test to
					// cover both paths.
					if bits > 1 && worst == sorted[n/100] && skipped == 0 {
						t.Errorf("%s: no code skipped", name)
					}
				}
			}
		}
	}
}

// BenchmarkRaBitQScanBlocks scans a list of 4096 4-bit codes (L2 through a
// list table) with worst +Inf, which scores every code's B-bit code, and
// at the estimates' 1st percentile, where the 1-bit bound rules codes out
// (on this unclustered data, about half of them: "scored" is the fraction
// left), with ScanBlocksBounded ("kernel") and with the scalar loop it
// replaced; and 1-bit codes, whose scan is the fast scan and that loop
// alone.
func BenchmarkRaBitQScanBlocks(b *testing.B) {
	const n = 4096
	for _, dim := range []int{128, 784} {
		for _, bits := range []int{4, 1} {
			c := newRaBitQCase(b, dim, bits, n)
			rq := c.rq
			packed := rq.Pack(nil, c.codes)
			est := rq.NewEstimator().(*rabitqEstimator)
			est.SetQueryL2(c.q)
			est.SetListL2(rq.ListTable(gaussian(rand.New(rand.NewPCG(7, 7)), 1, dim), nil))
			dst, errs := make([]float32, n), make([]float32, n)
			est.ScanBlocks(packed, 0, dst)
			slices.Sort(dst)
			worsts := []struct {
				name  string
				worst float32
			}{{"inf", float32(math.Inf(1))}, {"p1", dst[n/100]}}
			if bits == 1 {
				// Every 1-bit code keeps its estimate.
				worsts = worsts[:1]
			}
			for _, w := range worsts {
				for _, impl := range []string{"kernel", "scalar"} {
					b.Run(fmt.Sprintf("dim=%d/bits=%d/worst=%s/%s", dim, bits, w.name, impl), func(b *testing.B) {
						for b.Loop() {
							if impl == "kernel" {
								est.ScanBlocksBounded(packed, 0, w.worst, nil, dst, errs)
							} else {
								scanBlocksBoundedScalar(est, packed, 0, w.worst, dst, errs)
							}
						}
						b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/code")
						scored := 0
						for _, d := range dst {
							if !math.IsInf(float64(d), 1) {
								scored++
							}
						}
						b.ReportMetric(float64(scored)/n, "scored")
					})
				}
			}
		}
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

// TestRaBitQScanBlocksKeep: with keep masks, ScanBlocksBounded gives the
// kept codes exactly the estimates and bounds it gives without them, and
// scores none of the others further (+Inf, for B > 1).
func TestRaBitQScanBlocksKeep(t *testing.T) {
	const n, dim = 300, 100 // a partial last block
	r := rand.New(rand.NewPCG(9, 9))
	for _, bits := range []int{1, 4} {
		c := newRaBitQCase(t, dim, bits, n)
		packed := c.rq.Pack(nil, c.codes)
		est := c.rq.NewEstimator().(*rabitqEstimator)
		est.SetDot(c.q, 1)
		keep := make([]uint32, (n+FastScanBlock-1)/FastScanBlock)
		for i := range keep {
			keep[i] = r.Uint32() & r.Uint32() // a quarter kept
		}
		want, wantErrs := make([]float32, n), make([]float32, n)
		est.ScanBlocksBounded(packed, 0.5, float32(math.Inf(1)), nil, want, wantErrs)
		got, gotErrs := make([]float32, n), make([]float32, n)
		est.ScanBlocksBounded(packed, 0.5, float32(math.Inf(1)), keep, got, gotErrs)
		for i := range n {
			kept := keep[i/FastScanBlock]>>(i%FastScanBlock)&1 != 0
			switch {
			case kept && (got[i] != want[i] || gotErrs[i] != wantErrs[i]):
				t.Fatalf("bits %d: kept code %d: %v ± %v, without keep %v ± %v", bits, i, got[i], gotErrs[i], want[i], wantErrs[i])
			case !kept && bits > 1 && !math.IsInf(float64(got[i]), 1):
				t.Fatalf("bits %d: code %d left out by keep scored %v", bits, i, got[i])
			}
		}
	}
}
