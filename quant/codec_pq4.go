package quant

import (
	"context"
	"encoding/binary"
	"math"

	"github.com/cockroachdb/errors"
)

// PQ4 is 4-bit product quantisation laid out for fast scanning: M
// sub-quantisers of 16 centroids each, so a sub-quantiser's distance table
// has 16 entries and, quantised to 8 bits, fits in half a SIMD register.
// A list's codes are stored in blocks of 32 (see [PackFastScan]) and
// scored a block at a time with byte shuffles (VPSHUFB on AVX2), about ten
// times as fast per code byte as 8-bit PQ's table gathers; the estimates
// are coarser (16 centroids per sub-vector, tables rounded to 8 bits), so
// the search re-ranks more of them.
//
// A code is (M+1)/2 bytes: sub-quantiser 2j in the low nibble of byte j,
// 2j+1 in the high one. A PQ4 is immutable once built and goroutine-safe.
type PQ4 struct {
	dim, m int
	// codebooks holds m x 16 x (dim/m) values: centroid j of sub-quantiser
	// i starts at (i*16+j)*(dim/m).
	codebooks []float32

	tabs []centroidTable
}

// PQ4Centroids is the number of centroids of each PQ4 sub-quantiser.
const PQ4Centroids = 16

// maxPQ4M bounds M: the fast-scan kernel sums M 8-bit table entries in 16
// bits.
const maxPQ4M = 256

var (
	_ Codec           = (*PQ4)(nil)
	_ ListL2Codec     = (*PQ4)(nil)
	_ ListL2Estimator = (*pq4Estimator)(nil)
)

// DefaultPQ4M returns the M a 4-bit PQ of dimension dim uses by default:
// sub-vectors of 2 values, or of the fewest values that keep M at most
// 256 (784 dimensions: 4 values, M = 196). Sub-vectors of 2 make a code
// dim/4 bytes, a quarter of the raw vector's float count.
func DefaultPQ4M(dim int) int {
	for dsub := 2; dsub <= dim; dsub++ {
		if dim%dsub == 0 && dim/dsub <= maxPQ4M {
			return dim / dsub
		}
	}
	return 1
}

// TrainPQ4 trains a 4-bit PQ on the n = len(data)/dim vectors of data:
// sub-quantiser m is [KMeans] with K = 16 on sub-vector m. It does not
// modify data and is goroutine-safe.
func TrainPQ4(ctx context.Context, data []float32, dim, m int, opts PQOptions) (*PQ4, error) {
	if err := checkPQShape(dim, m); err != nil {
		return nil, err
	}
	if m > maxPQ4M {
		return nil, errors.Newf("quant: PQ4: M = %d, at most %d", m, maxPQ4M)
	}
	if len(data)%dim != 0 || len(data)/dim < PQ4Centroids {
		return nil, errors.Newf("quant: PQ4: %d values of dimension %d, need at least %d vectors", len(data), dim, PQ4Centroids)
	}
	iters, threads := opts.filled()
	dsub := dim / m
	pq := &PQ4{dim: dim, m: m, codebooks: make([]float32, m*PQ4Centroids*dsub)}
	if err := trainCodebooks(ctx, data, dim, m, PQ4Centroids, iters, opts.Seed, threads, 1, pq.codebooks); err != nil {
		return nil, errors.Wrap(err, "training PQ4")
	}
	pq.buildTables()
	return pq, nil
}

func (pq *PQ4) buildTables() {
	dsub := pq.dim / pq.m
	pq.tabs = make([]centroidTable, pq.m)
	for m := range pq.tabs {
		pq.tabs[m].reset(pq.codebook(m), dsub)
	}
}

func (pq *PQ4) codebook(m int) []float32 {
	size := PQ4Centroids * (pq.dim / pq.m)
	return pq.codebooks[m*size : (m+1)*size]
}

// Kind implements Codec.
func (pq *PQ4) Kind() CodecKind { return KindPQ4FS }

// Dim implements Codec.
func (pq *PQ4) Dim() int { return pq.dim }

// CodeSize implements Codec.
func (pq *PQ4) CodeSize() int { return (pq.m + 1) / 2 }

// M returns the number of sub-quantisers.
func (pq *PQ4) M() int { return pq.m }

// BlockSize implements BlockCodec.
func (pq *PQ4) BlockSize() int { return FastScanBlock }

