package quant

import "github.com/cockroachdb/errors"

// The kernel that turns a block's fast-scan sums into 1-bit estimates and
// decides which codes a bounded scan scores further. Per code this is a
// few loads, multiplications and additions and a comparison, as costly in
// a scalar loop as the fast scan itself; the AVX2 version does 8 codes an
// instruction and gives the survivors as a bit mask.

// rabitqBlockParams are the per-block constants of rabitqBlock, set per
// list and scan (see ScanBlocksBounded). The assembly takes its field
// offsets from go_asm.h.
type rabitqBlockParams struct {
	bias, addc float32 // base = bias + addc·add
	s          float32 // the estimator's scale
	c0, c1     float32 // 2<b, x'> - Σx' ≈ c0 + c1·sum
	errX, errT float32 // the bound's factors for e1 and for |k1|
	worst      float32 // the largest lower bound that survives
}

// rabitqBlockKernel is one implementation of rabitqBlock.
type rabitqBlockKernel struct {
	name  string
	block func(sums *[FastScanBlock]uint16, adds, k1s, e1s *[FastScanBlock]float32, p *rabitqBlockParams, d *[FastScanBlock]float32) uint32
}

// goRaBitQBlockKernel is the portable implementation, which every platform
// has.
var goRaBitQBlockKernel = rabitqBlockKernel{"go", rabitqBlockGo}

// rabitqBlock computes, for the 32 codes of a block, d[i] = base_i +
// s*k1s[i]*(c0 + c1*float32(sums[i])) with base_i = bias + addc*adds[i],
// and returns the mask of codes (bit i) whose lower bound lb_i = d[i] -
// errX*e1s[i] - errT*|k1s[i]| is not above worst (!(lb_i > worst), so a
// NaN survives).
//
// Every operation is rounded to float32 in the order Go evaluates the
// formulas as written, left to right:
//
//	base = bias + (addc*adds[i])
//	t    = c0 + (c1*float32(sums[i]))
//	d[i] = base + ((s*k1s[i])*t)
//	lb   = (d[i] - (errX*e1s[i])) - (errT*|k1s[i]|)
//
// with no fused multiply-add, so that every kernel gives the same d and
// mask, bit for bit (but for the payloads of NaNs, should the input hold
// some). A nil pointer is a bug of the caller and panics with an assertion
// failure.
func rabitqBlock(sums *[FastScanBlock]uint16, adds, k1s, e1s *[FastScanBlock]float32, p *rabitqBlockParams, d *[FastScanBlock]float32) uint32 {
	if sums == nil || adds == nil || k1s == nil || e1s == nil || p == nil || d == nil {
		panic(errors.AssertionFailedf("quant: rabitqBlock: nil argument"))
	}
	if useAVX2RaBitQBlock {
		return rabitqBlockAVX2(sums, adds, k1s, e1s, p, d)
	}
	return rabitqBlockGo(sums, adds, k1s, e1s, p, d)
}

// rabitqBlockGo is the portable rabitqBlock. The explicit conversions
// round each product to float32 before it is added: Go fuses x*y + z into
// an FMA on amd64 when built for GOAMD64=v3, and on other architectures,
// unless told not to.
func rabitqBlockGo(sums *[FastScanBlock]uint16, adds, k1s, e1s *[FastScanBlock]float32, p *rabitqBlockParams, d *[FastScanBlock]float32) uint32 {
	bias, addc, s, c0, c1 := p.bias, p.addc, p.s, p.c0, p.c1
	errX, errT, worst := p.errX, p.errT, p.worst
	var mask uint32
	for i := range d {
		k1 := k1s[i]
		base := bias + float32(addc*adds[i])
		t := c0 + float32(c1*float32(sums[i]))
		di := base + float32(float32(s*k1)*t)
		d[i] = di
		lb := float32(di-float32(errX*e1s[i])) - float32(errT*abs32(k1))
		if !(lb > worst) {
			mask |= 1 << i
		}
	}
	return mask
}
