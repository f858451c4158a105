package quant

import (
	"encoding/binary"
	"math"
	"math/bits"
	"math/rand/v2"
	"sync"
	"unsafe"

	"github.com/cockroachdb/errors"
)

// RaBitQ quantises a vector to one bit per dimension after a random
// rotation, with an unbiased estimator of inner products and a bound on
// its error (Gao and Long, SIGMOD 2024), and optionally to B bits per
// dimension (the extended codes of Gao et al., SIGMOD 2025), whose
// estimates are close enough to exact that a search needs no raw vector.
//
// For a residual r, rotated r' = P r in D' = Dim rounded up to 64
// dimensions, the 1-bit code is b = [r' >= 0] and x̄ = (2b - 1)/√D' the
// unit vector it stands for. For any query x (rotated x' = P x):
//
//	<r, x> ≈ ||r|| <x̄, x'> / <x̄, r'/||r||> = k1 (2<b, x'> - Σx'),   k1 = ||r||² / ||r'||₁
//
// and, with probability close to 1, the error is below
// ε0 ||x|| ||r|| √(1-α²) / (α √(D'-1)), α = <x̄, r'/||r||>, ε0 = 1.9.
//
// A B-bit code u (B = 2..8) puts each rotated coordinate on a grid of 2^B
// levels, ȳ = u - (2^B-1)/2, scaled per vector to maximise the cosine of ȳ
// and r'; its top bit is the 1-bit code. Then
//
//	<r, x> ≈ kB (<u, x'> - (2^B-1)/2 Σx'),   kB = ||r||² / <ȳ, r'>
//
// whose error shrinks about 2^-B-fold.
//
// A list's codes are scanned in blocks of 32: the 1-bit codes with the
// fast-scan kernel (each 4 dimensions form a nibble whose 16-entry table
// sums the query's coordinates), then, for a B-bit codec, only the codes
// whose 1-bit lower bound could still enter the top k are scored with
// their B-bit codes (see [BoundedEstimator]).
//
// The rotation is structured, not dense, so that rotating a 784-float
// query costs microseconds rather than a 2.4 MB matrix read: four rounds
// of random sign flips and a normalised Walsh–Hadamard transform over the
// largest power-of-two block, alternately at the start and the end of the
// vector, each followed (when D' is not a power of two) by a butterfly
// mixing the two halves. Every step is orthogonal.
//
// A code is D'/8 bytes of signs, the factors ||r||², k1 and the error
// scale (and for B > 1 kB and the B-bit estimate's error scale) as float32, and for B > 1 the B-bit code: a
// nibble per dimension for B <= 4, a byte above. A RaBitQ is immutable and
// goroutine-safe.
type RaBitQ struct {
	dim, pdim, pow, bits int
	// signs holds rabitqRounds x pdim values of ±1; signBits the same as
	// bits, as stored.
	signs    []float32
	signBits []byte
	nfac     int // float32 factors per code
	exBytes  int // bytes of the B-bit code

	bufs sync.Pool // *[]float32 of pdim values
}

const (
	// rabitqRounds is the number of sign-flip and transform rounds of
	// the rotation.
	rabitqRounds = 4
	// RaBitQEps0 is the confidence parameter of the paper's error bound,
	// 1.9: about two standard deviations of the error (on
	// TestRaBitQEstimates' data 3.3-3.6% of 1-bit estimates fall outside
	// it).
	RaBitQEps0 = 1.9
	// rabitqPruneEps is the one a scan skips B-bit codes with: three
	// standard deviations, so that few codes that belong in the top k
	// are skipped.
	rabitqPruneEps = 3.0
	// MaxRaBitQDim bounds the dimension. Up to 1,024 dimensions a query's
	// nibble tables are quantised to 255 levels (by the AVX2 kernel PQ4
	// shares); above, to 65,535 / (D'/4) levels, so that the fast scan's
	// 16-bit sums of D'/4 entries cannot overflow (1,536 dimensions: 170
	// levels), in Go.
	MaxRaBitQDim = 4096
)

var (
	_ ListL2Codec      = (*RaBitQ)(nil)
	_ ListL2Estimator  = (*rabitqEstimator)(nil)
	_ BoundedEstimator = (*rabitqEstimator)(nil)
)