// Encode implements Codec; scratch is not needed.
func (pq *PQ4) Encode(dst []byte, v, scratch []float32) []byte {
	if len(v) != pq.dim {
		panic(errors.AssertionFailedf("quant: PQ4.Encode: len(v) = %d, want %d", len(v), pq.dim))
	}
	dsub := pq.dim / pq.m
	var a [1]int32
	start := len(dst)
	dst = append(dst, make([]byte, pq.CodeSize())...)
	code := dst[start:]
	for m := range pq.tabs {
		nearestRows(&pq.tabs[m], v[m*dsub:(m+1)*dsub], dsub, a[:])
		code[m/2] |= byte(a[0]) << (4 * (m % 2))
	}
	return dst
}

// Decode implements Codec.
func (pq *PQ4) Decode(dst []float32, code []byte) []float32 {
	if len(code) != pq.CodeSize() {
		panic(errors.AssertionFailedf("quant: PQ4.Decode: len(code) = %d, want %d", len(code), pq.CodeSize()))
	}
	dsub := pq.dim / pq.m
	for m := range pq.m {
		c := int(code[m/2]>>(4*(m%2))) & 15
		dst = append(dst, pq.codebook(m)[c*dsub:(c+1)*dsub]...)
	}
	return dst
}

// Terms implements Codec: PQ4 has none. A list's L2 table costs 16 x Dim
// multiply-adds, so a search builds one per probed list from the query's
// residual, which is exact where terms would add a float per code to
// every fast-scanned block.
func (pq *PQ4) Terms(c []float32, codes []byte, dst []float32) []float32 { return dst }

// nibbles expands n codes to one byte per sub-quantiser.
func (pq *PQ4) nibbles(codes []byte, n int) []byte {
	cs := pq.CodeSize()
	out := make([]byte, n*pq.m)
	for i := range n {
		for m := range pq.m {
			out[i*pq.m+m] = codes[i*cs+m/2] >> (4 * (m % 2)) & 15
		}
	}
	return out
}

// Pack implements BlockCodec.
func (pq *PQ4) Pack(dst, codes []byte) []byte {
	n := len(codes) / pq.CodeSize()
	return PackFastScan(dst, pq.nibbles(codes, n), n, pq.m)
}

// Unpack implements BlockCodec.
func (pq *PQ4) Unpack(dst, packed []byte, n int) ([]byte, error) {
	nib, err := UnpackFastScan(nil, packed, n, pq.m)
	if err != nil {
		return nil, err
	}
	cs := pq.CodeSize()
	start := len(dst)
	dst = append(dst, make([]byte, n*cs)...)
	out := dst[start:]
	for i := range n {
		for m := range pq.m {
			out[i*cs+m/2] |= nib[i*pq.m+m] << (4 * (m % 2))
		}
	}
	return dst, nil
}

// PackedSize implements BlockCodec.
func (pq *PQ4) PackedSize(n int) int {
	return (n + FastScanBlock - 1) / FastScanBlock * FastScanBlock * pq.CodeSize()
}

// ListTable implements ListL2Codec: entry (m, j) is
// 2<c_m, p_mj> + ||p_mj||² for centroid j of sub-quantiser m.
func (pq *PQ4) ListTable(c []float32, dst []float32) []float32 {
	dsub := pq.dim / pq.m
	start := len(dst)
	dst = append(dst, make([]float32, pq.m*PQ4Centroids)...)
	t := dst[start:]
	for m := range pq.m {
		cm := c[m*dsub : (m+1)*dsub]
		cb := pq.codebook(m)
		for j := range PQ4Centroids {
			p := cb[j*dsub : (j+1)*dsub]
			var s float32
			for i, x := range p {
				s += x * (2*cm[i] + x)
			}
			t[m*PQ4Centroids+j] = s
		}
	}
	return dst
}

// NewEstimator implements Codec.
func (pq *PQ4) NewEstimator() Estimator {
	pairs := pq.CodeSize()
	return &pq4Estimator{pq: pq, ft: make([]float32, 2*pairs*PQ4Centroids), qdot: make([]float32, 2*pairs*PQ4Centroids), lut: make([]byte, pairs*32), sums: make([]uint16, scanBlocksMax*FastScanBlock)}
}

// scanBlocksMax is the most blocks one ScanBlocks call scores at once.
const scanBlocksMax = 16

// pq4Estimator holds a query's float tables and their 8-bit quantisation:
// entry j of sub-quantiser m is stored as round((t - min_m) / delta), one
// delta for every sub-quantiser, so a code's estimate is base + delta x
// (the sum of its entries), base the sum of the minima.
type pq4Estimator struct {
	pq          *PQ4
	ft          []float32
	qdot        []float32 // -2<q_m, p_mj>, for SetListL2
	lut         []byte
	base, delta float32
	sums        []uint16
}

