//go:build !purego

package quant

import "unsafe"

// pq4TableKernels lists every pq4Table kernel that can run on this machine,
// the portable one first, so that tests can compare them.
var pq4TableKernels = []pq4TableKernel{{"go", pq4TableGo}}

// useAVX2PQ4Table selects the kernel pq4Table uses. Both give the same ft,
// lut and delta; base, summed in another order, may differ in the last
// bits.
var useAVX2PQ4Table = hasAVX2FMA

func init() {
	if useAVX2PQ4Table {
		pq4TableKernels = append(pq4TableKernels, pq4TableKernel{"avx2", pq4TableAVX2})
	}
}

// pq4MinMaxAVX2 is the first pass of pq4Table for m >= 1 sub-quantisers:
// it writes ft (a + b, or a when b is nil) and minus each sub-quantiser's
// minimum to negMins[i] (which lets the second pass use ft as a memory
// operand), and returns the sum of the minima and the span. It handles 8
// sub-quantisers at a time, so that the shuffles that reduce 16 values to
// their minimum and maximum serve 8 of them at once; the sum is kept by
// lane, hence in another order than in Go. In pq4table_amd64.s.
//
//go:noescape
func pq4MinMaxAVX2(a, b *float32, m int, ft, negMins *float32) (base, span float32)

// pq4QuantiseAVX2 is the second pass of pq4Table: it writes the lut entries
// of the m >= 1 sub-quantisers from ft, negMins and inv = 1/delta, and, when
// m is odd, zeroes those of the padding sub-quantiser. In
// pq4table_amd64.s.
//
//go:noescape
func pq4QuantiseAVX2(ft, negMins *float32, m int, inv float32, lut *byte)

// pq4TableAVX2 runs the two assembly passes and computes delta in between,
// the same way as pq4TableGo. The lengths have been checked by pq4Table.
func pq4TableAVX2(a, b []float32, m int, ft []float32, lut []byte) (base, delta float32) {
	var negMins [maxPQ4M]float32
	base, span := pq4MinMaxAVX2(unsafe.SliceData(a), unsafe.SliceData(b), m, unsafe.SliceData(ft), &negMins[0])
	delta = pq4Delta(span)
	pq4QuantiseAVX2(unsafe.SliceData(ft), &negMins[0], m, 1/delta, unsafe.SliceData(lut))
	return base, delta
}
