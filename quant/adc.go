package quant

import (
	"unsafe"

	"github.com/cockroachdb/errors"
)

// Asymmetric distance computation (ADC): a query is compared with PQ codes
// without decoding them. For each query, a table holds the distance term
// between every query sub-vector and every centroid of its sub-quantiser;
// the distance to a code is then the sum of M table entries, one per code
// byte, which ADCScan computes for a whole list of codes.

// L2Table fills table with the squared Euclidean distances between the
// sub-vectors of q and the sub-quantisers' centroids: table[m*256+j] is
// ||q_m - c_mj||^2, so that the ADC distance of a code, the sum over m of
// table[m*256+code[m]], is the exact squared distance between q and the
// code's reconstruction (up to float rounding).
//
// len(q) must be Dim and len(table) M*256; otherwise L2Table panics with an
// assertion failure. It writes only table and is goroutine-safe.
func (pq *PQ) L2Table(q []float32, table []float32) {
	pq.checkTable("L2Table", q, table)
	dsub := pq.SubDim()
	if useAVX2Tables && len(pq.tabs) == pq.M {
		for m := range pq.tabs {
			tableAVX2(&pq.tabs[m], q[m*dsub:(m+1)*dsub], table[m*PQCentroids:(m+1)*PQCentroids], true)
		}
		return
	}
	for m := range pq.M {
		L2SquaredBatch(q[m*dsub:(m+1)*dsub], pq.codebook(m), table[m*PQCentroids:(m+1)*PQCentroids])
	}
}

// DotTable fills table with the inner products between the sub-vectors of
// q and the sub-quantisers' centroids: table[m*256+j] is <q_m, c_mj>, so
// that the sum over m of table[m*256+code[m]] is the inner product of q and
// the code's reconstruction. Negate the table (or use a negative bias and
// table) for the smaller-is-closer [Dot] distance.
//
// len(q) must be Dim and len(table) M*256; otherwise DotTable panics with
// an assertion failure. It writes only table and is goroutine-safe.
func (pq *PQ) DotTable(q []float32, table []float32) {
	pq.checkTable("DotTable", q, table)
	dsub := pq.SubDim()
	if useAVX2Tables && len(pq.tabs) == pq.M {
		for m := range pq.tabs {
			tableAVX2(&pq.tabs[m], q[m*dsub:(m+1)*dsub], table[m*PQCentroids:(m+1)*PQCentroids], false)
		}
		return
	}
	for m := range pq.M {
		DotBatch(q[m*dsub:(m+1)*dsub], pq.codebook(m), table[m*PQCentroids:(m+1)*PQCentroids])
	}
}

func (pq *PQ) checkTable(fn string, q, table []float32) {
	if len(q) != pq.Dim || len(table) != pq.M*PQCentroids || len(pq.Codebooks) != PQCentroids*pq.Dim || pq.M < 1 || pq.Dim%pq.M != 0 {
		panic(errors.AssertionFailedf("quant: PQ.%s: len(q) = %d, len(table) = %d, for Dim %d, M %d and %d codebook values",
			errors.Safe(fn), len(q), len(table), pq.Dim, pq.M, len(pq.Codebooks)))
	}
}

// ADCScan sets out[i] = bias + sum over m of table[m*256 + codes[i*M+m]]
// for each of the n = len(out) codes of M = len(codes)/n bytes in codes,
// where table is an M*256-entry table from [PQ.L2Table] or [PQ.DotTable]
// (or any table of that shape). It is the inner loop of an IVF search: it
// does not allocate, and it is goroutine-safe as long as out is not shared.
//
// len(codes) must be a multiple of len(out) and len(table) must be M*256;
// otherwise ADCScan panics with an assertion failure. With len(out) == 0 it
// does nothing.
//
// Implementations sum in different orders, so results may differ in the
// last bits from one machine to another, but never between calls on the
// same machine.
func ADCScan(table []float32, codes []byte, bias float32, out []float32) {
	n := len(out)
	if n == 0 {
		if len(codes) != 0 {
			panic(errors.AssertionFailedf("quant: ADCScan: %d code bytes for 0 codes", len(codes)))
		}
		return
	}
	m := len(codes) / n
	if len(codes)%n != 0 || len(table) != m*PQCentroids {
		panic(errors.AssertionFailedf("quant: ADCScan: %d code bytes for %d codes, table of %d entries", len(codes), n, len(table)))
	}
	adcScanImpl(table, codes, bias, out)
}

// adcScanGo is the portable ADC scan. It scores four codes at a time, so
// that four independent sums hide the latency of the additions, and it is
// written so that the compiler proves every index in the inner loop in
// bounds: the table of a sub-quantiser is a *[256]float32 indexed by a
// byte. The lengths have been checked by ADCScan.
func adcScanGo(table []float32, codes []byte, bias float32, out []float32) {
	n := len(out)
	M := len(codes) / n
	tabs := tableRows(table, M)
	i := 0
	for ; i+4 <= n; i += 4 {
		c := codes[i*M : (i+4)*M]
		c0 := c[:M]
		c1 := c[M : 2*M]
		c2 := c[2*M : 3*M]
		c3 := c[3*M : 4*M]
		c1, c2, c3 = c1[:len(c0)], c2[:len(c0)], c3[:len(c0)]
		tabs := tabs[:len(c0)]
		var s0, s1, s2, s3 float32
		for m, b0 := range c0 {
			t := &tabs[m]
			s0 += t[b0]
			s1 += t[c1[m]]
			s2 += t[c2[m]]
			s3 += t[c3[m]]
		}
		o := out[i : i+4]
		o[0], o[1], o[2], o[3] = bias+s0, bias+s1, bias+s2, bias+s3
	}
	for ; i < n; i++ {
		var s float32
		for m, b := range codes[i*M : (i+1)*M] {
			s += tabs[m][b]
		}
		out[i] = bias + s
	}
}

// tableRows views a table of m*256 entries (checked by the caller) as m
// rows of 256, so that indexing a row with a byte needs no bounds check.
func tableRows(table []float32, m int) [][PQCentroids]float32 {
	if m == 0 {
		return nil
	}
	_ = table[m*PQCentroids-1]
	return unsafe.Slice((*[PQCentroids]float32)(unsafe.Pointer(unsafe.SliceData(table))), m)
}

// adcScanImpl runs the selected ADC kernel through a direct call.
func adcScanImpl(table []float32, codes []byte, bias float32, out []float32) {
	if useAVX2ADC {
		adcScanAVX2(table, codes, bias, out)
		return
	}
	adcScanGo(table, codes, bias, out)
}

// adcKernel is one implementation of ADCScan after its checks.
type adcKernel struct {
	name string
	scan func(table []float32, codes []byte, bias float32, out []float32)
}
