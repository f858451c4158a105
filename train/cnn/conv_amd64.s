//go:build !purego

#include "textflag.h"

// convTile: a tile of 4 pixels by a strip of w = 8, 16 or 24 filters, see
// convTilePortable (conv.go) for the contract. The 4×w sums stay in
// registers for the whole k loop: each step loads the strip of weight row
// i once and broadcasts col[p, i] for each of the 4 pixels.
//
// Register use:
//	CX    k
//	DX    f*4, the byte stride of wk's and out's rows
//	R8-11 the 4 im2col rows
//	SI    wk row i (advanced by DX)
//	AX    i
//	R12   scratch for SKIPZERO
//	Y0-11 sums: pixel r owns Y(r*n) .. Y(r*n+n-1), n = w/8
//	Y12-14 the weight strip, Y15 the broadcast input

// SUMS3 adds the broadcast of (R)(AX*4) times Y12..Y14 to A, B and C.
#define SUMS3(R, A, B, C) \
	VBROADCASTSS (R)(AX*4), Y15 \
	VFMADD231PS  Y12, Y15, A    \
	VFMADD231PS  Y13, Y15, B    \
	VFMADD231PS  Y14, Y15, C

#define SUMS2(R, A, B) \
	VBROADCASTSS (R)(AX*4), Y15 \
	VFMADD231PS  Y12, Y15, A    \
	VFMADD231PS  Y13, Y15, B

#define SUMS1(R, A) \
	VBROADCASTSS (R)(AX*4), Y15 \
	VFMADD231PS  Y12, Y15, A

// SKIPZERO jumps to L when the 4 pixels' inputs i are all +0.
#define SKIPZERO(L) \
	MOVL (R8)(AX*4), R12   \
	ORL  (R9)(AX*4), R12   \
	ORL  (R10)(AX*4), R12  \
	ORL  (R11)(AX*4), R12  \
	JEQ  L

// OUTROW turns the pixel index in R into its row of out (R13 = out's base).
#define OUTROW(R) \
	IMULQ DX, R \
	ADDQ  R13, R

// OUTROWS points R8-R11 at the tile's 4 rows of out.
#define OUTROWS \
	MOVQ out_base+128(FP), R13 \
	MOVQ rows_0+48(FP), R8     \
	OUTROW(R8)                 \
	MOVQ rows_1+56(FP), R9     \
	OUTROW(R9)                 \
	MOVQ rows_2+64(FP), R10    \
	OUTROW(R10)                \
	MOVQ rows_3+72(FP), R11    \
	OUTROW(R11)

// func convTile(w, k, f int, col []float32, rows [4]int, wk, b, out []float32)
TEXT ·convTile(SB), NOSPLIT, $0-152
	MOVQ k+8(FP), CX
	MOVQ f+16(FP), DX
	SHLQ $2, DX
	MOVQ CX, R12
	SHLQ $2, R12
	MOVQ col_base+24(FP), DI
	MOVQ rows_0+48(FP), R8
	IMULQ R12, R8
	ADDQ DI, R8
	MOVQ rows_1+56(FP), R9
	IMULQ R12, R9
	ADDQ DI, R9
	MOVQ rows_2+64(FP), R10
	IMULQ R12, R10
	ADDQ DI, R10
	MOVQ rows_3+72(FP), R11
	IMULQ R12, R11
	ADDQ DI, R11
	MOVQ wk_base+80(FP), SI
	MOVQ b_base+104(FP), BX
	XORQ AX, AX
	MOVQ w+0(FP), R12
	CMPQ R12, $16
	JEQ  tile16
	JB   tile8

	// w = 24: 12 sums.
	VMOVUPS (BX), Y0
	VMOVUPS 32(BX), Y1
	VMOVUPS 64(BX), Y2
	VMOVAPS Y0, Y3
	VMOVAPS Y1, Y4
	VMOVAPS Y2, Y5
	VMOVAPS Y0, Y6
	VMOVAPS Y1, Y7
	VMOVAPS Y2, Y8
	VMOVAPS Y0, Y9
	VMOVAPS Y1, Y10
	VMOVAPS Y2, Y11
	TESTQ   CX, CX
	JEQ     store24

loop24:
	SKIPZERO(next24)
	VMOVUPS (SI), Y12
	VMOVUPS 32(SI), Y13
	VMOVUPS 64(SI), Y14
	SUMS3(R8, Y0, Y1, Y2)
	SUMS3(R9, Y3, Y4, Y5)
	SUMS3(R10, Y6, Y7, Y8)
	SUMS3(R11, Y9, Y10, Y11)