// NewRaBitQ returns a RaBitQ of dimension dim with bits per dimension
// (1 to 8), its rotation drawn from seed. It needs no training.
func NewRaBitQ(dim, bits int, seed uint64) (*RaBitQ, error) {
	if err := checkRaBitQShape(dim, bits); err != nil {
		return nil, err
	}
	pdim := rabitqPadded(dim)
	r := rand.New(rand.NewPCG(seed, 0x7ab179))
	sb := make([]byte, rabitqRounds*pdim/8)
	for i := range sb {
		sb[i] = byte(r.Uint32())
	}
	return newRaBitQ(dim, bits, sb), nil
}

func checkRaBitQShape(dim, bits int) error {
	if dim < 1 || dim > MaxRaBitQDim {
		return errors.Newf("quant: RaBitQ of dimension %d: it supports 1 to %d", dim, MaxRaBitQDim)
	}
	if bits < 1 || bits > 8 {
		return errors.Newf("quant: RaBitQ with %d bits per dimension: 1 to 8", bits)
	}
	return nil
}

func rabitqPadded(dim int) int { return (dim + 63) / 64 * 64 }

func newRaBitQ(dim, nbits int, signBits []byte) *RaBitQ {
	pdim := rabitqPadded(dim)
	rq := &RaBitQ{dim: dim, pdim: pdim, pow: 1 << (bits.Len(uint(pdim)) - 1), bits: nbits, signBits: signBits, nfac: 3}
	rq.signs = make([]float32, rabitqRounds*pdim)
	for i := range rq.signs {
		rq.signs[i] = 1
		if signBits[i/8]>>(i%8)&1 != 0 {
			rq.signs[i] = -1
		}
	}
	switch {
	case nbits > 4:
		rq.exBytes, rq.nfac = pdim, 5
	case nbits > 1:
		rq.exBytes, rq.nfac = pdim/2, 5
	}
	return rq
}

// Kind implements Codec.
func (rq *RaBitQ) Kind() CodecKind { return KindRaBitQ }

// Dim implements Codec.
func (rq *RaBitQ) Dim() int { return rq.dim }

// Bits returns the bits per dimension.
func (rq *RaBitQ) Bits() int { return rq.bits }

// CodeSize implements Codec.
func (rq *RaBitQ) CodeSize() int { return rq.pdim/8 + 4*rq.nfac + rq.exBytes }

// BlockSize implements BlockCodec.
func (rq *RaBitQ) BlockSize() int { return FastScanBlock }

// PackedSize implements BlockCodec.
func (rq *RaBitQ) PackedSize(n int) int {
	return (n + FastScanBlock - 1) / FastScanBlock * FastScanBlock * rq.CodeSize()
}

func (rq *RaBitQ) buf() *[]float32 {
	if b, ok := rq.bufs.Get().(*[]float32); ok {
		return b
	}
	b := make([]float32, rq.pdim)
	return &b
}

// load sets x (pdim values) to v padded with zeros and rotates it.
func (rq *RaBitQ) load(x, v []float32) {
	copy(x, v)
	clear(x[len(v):])
	rq.rotate(x)
}

// rotate applies the rotation to x (pdim values) in place.
func (rq *RaBitQ) rotate(x []float32) {
	n, p := rq.pdim, rq.pow
	for r := range rabitqRounds {
		for i, s := range rq.signs[r*n : (r+1)*n] {
			x[i] *= s
		}
		rq.transform(x, r)
		if n != p {
			kac(x)
		}
	}
}

// unrotate applies the inverse rotation: every step is its own inverse,
// so the rounds run backwards with their steps reversed.
func (rq *RaBitQ) unrotate(x []float32) {
	n, p := rq.pdim, rq.pow
	for r := rabitqRounds - 1; r >= 0; r-- {
		if n != p {
			kac(x)
		}
		rq.transform(x, r)
		for i, s := range rq.signs[r*n : (r+1)*n] {
			x[i] *= s
		}
	}
}

// transform applies the normalised Walsh–Hadamard transform to round r's
// block: the first pow values for even rounds, the last for odd ones.
func (rq *RaBitQ) transform(x []float32, r int) {
	blk := x[:rq.pow]
	if r%2 == 1 {
		blk = x[rq.pdim-rq.pow:]
	}
	fwht(blk)
	inv := float32(1 / math.Sqrt(float64(rq.pow)))
	for i := range blk {
		blk[i] *= inv
	}
}

