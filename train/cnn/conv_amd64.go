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