next24:
	ADDQ    DX, SI
	INCQ    AX
	CMPQ    AX, CX
	JB      loop24

store24:
	OUTROWS
	VXORPS  Y15, Y15, Y15
	// max(0, sum) with the sum as the second source keeps a NaN sum, like
	// the Go loop's "if v < 0".
	VMAXPS  Y0, Y15, Y0
	VMAXPS  Y1, Y15, Y1
	VMAXPS  Y2, Y15, Y2
	VMAXPS  Y3, Y15, Y3
	VMAXPS  Y4, Y15, Y4
	VMAXPS  Y5, Y15, Y5
	VMAXPS  Y6, Y15, Y6
	VMAXPS  Y7, Y15, Y7
	VMAXPS  Y8, Y15, Y8
	VMAXPS  Y9, Y15, Y9
	VMAXPS  Y10, Y15, Y10
	VMAXPS  Y11, Y15, Y11
	VMOVUPS Y0, (R8)
	VMOVUPS Y1, 32(R8)
	VMOVUPS Y2, 64(R8)
	VMOVUPS Y3, (R9)
	VMOVUPS Y4, 32(R9)
	VMOVUPS Y5, 64(R9)
	VMOVUPS Y6, (R10)
	VMOVUPS Y7, 32(R10)
	VMOVUPS Y8, 64(R10)
	VMOVUPS Y9, (R11)
	VMOVUPS Y10, 32(R11)
	VMOVUPS Y11, 64(R11)
	VZEROUPPER
	RET

tile16:
	VMOVUPS (BX), Y0
	VMOVUPS 32(BX), Y1
	VMOVAPS Y0, Y2
	VMOVAPS Y1, Y3
	VMOVAPS Y0, Y4
	VMOVAPS Y1, Y5
	VMOVAPS Y0, Y6
	VMOVAPS Y1, Y7
	TESTQ   CX, CX
	JEQ     store16

loop16:
	SKIPZERO(next16)
	VMOVUPS (SI), Y12
	VMOVUPS 32(SI), Y13
	SUMS2(R8, Y0, Y1)
	SUMS2(R9, Y2, Y3)
	SUMS2(R10, Y4, Y5)
	SUMS2(R11, Y6, Y7)

next16:
	ADDQ    DX, SI
	INCQ    AX
	CMPQ    AX, CX
	JB      loop16

store16:
	OUTROWS
	VXORPS  Y15, Y15, Y15
	VMAXPS  Y0, Y15, Y0
	VMAXPS  Y1, Y15, Y1
	VMAXPS  Y2, Y15, Y2
	VMAXPS  Y3, Y15, Y3
	VMAXPS  Y4, Y15, Y4
	VMAXPS  Y5, Y15, Y5
	VMAXPS  Y6, Y15, Y6
	VMAXPS  Y7, Y15, Y7
	VMOVUPS Y0, (R8)
	VMOVUPS Y1, 32(R8)
	VMOVUPS Y2, (R9)
	VMOVUPS Y3, 32(R9)
	VMOVUPS Y4, (R10)
	VMOVUPS Y5, 32(R10)
	VMOVUPS Y6, (R11)
	VMOVUPS Y7, 32(R11)
	VZEROUPPER
	RET

tile8:
	VMOVUPS (BX), Y0
	VMOVAPS Y0, Y1
	VMOVAPS Y0, Y2
	VMOVAPS Y0, Y3
	TESTQ   CX, CX
	JEQ     store8

loop8:
	SKIPZERO(next8)
	VMOVUPS (SI), Y12
	SUMS1(R8, Y0)
	SUMS1(R9, Y1)
	SUMS1(R10, Y2)
	SUMS1(R11, Y3)

next8:
	ADDQ    DX, SI
	INCQ    AX
	CMPQ    AX, CX
	JB      loop8

store8:
	OUTROWS
	VXORPS  Y15, Y15, Y15
	VMAXPS  Y0, Y15, Y0
	VMAXPS  Y1, Y15, Y1
	VMAXPS  Y2, Y15, Y2
	VMAXPS  Y3, Y15, Y3
	VMOVUPS Y0, (R8)
	VMOVUPS Y1, (R9)
	VMOVUPS Y2, (R10)
	VMOVUPS Y3, (R11)
	VZEROUPPER
	RET