// kac mixes the two halves of x: (a, b) -> ((a+b)/√2, (a-b)/√2).
func kac(x []float32) {
	h := len(x) / 2
	const s = 1 / math.Sqrt2
	lo, hi := x[:h], x[h:2*h]
	for i, a := range lo {
		b := hi[i]
		lo[i], hi[i] = (a+b)*s, (a-b)*s
	}
}

// Encode implements Codec; scratch is not needed.
func (rq *RaBitQ) Encode(dst []byte, v, scratch []float32) []byte {
	if len(v) != rq.dim {
		panic(errors.AssertionFailedf("quant: RaBitQ.Encode: len(v) = %d, want %d", len(v), rq.dim))
	}
	b := rq.buf()
	defer rq.bufs.Put(b)
	x := *b
	rq.load(x, v)
	start := len(dst)
	dst = append(dst, make([]byte, rq.CodeSize())...)
	rq.encodeRotated(dst[start:], x)
	return dst
}

// encodeRotated writes the code of the rotated residual x into code,
// which is zero.
func (rq *RaBitQ) encodeRotated(code []byte, x []float32) {
	n := rq.pdim
	var norm2, l1 float64
	for i, v := range x {
		norm2 += float64(v) * float64(v)
		l1 += math.Abs(float64(v))
		if v >= 0 {
			code[i/8] |= 1 << (i % 8)
		}
	}
	var k1, e1 float64
	if l1 > 0 {
		k1 = norm2 / l1
		norm := math.Sqrt(norm2)
		alpha := min(l1/(math.Sqrt(float64(n))*norm), 1)
		e1 = norm * math.Sqrt(1-alpha*alpha) / (alpha * math.Sqrt(float64(n-1)))
	}
	fac := code[n/8:]
	putF32(fac[0:], norm2)
	putF32(fac[4:], k1)
	putF32(fac[8:], e1)
	if rq.bits == 1 {
		return
	}
	ydot, ynorm2 := rq.exCode(x, code[n/8+4*rq.nfac:], rq.exBytes != n)
	var kb, eb float64
	if ydot > 0 {
		kb = norm2 / ydot
		// The B-bit estimate's bound has the 1-bit one's form, with
		// α = cos(ȳ, r').
		norm := math.Sqrt(norm2)
		alpha := min(ydot/(math.Sqrt(ynorm2)*norm), 1)
		eb = norm * math.Sqrt(1-alpha*alpha) / (alpha * math.Sqrt(float64(n-1)))
	}
	putF32(fac[12:], kb)
	putF32(fac[16:], eb)
}

func putF32(b []byte, x float64) { binary.LittleEndian.PutUint32(b, math.Float32bits(float32(x))) }

func getF32(b []byte, i int) float32 {
	return math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
}

