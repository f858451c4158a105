//go:build !purego

package cnn

import "golang.org/x/sys/cpu"

// useConvTile says whether convReLU runs the register-blocked assembly
// tile kernel: it needs AVX2 and FMA, which x/sys/cpu reports only when the
// OS saves the YMM state.
var useConvTile = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// convTile is the assembly in conv_amd64.s; see convTilePortable
// (conv.go) for the contract, which convReLUTiled checks before calling.
//
//go:noescape
func convTile(w, k, f int, col []float32, rows [convRows]int, wk, b, out []float32)

// rowStrip is rowStripPortable (convback.go) run by the assembly in
// convback_amd64.s when useConvTile holds.
func rowStrip(w int, dst, m []float32, off []int32, g []float32) {
	if useConvTile {
		rowStripAVX2(w, dst, m, off, g)
		return
	}
	rowStripPortable(w, dst, m, off, g)
}

// rowStripAVX2 keeps the w sums in registers (twelve YMM at most) over the
// whole list; see rowStripPortable for the contract.
//
//go:noescape
func rowStripAVX2(w int, dst, m []float32, off []int32, g []float32)
