package quant

import (
	"slices"

	"github.com/cockroachdb/errors"
)

// Fast-scan PQ keeps 4-bit codes (16 centroids per sub-quantiser) so that a
// sub-quantiser's whole distance table, quantised to bytes, fits in one
// 128-bit lane and can be looked up with a byte shuffle instead of a memory
// load per code. The codes of 32 vectors are stored together as a block so
// that one shuffle scores 16 vectors (a lane) at once.
//
// The layout, shared by PackFastScan, FastScanBlocks and every kernel:
//
//   - lut: pairs groups of 32 bytes. Bytes [32p, 32p+16) hold the 16 table
//     entries of sub-quantiser 2p and bytes [32p+16, 32p+32) those of
//     sub-quantiser 2p+1, so that a 256-bit register holds the two tables
//     of a pair, one per lane, as VPSHUFB (which shuffles within 128-bit
//     lanes) needs.
//   - packed: nblocks blocks of pairs*32 bytes; pair p of block b is the 32
//     bytes at (b*pairs + p)*32. Their lane L (bytes [16L, 16L+16)) belongs
//     to sub-quantiser 2p+L, and its byte i holds the code of vector i in
//     its low nibble and that of vector i+16 in its high nibble.
//   - out: one uint16 per vector, nblocks*32 of them, in vector order.

// fastScanBlockSize is the number of vectors in a block of packed codes.
const fastScanBlockSize = 32

// fastScanMaxPairs bounds the pairs of sub-quantisers a scan may sum: with
// at most 2*128 terms of at most 255 each, a sum is at most 65280 and fits
// in a uint16, which the kernels rely on.
const fastScanMaxPairs = 128

// maxFastScanM bounds the sub-quantisers (nibbles) of a packed vector:
// RaBitQ's 1-bit codes of up to 4,096 dimensions take 1,024, scanned 256
// at a time.
const maxFastScanM = 1 << 14

// fastScanKernel is one implementation of FastScanBlocks after its checks.
type fastScanKernel struct {
	name string
	scan func(lut, packed []byte, pairs int, out []uint16)
}

// FastScanBlocks sets out[b*32+v], for each of the len(out)/32 blocks b and
// each vector v in [0, 32), to the sum over the 2*pairs sub-quantisers m of
// the table entry of m (in lut) picked by vector v's code for m (in packed).
// See the layout above. len(out) must be a multiple of 32, len(lut) must be
// pairs*32, len(packed) must be len(out)/32*pairs*32 and pairs must be
// between 1 and 128, so that no sum overflows.
func FastScanBlocks(lut, packed []byte, pairs int, out []uint16) {
	if pairs < 1 || pairs > fastScanMaxPairs || len(lut) != pairs*32 ||
		len(out)%fastScanBlockSize != 0 || len(packed) != len(out)/fastScanBlockSize*pairs*32 {
		panic(errors.AssertionFailedf("quant: FastScanBlocks: pairs = %d, len(lut) = %d, len(packed) = %d, len(out) = %d",
			pairs, len(lut), len(packed), len(out)))
	}
	fastScanBlocks(lut, packed, pairs, out)
}

// fastScanBlocks sets out[b*32+v], for each of the nblocks = len(out)/32
// blocks and v in [0, 32), to the sum over m in [0, 2*pairs) of
// lut[pairIdx(m)*32 + lane(m)*16 + code(b, v, m)], where code is the 4-bit
// code of vector v of block b for sub-quantiser m. The lengths have been
// checked by FastScanBlocks.
func fastScanBlocks(lut, packed []byte, pairs int, out []uint16) {
	if useAVX2FastScan {
		fastScanAVX2(lut, packed, pairs, out)
		return
	}
	fastScanGo(lut, packed, pairs, out)
}

// fastScanGo is the portable kernel. It sums a block in a local array, which
// the compiler keeps off the heap, and writes it out once.
func fastScanGo(lut, packed []byte, pairs int, out []uint16) {
	blockBytes := pairs * 32
	for b := 0; b < len(out)/fastScanBlockSize; b++ {
		var acc [fastScanBlockSize]uint16
		block := packed[b*blockBytes : (b+1)*blockBytes]
		for p := 0; p < pairs; p++ {
			for l := 0; l < 2; l++ {
				// Slicing to exactly 16 bytes lets the compiler drop the
				// bounds checks below.
				tab := (*[16]byte)(lut[p*32+l*16 : p*32+l*16+16])
				codes := (*[16]byte)(block[p*32+l*16 : p*32+l*16+16])
				for i, c := range codes {
					acc[i] += uint16(tab[c&0x0f])
					acc[i+16] += uint16(tab[c>>4])
				}
			}
		}
		copy(out[b*fastScanBlockSize:], acc[:])
	}
}

