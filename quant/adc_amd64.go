//go:build !purego

package quant

import (
	"unsafe"

	"github.com/cockroachdb/errors"
)

// adcKernels lists every ADC scan that can run on this machine, the
// portable one first, so that tests can compare them.
var adcKernels = []adcKernel{{"go", adcScanGo}}

// useAVX2ADC selects the ADC scan ADCScan uses. It is set during package
// initialisation and never changed afterwards (the two sum in different
// orders, so switching would change results in the last bits). The gather
// version scans codes about twice as fast as the Go loop on the Xeon
// (Sapphire Rapids class) it was measured on, at M = 8 to 64 (see
// BenchmarkADCScan). Gathers are much slower on some CPUs (older AMD
// cores, Intel cores with the Gather Data Sampling microcode mitigation),
// where the Go loop may win; rerun the benchmark there.
var useAVX2ADC = hasAVX2FMA

func init() {
	if useAVX2ADC {
		adcKernels = append(adcKernels, adcKernel{"avx2", adcScanAVX2})
	}
}

// adcScanAVX2Rows sets out[i] = bias + the sum over the first m8
// sub-quantisers of table[m*256 + codes[i*m+m]], for the n8 codes of m
// bytes at codes. n8 and m8 are multiples of 8, m8 <= m; table has at
// least m8*256 entries and out at least n8. In adc_amd64.s.
//
//go:noescape
func adcScanAVX2Rows(table *float32, codes *byte, m, m8, n8 int, bias float32, out *float32)

// adcScanAVX2 runs the assembly on the first n&^7 codes and their first
// M&^7 bytes, then adds the other bytes and scores the last codes in Go.
// The lengths have been checked by ADCScan.
func adcScanAVX2(table []float32, codes []byte, bias float32, out []float32) {
	n := len(out)
	M := len(codes) / n
	n8, m8 := n&^7, M&^7
	if n8 == 0 || m8 == 0 {
		adcScanGo(table, codes, bias, out)
		return
	}
	adcScanAVX2Rows(unsafe.SliceData(table), unsafe.SliceData(codes), M, m8, n8, bias, unsafe.SliceData(out))
	if m8 < M {
		tabs := tableRows(table, M)
		for i := range out[:n8] {
			s := out[i]
			for m, b := range codes[i*M+m8 : (i+1)*M] {
				s += tabs[m8+m][b]
			}
			out[i] = s
		}
	}
	if n8 < n {
		adcScanGo(table, codes[n8*M:], bias, out[n8:])
	}
}

// useAVX2Tables selects the table kernels of L2Table and DotTable.
var useAVX2Tables = hasAVX2FMA

// panelL2AVX2 and panelDotAVX2 set out[j] to the squared distance or the
// inner product between x (dim floats) and centroid j of the npanels panels
// (layout of centroidTable), for j < 16*npanels. npanels must be a multiple
// of 4 and dim at least 1. In adc_amd64.s.
//
//go:noescape
func panelL2AVX2(x *float32, dim int, panels *float32, npanels int, out *float32)

//go:noescape
func panelDotAVX2(x *float32, dim int, panels *float32, npanels int, out *float32)

// tableAVX2 fills out (256 entries) from sub-vector x and the
// sub-quantiser's table t.
func tableAVX2(t *centroidTable, x []float32, out []float32, l2 bool) {
	np := t.npanels()
	if len(x) != t.dim || t.dim < 1 || np%4 != 0 || len(out) != np*panelWidth || len(t.panels) != np*t.dim*panelWidth {
		panic(errors.AssertionFailedf("quant: tableAVX2: len(x) = %d, dim %d, %d panels, len(out) = %d", len(x), t.dim, np, len(out)))
	}
	if l2 {
		panelL2AVX2(unsafe.SliceData(x), t.dim, unsafe.SliceData(t.panels), np, unsafe.SliceData(out))
	} else {
		panelDotAVX2(unsafe.SliceData(x), t.dim, unsafe.SliceData(t.panels), np, unsafe.SliceData(out))
	}
}