// exCode writes the B-bit code of the rotated residual x into u, which is
// zero, one value per byte or, with nibbles, two per byte (even
// dimensions in the low nibble), and returns <ȳ, x> and ||ȳ||². Level l of |x_i| at scale t is
// min(floor(|x_i| t), 2^(B-1) - 1), ȳ_i = ±(l + 0.5) with x_i's sign, and
// u_i = 2^(B-1) + l or 2^(B-1) - 1 - l. The scale maximises the cosine of
// ȳ and x: a geometric grid around the scale at which the largest
// coordinate reaches the top level, then a finer one around the best.
func (rq *RaBitQ) exCode(x []float32, u []byte, nibbles bool) (ydot, ynorm2 float64) {
	half := 1 << (rq.bits - 1)
	var absmax float32
	for _, v := range x {
		absmax = max(absmax, abs32(v))
	}
	if absmax == 0 {
		for i := range x {
			rq.putEx(u, i, byte(half), nibbles)
		}
		return 0, 0
	}
	top := float32(half - 1)
	cosAt := func(t float32) float64 {
		// Four independent sums (len(x) is a multiple of 64) keep the
		// additions from waiting on one another. a*t >= 0, so
		// truncation is floor.
		var d0, d1, d2, d3, n0, n1, n2, n3 float32
		for i := 0; i < len(x); i += 4 {
			xs := (*[4]float32)(x[i:])
			a0, a1, a2, a3 := abs32(xs[0]), abs32(xs[1]), abs32(xs[2]), abs32(xs[3])
			y0 := float32(int32(min(a0*t, top))) + 0.5
			y1 := float32(int32(min(a1*t, top))) + 0.5
			y2 := float32(int32(min(a2*t, top))) + 0.5
			y3 := float32(int32(min(a3*t, top))) + 0.5
			d0, d1, d2, d3 = d0+a0*y0, d1+a1*y1, d2+a2*y2, d3+a3*y3
			n0, n1, n2, n3 = n0+y0*y0, n1+y1*y1, n2+y2*y2, n3+y3*y3
		}
		return float64((d0+d1)+(d2+d3)) / math.Sqrt(float64((n0+n1)+(n2+n3)))
	}
	t0 := float64(half) / float64(absmax)
	const coarse, lo, hi = 10, 0.2, 1.4
	ratio := math.Pow(hi/lo, 1.0/(coarse-1))
	bestS, bestC := lo, -1.0
	for i, s := 0, lo; i < coarse; i, s = i+1, s*ratio {
		if c := cosAt(float32(s * t0)); c > bestC {
			bestS, bestC = s, c
		}
	}
	const fine = 8
	a, b := bestS/ratio, bestS*ratio
	for i := range fine {
		s := a + (b-a)*float64(i)/(fine-1)
		if c := cosAt(float32(s * t0)); c > bestC {
			bestS, bestC = s, c
		}
	}
	t := float32(bestS * t0)
	for i, v := range x {
		l := float32(int32(min(abs32(v)*t, top)))
		y := float64(l + 0.5)
		ynorm2 += y * y
		if v >= 0 {
			rq.putEx(u, i, byte(half+int(l)), nibbles)
			ydot += y * float64(v)
		} else {
			rq.putEx(u, i, byte(half-1-int(l)), nibbles)
			ydot -= y * float64(v)
		}
	}
	return ydot, ynorm2
}