// fastScanPackedLen returns the bytes PackFastScan produces for n vectors of
// m codes, and the number of blocks and pairs they take.
func fastScanPackedLen(n, m int) (size, nblocks, pairs int) {
	nblocks = (n + fastScanBlockSize - 1) / fastScanBlockSize
	pairs = (m + 1) / 2
	return nblocks * pairs * 32, nblocks, pairs
}

// PackFastScan appends to dst the packed layout (see FastScanBlocks) of n
// vectors' codes. codes holds n*m 4-bit codes, one per byte, vector-major:
// codes[i*m+j] is vector i's code for sub-quantiser j. The result is padded
// to whole blocks of 32 vectors, whose padding vectors get code 0, and to an
// even number of sub-quantisers, pairs = (m+1)/2; a padding sub-quantiser
// gets code 0, so its lut entries must be 0 for the sums to be right.
//
// The codes come from our own encoders, so a wrong length or a code above
// 15 is a bug of the caller and panics with an assertion failure rather
// than being packed into something wrong.
func PackFastScan(dst []byte, codes []byte, n, m int) []byte {
	if n < 0 || m < 1 || len(codes)%m != 0 || len(codes)/m != n {
		panic(errors.AssertionFailedf("quant: PackFastScan: n = %d, m = %d, len(codes) = %d", n, m, len(codes)))
	}
	size, nblocks, pairs := fastScanPackedLen(n, m)
	start := len(dst)
	dst = slices.Grow(dst, size)[:start+size]
	out := dst[start:]
	clear(out)
	var seen byte
	for b := 0; b < nblocks; b++ {
		for p := 0; p < pairs; p++ {
			for l := 0; l < 2; l++ {
				j := 2*p + l
				if j >= m {
					// The padding sub-quantiser's codes stay 0.
					continue
				}
				group := out[(b*pairs+p)*32+l*16:][:16]
				for i := range group {
					var lo, hi byte
					if v := b*fastScanBlockSize + i; v < n {
						lo = codes[v*m+j]
					}
					if v := b*fastScanBlockSize + i + 16; v < n {
						hi = codes[v*m+j]
					}
					seen |= lo | hi
					group[i] = lo&0x0f | hi<<4
				}
			}
		}
	}
	if seen > 0x0f {
		panic(errors.AssertionFailedf("quant: PackFastScan: a code does not fit in 4 bits"))
	}
	return dst
}

// UnpackFastScan appends the n*m codes (one per byte, vector-major) of the
// first n vectors of packed, packed for m sub-quantisers, to dst: the
// inverse of PackFastScan. Packed codes may come from storage, so a packed
// slice shorter than n vectors need is an error rather than a panic.
func UnpackFastScan(dst []byte, packed []byte, n, m int) ([]byte, error) {
	// A packed vector takes at least one byte, and m is at most
	// maxFastScanM: checked first, nothing below can overflow.
	if n < 0 || m < 1 || m > maxFastScanM || n > len(packed) {
		return dst, errors.Newf("quant: UnpackFastScan: bad shape n = %d, m = %d for %d bytes", n, m, len(packed))
	}
	// Check the length by division so that a huge n or m cannot overflow.
	nblocks := (n + fastScanBlockSize - 1) / fastScanBlockSize
	pairs := (m + 1) / 2
	if nblocks > 0 && (pairs > len(packed)/32 || len(packed)/(pairs*32) < nblocks) {
		return dst, errors.Newf("quant: UnpackFastScan: %d bytes of packed codes, want %d blocks of %d bytes",
			len(packed), nblocks, pairs*32)
	}
	start := len(dst)
	dst = slices.Grow(dst, n*m)[:start+n*m]
	out := dst[start:]
	for v := 0; v < n; v++ {
		b, i := v/fastScanBlockSize, v%fastScanBlockSize
		shift := uint(0)
		if i >= 16 {
			i -= 16
			shift = 4
		}
		row := out[v*m : (v+1)*m]
		for j := range row {
			row[j] = packed[(b*pairs+j/2)*32+(j%2)*16+i] >> shift & 0x0f
		}
	}
	return dst, nil
}
