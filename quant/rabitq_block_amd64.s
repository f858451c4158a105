//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// The AVX2 rabitqBlock; see rabitq_block.go for what it computes.

// GROUP does codes 8j to 8j+7: so = 16j is their offset in sums, fo = 32j
// in the float arrays, and sh = 8j the shift of their mask bits. Each
// operation is the one Go does, on the same two operands, so that every
// result is rounded as in Go:
//
//	Y0 = c0 + c1*float32(sum)           t
//	Y1 = k1, Y2 = (s*k1)*t
//	Y3 = bias + addc*add                base
//	Y3 = base + Y2                      d, stored
//	Y3 = (d - errX*e1) - errT*|k1|      lb
//	Y3 = !(lb > worst)                  NGT_UQ: true when unordered
#define GROUP(so, fo, sh) \
	VPMOVZXWD so(SI), Y0            \
	VCVTDQ2PS Y0, Y0                \
	VMULPS    Y12, Y0, Y0           \
	VADDPS    Y0, Y11, Y0           \
	VMOVUPS   fo(BX), Y1            \
	VMULPS    Y1, Y10, Y2           \
	VMULPS    Y0, Y2, Y2            \
	VMULPS    fo(AX), Y9, Y3        \
	VADDPS    Y3, Y8, Y3            \
	VADDPS    Y2, Y3, Y3            \
	VMOVUPS   Y3, fo(DI)            \
	VMULPS    fo(CX), Y13, Y4       \
	VSUBPS    Y4, Y3, Y3            \
	VANDPS    Y7, Y1, Y1            \
	VMULPS    Y1, Y14, Y1           \
	VSUBPS    Y1, Y3, Y3            \
	VCMPPS    $0x1a, Y15, Y3, Y3    \
	VMOVMSKPS Y3, R9                \
	SHLQ      $sh, R9               \
	ORQ       R9, R8

// func rabitqBlockAVX2(sums *[32]uint16, adds, k1s, e1s *[32]float32, p *rabitqBlockParams, d *[32]float32) uint32
//
// Register use:
//	SI      sums
//	AX      adds, BX k1s, CX e1s
//	DX      p
//	DI      d
//	R8      the mask, R9 a group's
//	Y0-Y4   scratch
//	Y7      0x7fffffff in every lane (|x| = x AND Y7)
//	Y8-Y15  bias, addc, s, c0, c1, errX, errT, worst in every lane
TEXT ·rabitqBlockAVX2(SB), NOSPLIT, $0-52
	MOVQ sums+0(FP), SI
	MOVQ adds+8(FP), AX
	MOVQ k1s+16(FP), BX
	MOVQ e1s+24(FP), CX
	MOVQ p+32(FP), DX
	MOVQ d+40(FP), DI

	VBROADCASTSS rabitqBlockParams_bias(DX), Y8
	VBROADCASTSS rabitqBlockParams_addc(DX), Y9
	VBROADCASTSS rabitqBlockParams_s(DX), Y10
	VBROADCASTSS rabitqBlockParams_c0(DX), Y11
	VBROADCASTSS rabitqBlockParams_c1(DX), Y12
	VBROADCASTSS rabitqBlockParams_errX(DX), Y13
	VBROADCASTSS rabitqBlockParams_errT(DX), Y14
	VBROADCASTSS rabitqBlockParams_worst(DX), Y15
	VPCMPEQD     Y7, Y7, Y7
	VPSRLD       $1, Y7, Y7
	XORQ         R8, R8

	GROUP(0, 0, 0)
	GROUP(16, 32, 8)
	GROUP(32, 64, 16)
	GROUP(48, 96, 24)

	VZEROUPPER
	MOVL R8, ret+48(FP)
	RET