// putEx stores dimension i's value v into u, which is zero there.
func (rq *RaBitQ) putEx(u []byte, i int, v byte, nibbles bool) {
	if nibbles {
		u[i/2] |= v << (4 * (i % 2))
	} else {
		u[i] = v
	}
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// exValue returns dimension i's B-bit value of a code's ex part.
func (rq *RaBitQ) exValue(ex []byte, i int) byte {
	if rq.exBytes == rq.pdim {
		return ex[i]
	}
	return ex[i/2] >> (4 * (i % 2)) & 15
}

// Decode implements Codec: the vector whose inner products the code's
// estimator gives, k1 (2b - 1) or kB ȳ, rotated back.
func (rq *RaBitQ) Decode(dst []float32, code []byte) []float32 {
	if len(code) != rq.CodeSize() {
		panic(errors.AssertionFailedf("quant: RaBitQ.Decode: len(code) = %d, want %d", len(code), rq.CodeSize()))
	}
	n := rq.pdim
	x := make([]float32, n)
	fac := code[n/8:]
	if rq.bits == 1 {
		k1 := getF32(fac, 1)
		for i := range x {
			x[i] = -k1
			if code[i/8]>>(i%8)&1 != 0 {
				x[i] = k1
			}
		}
	} else {
		kb, c := getF32(fac, 3), float32(int(1)<<rq.bits-1)/2
		ex := code[n/8+4*rq.nfac:]
		for i := range x {
			x[i] = kb * (float32(rq.exValue(ex, i)) - c)
		}
	}
	rq.unrotate(x)
	return append(dst, x[:rq.dim]...)
}

// Terms implements Codec: RaBitQ has none. An L2 list is scored against
// the query's residual, rotated once per query and shifted per list by
// the rotated centroid (see ListTable).
func (rq *RaBitQ) Terms(c []float32, codes []byte, dst []float32) []float32 { return dst }

// groups is the number of 4-dimension groups (nibbles) of a 1-bit code.
func (rq *RaBitQ) groups() int { return rq.pdim / 4 }

// bitTable sets t (16 x pdim/4 values) so that entry 16g+p is the sum of
// x's coordinates 4g+j over the bits j of p.
func bitTable(x, t []float32) {
	for g := range len(x) / 4 {
		xs := (*[4]float32)(x[4*g:])
		tg := (*[16]float32)(t[16*g:])
		tg[0] = 0
		for p := 1; p < 16; p++ {
			tg[p] = tg[p&(p-1)] + xs[bits.TrailingZeros(uint(p))]
		}
	}
}

// ListTable implements ListL2Codec: the negated bit table of the rotated
// centroid c' (16 x D'/4 values), then -c' (D' values). A list's table
// is the query's minus the centroid's, and its query x' = q' - c'.
func (rq *RaBitQ) ListTable(c []float32, dst []float32) []float32 {
	n := rq.pdim
	start := len(dst)
	dst = append(dst, make([]float32, 4*n+n)...)
	t := dst[start:]
	x := t[4*n:]
	rq.load(x, c)
	bitTable(x, t[:4*n])
	for i := range t {
		t[i] = -t[i]
	}
	return dst
}

// Pack implements BlockCodec. A block of 32 codes is their sign bits in
// the fast-scan layout (D'/8 x 32 bytes), then each factor for the 32
// codes (float32s), then their B-bit codes one after another: 32 x
// CodeSize bytes in all, padded with zero codes.
func (rq *RaBitQ) Pack(dst, codes []byte) []byte {
	cs := rq.CodeSize()
	n := len(codes) / cs
	sb, m := rq.pdim/8, rq.groups()
	nib := make([]byte, FastScanBlock*m)
	zeros := make([]byte, max(4, rq.exBytes)) // a padding code's factor or B-bit code
	for b := 0; b < n; b += FastScanBlock {
		nb := min(FastScanBlock, n-b)
		for i := range nb {
			code := codes[(b+i)*cs:]
			for g := range m {
				nib[i*m+g] = code[g/2] >> (4 * (g % 2)) & 15
			}
		}
		dst = PackFastScan(dst, nib[:nb*m], nb, m)
		for f := range rq.nfac {
			for i := range FastScanBlock {
				v := zeros[:4]
				if i < nb {
					v = codes[(b+i)*cs+sb+4*f : (b+i)*cs+sb+4*f+4]
				}
				dst = append(dst, v...)
			}
		}
		for i := range FastScanBlock {
			if i < nb {
				dst = append(dst, codes[(b+i)*cs+sb+4*rq.nfac:(b+i+1)*cs]...)
			} else {
				dst = append(dst, zeros[:rq.exBytes]...)
			}
		}
	}
	return dst
}

// Unpack implements BlockCodec.
func (rq *RaBitQ) Unpack(dst, packed []byte, n int) ([]byte, error) {
	if n < 0 || len(packed) < rq.PackedSize(n) {
		return nil, errors.Newf("quant: RaBitQ: %d bytes of packed codes, %d codes need %d", len(packed), n, rq.PackedSize(n))
	}
	cs := rq.CodeSize()
	sb, m := rq.pdim/8, rq.groups()
	bb, fsb := FastScanBlock*cs, FastScanBlock*sb
	for b := 0; b < n; b += FastScanBlock {
		nb := min(FastScanBlock, n-b)
		block := packed[b/FastScanBlock*bb:][:bb]
		nib, err := UnpackFastScan(nil, block[:fsb], nb, m)
		if err != nil {
			return nil, err
		}
		start := len(dst)
		dst = append(dst, make([]byte, nb*cs)...)
		for i := range nb {
			code := dst[start+i*cs : start+(i+1)*cs]
			for g := range m {
				code[g/2] |= nib[i*m+g] << (4 * (g % 2))
			}
			for f := range rq.nfac {
				copy(code[sb+4*f:], block[fsb+(f*FastScanBlock+i)*4:][:4])
			}
			copy(code[sb+4*rq.nfac:], block[fsb+rq.nfac*FastScanBlock*4+i*rq.exBytes:][:rq.exBytes])
		}
	}
	return dst, nil
}

// NewEstimator implements Codec.
func (rq *RaBitQ) NewEstimator() Estimator {
	n := rq.pdim
	e := &rabitqEstimator{rq: rq, qrot: make([]float32, n), qtab: make([]float32, 4*n), x: make([]float32, n),
		ft: make([]float32, 4*n), lut: make([]byte, n/8*32), qi: make([]int16, n)}
	if rq.groups() > maxPQ4M {
		e.mins = make([]float32, rq.groups())
	}
	return e
}

// rabitqEstimator scores codes against one rotated vector x' (the query,
// or for an L2 list the query's residual), estimating
// bias + addc ||r||² + scale <r, x>.
type rabitqEstimator struct {
	rq         *RaBitQ
	qrot, qtab []float32 // SetQueryL2's rotated query and its bit table
	x          []float32 // the rotated vector scored against
	ft         []float32 // x's bit table (float)
	lut        []byte    // ft quantised: base + delta x entry
	mins       []float32 // levelsTable's working memory, above 256 nibbles
	base       float32
	delta      float32
	lutErr     float32 // bound on the rounding error of a code's table sum
	sum, norm  float32 // Σx', ||x'||
	scale      float32
	addc       float32
	qi         []int16 // x' quantised for B-bit codes: x' ≈ qscale qi
	qscale     float32
	qsum       float32 // qscale Σqi
	sums       [FastScanBlock]uint16
	est        [FastScanBlock]float32 // a block's 1-bit estimates
}

// SetDot implements Estimator.
func (e *rabitqEstimator) SetDot(x []float32, scale float32) {
	e.rq.load(e.x, x)
	bitTable(e.x, e.ft)
	e.table(e.ft, nil)
	e.setX(scale, 0)
}

// SetL2 implements Estimator.
func (e *rabitqEstimator) SetL2(x []float32) {
	e.rq.load(e.x, x)
	bitTable(e.x, e.ft)
	e.table(e.ft, nil)
	e.setX(-2, 1)
}

// SetQueryL2 implements ListL2Estimator.
func (e *rabitqEstimator) SetQueryL2(q []float32) {
	e.rq.load(e.qrot, q)
	bitTable(e.qrot, e.qtab)
}

// SetListL2 implements ListL2Estimator.
func (e *rabitqEstimator) SetListL2(listTable []float32) {
	n := e.rq.pdim
	e.table(e.qtab, listTable[:4*n])
	negc := listTable[4*n : 5*n]
	for i, q := range e.qrot {
		e.x[i] = q + negc[i]
	}
	e.setX(-2, 1)
}

// setX finishes setting x.
func (e *rabitqEstimator) setX(scale, addc float32) {
	// Four lanes of sums (len(x) is a multiple of 64) and the largest
	// magnitude, in one pass.
	// The magnitudes' bits order as the magnitudes do (for finite
	// values), and an integer max has no NaN case to branch on.
	var s, n2 [4]float32
	var mb uint32
	for i := 0; i < len(e.x); i += 4 {
		xs := (*[4]float32)(e.x[i:])
		for j, v := range xs {
			s[j] += v
			n2[j] += v * v
			mb = max(mb, math.Float32bits(v)&^(1<<31))
		}
	}
	m := math.Float32frombits(mb)
	e.sum, e.norm = (s[0]+s[1])+(s[2]+s[3]), float32(math.Sqrt(float64((n2[0]+n2[1])+(n2[2]+n2[3]))))
	e.scale, e.addc = scale, addc
	// Each of the D'/4 table entries is rounded by at most delta/2,
	// uniformly: three standard deviations of their sum.
	e.lutErr = 3 * e.delta * float32(math.Sqrt(float64(e.rq.groups())/12))
	if e.rq.bits > 1 {
		e.quantiseX(m)
	}
}

// table sets ft to a + b (a when b is nil), 16 values per nibble, and lut,
// base and delta to its quantisation (see pq4Table).
func (e *rabitqEstimator) table(a, b []float32) {
	m := e.rq.groups()
	if m <= maxPQ4M {
		e.base, e.delta = pq4Table(a, b, m, e.ft, e.lut)
		return
	}
	e.base, e.delta = levelsTable(a, b, m, float32(65535/m), e.ft, e.lut, e.mins)
}

// fastScan sets e.sums to the table sums of a block's sign bits: the
// kernel takes at most 128 pairs of nibbles at a time.
func (e *rabitqEstimator) fastScan(signs []byte, pairs int) {
	if pairs <= fastScanMaxPairs {
		FastScanBlocks(e.lut, signs, pairs, e.sums[:])
		return
	}
	var part [FastScanBlock]uint16
	clear(e.sums[:])
	for p := 0; p < pairs; p += fastScanMaxPairs {
		q := min(p+fastScanMaxPairs, pairs)
		FastScanBlocks(e.lut[32*p:32*q], signs[32*p:32*q], q-p, part[:])
		for i, s := range part {
			e.sums[i] += s
		}
	}
}

// quantiseX sets qi and qscale from x: qmax levels each side, 4095, or
// fewer above 2,048 dimensions so that dotU8I16's int32 sum of D' products
// of at most 255 x qmax cannot overflow.
func (e *rabitqEstimator) quantiseX(m float32) {
	qmax := float32(min(4095, math.MaxInt32/(255*e.rq.pdim)))
	e.qscale = m / qmax
	inv := float32(0)
	if m > 0 {
		inv = qmax / m
	}
	var s int32
	for i, v := range e.x {
		// Rounded to nearest, ties to even, without a branch on the sign
		// (mispredicted half the time): adding and subtracting 1.5 x 2^23
		// leaves an integer, exact for |v x inv| <= qmax < 2^22.
		const magic = 1.5 * (1 << 23)
		q := int16(int32(float32(float32(v*inv)+magic) - magic))
		e.qi[i] = q
		s += int32(q)
	}
	e.qsum = e.qscale * float32(s)
}

// exDot returns ≈ <u, x'> for a B-bit code's ex part.
func (e *rabitqEstimator) exDot(ex []byte) float32 {
	if e.rq.exBytes == e.rq.pdim {
		return e.qscale * float32(dotU8I16(ex, e.qi))
	}
	return e.qscale * float32(dotU4I16(ex, e.qi))
}

// Scan implements Estimator over codes one after another, with exact
// 1-bit sums (no table rounding).
func (e *rabitqEstimator) Scan(codes []byte, bias float32, dst []float32) {
	rq := e.rq
	cs, n := rq.CodeSize(), rq.pdim
	c := float32(int(1)<<rq.bits-1) / 2
	for i := range dst {
		code := codes[i*cs : (i+1)*cs]
		fac := code[n/8:]
		d := bias + e.addc*getF32(fac, 0)
		if rq.bits == 1 {
			var bdot float32
			for j, v := range e.x {
				if code[j/8]>>(j%8)&1 != 0 {
					bdot += v
				}
			}
			d += e.scale * getF32(fac, 1) * (2*bdot - e.sum)
		} else {
			d += e.scale * getF32(fac, 3) * (e.exDot(code[n/8+4*rq.nfac:]) - c*e.qsum)
		}
		dst[i] = d
	}
}

// ScanBlocks implements BlockEstimator: every code's best estimate.
func (e *rabitqEstimator) ScanBlocks(packed []byte, bias float32, dst []float32) {
	e.ScanBlocksBounded(packed, bias, float32(math.Inf(1)), nil, dst, nil)
}

// ScanBlocksBounded implements BoundedEstimator: each block's 1-bit
// estimates come from the fast scan; a B-bit code is scored only when
// its 1-bit estimate's lower bound (the error bound plus the tables'
// rounding) is at most worst and keep (when not nil) holds it, and gets
// +Inf otherwise.
func (e *rabitqEstimator) ScanBlocksBounded(packed []byte, bias, worst float32, keep []uint32, dst, errs []float32) {
	rq := e.rq
	cs, sb := rq.CodeSize(), rq.pdim/8
	bb, fsb, pairs := FastScanBlock*cs, FastScanBlock*sb, sb
	c := float32(int(1)<<rq.bits-1) / 2
	// A code's 1-bit estimate is bias + addc·add + scale·k1·(2<b, x'> - Σx'),
	// with <b, x'> ≈ base + delta·sum: c0 + c1·sum inside the parentheses.
	// rabitqBlock computes it and its lower bound for a whole block.
	p := rabitqBlockParams{
		bias: bias, addc: e.addc, s: e.scale, c0: 2*e.base - e.sum, c1: 2 * e.delta,
		errX: rabitqPruneEps * e.norm * abs32(e.scale), errT: 2 * e.lutErr * abs32(e.scale),
		worst: worst,
	}
	cex := c * e.qsum
	// The 12-bit query adds Σ ȳ_i δ_i, δ_i uniform within half a step (Σx'
	// is taken from the rounded query, so the offset of u cancels): three
	// standard deviations, ||ȳ|| at most 2^(B-1) √D'.
	qerr := 3 * abs32(e.scale) * e.qscale * float32(int(1)<<(rq.bits-1)) * float32(math.Sqrt(float64(rq.pdim)/12))
	inf := float32(math.Inf(1))
	for b := 0; len(dst) > 0; b++ {
		block := packed[b*bb : (b+1)*bb]
		e.fastScan(block[:fsb], pairs)
		nb := min(FastScanBlock, len(dst))
		fac := f32s(block[fsb : fsb+4*rq.nfac*FastScanBlock])
		adds := (*[FastScanBlock]float32)(fac[:FastScanBlock])
		k1s := (*[FastScanBlock]float32)(fac[FastScanBlock : 2*FastScanBlock])
		e1s := (*[FastScanBlock]float32)(fac[2*FastScanBlock : 3*FastScanBlock])
		mask := rabitqBlock(&e.sums, adds, k1s, e1s, &p, &e.est)
		out := dst[:nb]
		if rq.bits == 1 {
			copy(out, e.est[:nb])
			if errs != nil {
				for i := range out {
					errs[i] = p.errX*e1s[i] + p.errT*abs32(k1s[i])
				}
				errs = errs[nb:]
			}
			dst = dst[nb:]
			continue
		}
		kbs, ebs := fac[3*FastScanBlock:4*FastScanBlock], fac[4*FastScanBlock:5*FastScanBlock]
		ex := block[fsb+4*rq.nfac*FastScanBlock:]
		for i := range out {
			out[i] = inf
		}
		// Only the codes whose lower bound is at most worst, padding
		// codes past nb and codes keep leaves out aside, are scored with
		// their B-bit codes.
		m := mask & (uint32(1)<<nb - 1)
		if keep != nil {
			m &= keep[b]
		}
		for ; m != 0; m &= m - 1 {
			i := bits.TrailingZeros32(m)
			base := bias + e.addc*adds[i]
			out[i] = base + e.scale*kbs[i]*(e.exDot(ex[i*rq.exBytes:(i+1)*rq.exBytes])-cex)
		}
		if errs != nil {
			for i := range out {
				errs[i] = p.errX*ebs[i] + qerr*abs32(kbs[i])
			}
			errs = errs[nb:]
		}
		dst = dst[nb:]
	}
}

// f32s views b, whose length is a multiple of 4, as float32s (little
// endian, as every platform vecdb builds for is). Blocks are 4-byte
// aligned wherever they live: in a vector file's aligned sections or in
// slices Go allocated.
func f32s(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}

// Stored RaBitQ:
//
//	+---------+---------+---------+--------------------------------+
//	| version | dim u32 | bits u8 | rotation signs 4 x D'/8 bytes  |
//	+---------+---------+---------+--------------------------------+
const rabitqVersion byte = 1

// AppendBinary implements Codec.
func (rq *RaBitQ) AppendBinary(dst []byte) ([]byte, error) {
	dst = append(dst, rabitqVersion)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(rq.dim))
	dst = append(dst, byte(rq.bits))
	return append(dst, rq.signBits...), nil
}

// DecodeRaBitQ decodes a RaBitQ's AppendBinary encoding, checking every
// length before allocating.
func DecodeRaBitQ(b []byte) (*RaBitQ, error) {
	if len(b) < 6 || b[0] != rabitqVersion {
		return nil, errors.New("quant: bad RaBitQ header")
	}
	dim, nbits := binary.LittleEndian.Uint32(b[1:]), int(b[5])
	if dim < 1 || dim > MaxRaBitQDim || nbits < 1 || nbits > 8 {
		return nil, errors.Newf("quant: bad RaBitQ shape (dim %d, %d bits)", dim, nbits)
	}
	want := rabitqRounds * rabitqPadded(int(dim)) / 8
	if len(b)-6 != want {
		return nil, errors.Newf("quant: RaBitQ of %d rotation bytes, want %d", len(b)-6, want)
	}
	return newRaBitQ(int(dim), nbits, append([]byte(nil), b[6:]...)), nil
}

// DefaultRaBitQBits is the bits per dimension of a RaBitQ codec unless
// told otherwise.
const DefaultRaBitQBits = 4
