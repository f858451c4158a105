//go:build !purego

#include "textflag.h"

// rowStripAVX2: dst[s] += Σ_t g[t]·m[off[t]+s] for s < w = 8, 32 or 96,
// see rowStripPortable (convback.go) for the contract. The w sums stay in
// Y0..Y11 over the whole list; each element broadcasts g[t] and fuses the
// multiply-adds with the loads of m's row.
//
// Register use:
//	DI  dst, SI m, R8 off, R9 g
//	CX  len(off), AX t, R12 the row address
//	Y15 the broadcast gradient

// ROW points R12 at m's row off[t] and broadcasts g[t] into Y15.
#define ROW \
	MOVLQSX      (R8)(AX*4), R12 \
	LEAQ         (SI)(R12*4), R12 \
	VBROADCASTSS (R9)(AX*4), Y15

// func rowStripAVX2(w int, dst, m []float32, off []int32, g []float32)
TEXT ·rowStripAVX2(SB), NOSPLIT, $0-104
	MOVQ dst_base+8(FP), DI
	MOVQ m_base+32(FP), SI
	MOVQ off_base+56(FP), R8
	MOVQ off_len+64(FP), CX
	MOVQ g_base+80(FP), R9
	XORQ AX, AX
	MOVQ w+0(FP), R12
	CMPQ R12, $32
	JEQ  strip32
	JB   strip8

	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VMOVUPS 160(DI), Y5
	VMOVUPS 192(DI), Y6
	VMOVUPS 224(DI), Y7
	VMOVUPS 256(DI), Y8
	VMOVUPS 288(DI), Y9
	VMOVUPS 320(DI), Y10
	VMOVUPS 352(DI), Y11
	TESTQ   CX, CX
	JEQ     store96

loop96:
	ROW
	VFMADD231PS (R12), Y15, Y0
	VFMADD231PS 32(R12), Y15, Y1
	VFMADD231PS 64(R12), Y15, Y2
	VFMADD231PS 96(R12), Y15, Y3
	VFMADD231PS 128(R12), Y15, Y4
	VFMADD231PS 160(R12), Y15, Y5
	VFMADD231PS 192(R12), Y15, Y6
	VFMADD231PS 224(R12), Y15, Y7
	VFMADD231PS 256(R12), Y15, Y8
	VFMADD231PS 288(R12), Y15, Y9
	VFMADD231PS 320(R12), Y15, Y10
	VFMADD231PS 352(R12), Y15, Y11
	INCQ AX
	CMPQ AX, CX
	JB   loop96

store96:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	VMOVUPS Y8, 256(DI)
	VMOVUPS Y9, 288(DI)
	VMOVUPS Y10, 320(DI)
	VMOVUPS Y11, 352(DI)
	VZEROUPPER
	RET

strip32:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	TESTQ   CX, CX
	JEQ     store32

loop32:
	ROW
	VFMADD231PS (R12), Y15, Y0
	VFMADD231PS 32(R12), Y15, Y1
	VFMADD231PS 64(R12), Y15, Y2
	VFMADD231PS 96(R12), Y15, Y3
	INCQ AX
	CMPQ AX, CX
	JB   loop32

store32:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VZEROUPPER
	RET

strip8:
	VMOVUPS (DI), Y0
	TESTQ   CX, CX
	JEQ     store8

loop8:
	ROW
	VFMADD231PS (R12), Y15, Y0
	INCQ AX
	CMPQ AX, CX
	JB   loop8

store8:
	VMOVUPS Y0, (DI)
	VZEROUPPER
	RET
