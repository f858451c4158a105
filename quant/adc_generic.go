//go:build !amd64 || purego

package quant

import "github.com/cockroachdb/errors"

// Without assembly the Go ADC scan is the only one.

// adcKernels lists every ADC scan that can run on this machine, the
// portable one first, so that tests can compare them.
var adcKernels = []adcKernel{{"go", adcScanGo}}

// useAVX2ADC selects the ADC scan: never the assembly here.
const useAVX2ADC = false

func adcScanAVX2(table []float32, codes []byte, bias float32, out []float32) {
	panic(errors.AssertionFailedf("quant: no AVX2 kernels in this build"))
}

// useAVX2Tables selects the table kernels: never the assembly here.
const useAVX2Tables = false

func tableAVX2(t *centroidTable, x []float32, out []float32, l2 bool) {
	panic(errors.AssertionFailedf("quant: no AVX2 kernels in this build"))
}