func (e *pq4Estimator) SetDot(x []float32, scale float32) {
	dsub := e.pq.dim / e.pq.m
	for m := range e.pq.m {
		DotBatch(x[m*dsub:(m+1)*dsub], e.pq.codebook(m), e.ft[m*PQ4Centroids:(m+1)*PQ4Centroids])
		if scale != 1 {
			for j := m * PQ4Centroids; j < (m+1)*PQ4Centroids; j++ {
				e.ft[j] *= scale
			}
		}
	}
	e.quantise()
}

func (e *pq4Estimator) SetQueryL2(q []float32) {
	dsub := e.pq.dim / e.pq.m
	for m := range e.pq.m {
		t := e.qdot[m*PQ4Centroids : (m+1)*PQ4Centroids]
		DotBatch(q[m*dsub:(m+1)*dsub], e.pq.codebook(m), t)
		for j := range t {
			t[j] *= -2
		}
	}
}

func (e *pq4Estimator) SetListL2(listTable []float32) {
	e.base, e.delta = pq4Table(e.qdot, listTable, e.pq.m, e.ft, e.lut)
}

func (e *pq4Estimator) SetL2(x []float32) {
	dsub := e.pq.dim / e.pq.m
	for m := range e.pq.m {
		L2SquaredBatch(x[m*dsub:(m+1)*dsub], e.pq.codebook(m), e.ft[m*PQ4Centroids:(m+1)*PQ4Centroids])
	}
	e.quantise()
}

// quantise fills lut from ft (see pq4Table).
func (e *pq4Estimator) quantise() {
	e.base, e.delta = pq4Table(e.ft, nil, e.pq.m, e.ft, e.lut)
}

// Scan implements Estimator over codes laid out one after another, with
// the float tables (no rounding).
func (e *pq4Estimator) Scan(codes []byte, bias float32, dst []float32) {
	cs := e.pq.CodeSize()
	for i := range dst {
		code := codes[i*cs : (i+1)*cs]
		s := bias
		for m := range e.pq.m {
			s += e.ft[m*PQ4Centroids+int(code[m/2]>>(4*(m%2))&15)]
		}
		dst[i] = s
	}
}

// ScanBlocks implements BlockEstimator with the 8-bit tables.
func (e *pq4Estimator) ScanBlocks(packed []byte, bias float32, dst []float32) {
	bb := e.pq.CodeSize() * FastScanBlock
	bias += e.base
	for len(dst) > 0 {
		nb := min((len(dst)+FastScanBlock-1)/FastScanBlock, scanBlocksMax)
		sums := e.sums[:nb*FastScanBlock]
		FastScanBlocks(e.lut, packed[:nb*bb], e.pq.CodeSize(), sums)
		n := min(len(dst), len(sums))
		for i, s := range sums[:n] {
			dst[i] = bias + e.delta*float32(s)
		}
		dst, packed = dst[n:], packed[nb*bb:]
	}
}

// Stored PQ4:
//
//	+---------+---------+-------+----------------------------------+
//	| version | dim u32 | M u32 | codebooks M x 16 x dim/M float32 |
//	+---------+---------+-------+----------------------------------+
const pq4Version byte = 1

// AppendBinary implements Codec.
func (pq *PQ4) AppendBinary(dst []byte) ([]byte, error) {
	dst = append(dst, pq4Version)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(pq.dim))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(pq.m))
	for _, x := range pq.codebooks {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(x))
	}
	return dst, nil
}

// DecodePQ4 decodes a PQ4's AppendBinary encoding, checking every length
// before allocating.
func DecodePQ4(b []byte) (*PQ4, error) {
	if len(b) < 9 || b[0] != pq4Version {
		return nil, errors.New("quant: bad PQ4 header")
	}
	dim, m := binary.LittleEndian.Uint32(b[1:]), binary.LittleEndian.Uint32(b[5:])
	if dim < 1 || dim > maxPQDim || m < 1 || m > maxPQ4M || dim%m != 0 {
		return nil, errors.Newf("quant: bad PQ4 shape (dim %d, M %d)", dim, m)
	}
	want := uint64(dim) * PQ4Centroids * 4
	if uint64(len(b)-9) != want {
		return nil, errors.Newf("quant: PQ4 of %d codebook bytes, want %d", len(b)-9, want)
	}
	pq := &PQ4{dim: int(dim), m: int(m), codebooks: make([]float32, dim*PQ4Centroids)}
	for i := range pq.codebooks {
		x := math.Float32frombits(binary.LittleEndian.Uint32(b[9+4*i:]))
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, errors.Newf("quant: PQ4 codebook value %d is %v", i, x)
		}
		pq.codebooks[i] = x
	}
	pq.buildTables()
	return pq, nil
}
