//go:build !purego

#include "textflag.h"

// AVX2 + FMA update kernels; see axpy_amd64.go for the contract.
//
// Register use:
//	SI    x, DI y, DX z (AxpyCross only), never advanced
//	CX    n = len(x)
//	R11   n rounded down to a multiple of 32
//	R12   n rounded down to a multiple of 8
//	AX    index, in floats
//	Y14   a in all eight lanes
//	Y15   mask for the last n%8 floats (lanes < n%8 all ones)

// axpymask<>: eight all-ones dwords then eight zero dwords; 8 dwords loaded
// at offset 4*(8-r) give a mask whose first r lanes are set.
DATA axpymask<>+0x00(SB)/8, $0xffffffffffffffff
DATA axpymask<>+0x08(SB)/8, $0xffffffffffffffff
DATA axpymask<>+0x10(SB)/8, $0xffffffffffffffff
DATA axpymask<>+0x18(SB)/8, $0xffffffffffffffff
DATA axpymask<>+0x20(SB)/8, $0
DATA axpymask<>+0x28(SB)/8, $0
DATA axpymask<>+0x30(SB)/8, $0
DATA axpymask<>+0x38(SB)/8, $0
GLOBL axpymask<>(SB), RODATA|NOPTR, $64

// AXPYSETUP derives R11, R12 and Y15 from CX and zeroes AX.
#define AXPYSETUP \
	MOVQ    CX, R11               \
	ANDQ    $~31, R11             \
	MOVQ    CX, R12               \
	ANDQ    $~7, R12              \
	MOVQ    CX, AX                \
	ANDQ    $7, AX                \
	SHLQ    $2, AX                \
	LEAQ    axpymask<>+32(SB), R8 \
	SUBQ    AX, R8                \
	VMOVDQU (R8), Y15             \
	XORQ    AX, AX

// func axpyAVX2(a float32, x, y []float32)
TEXT ·axpyAVX2(SB), NOSPLIT, $0-56
	VBROADCASTSS a+0(FP), Y14
	MOVQ x_base+8(FP), SI
	MOVQ x_len+16(FP), CX
	MOVQ y_base+32(FP), DI
	AXPYSETUP
	CMPQ AX, R11
	JAE  axpy8

axpy32loop:
	VMOVUPS     (DI)(AX*4), Y0
	VMOVUPS     32(DI)(AX*4), Y1
	VMOVUPS     64(DI)(AX*4), Y2
	VMOVUPS     96(DI)(AX*4), Y3
	VFMADD231PS (SI)(AX*4), Y14, Y0
	VFMADD231PS 32(SI)(AX*4), Y14, Y1
	VFMADD231PS 64(SI)(AX*4), Y14, Y2
	VFMADD231PS 96(SI)(AX*4), Y14, Y3
	VMOVUPS     Y0, (DI)(AX*4)
	VMOVUPS     Y1, 32(DI)(AX*4)
	VMOVUPS     Y2, 64(DI)(AX*4)
	VMOVUPS     Y3, 96(DI)(AX*4)
	ADDQ        $32, AX
	CMPQ        AX, R11
	JB          axpy32loop

axpy8:
	CMPQ AX, R12
	JAE  axpytail

axpy8loop:
	VMOVUPS     (DI)(AX*4), Y0
	VFMADD231PS (SI)(AX*4), Y14, Y0
	VMOVUPS     Y0, (DI)(AX*4)
	ADDQ        $8, AX
	CMPQ        AX, R12
	JB          axpy8loop

axpytail:
	CMPQ        AX, CX
	JAE         axpydone
	VMASKMOVPS  (DI)(AX*4), Y15, Y0
	VMASKMOVPS  (SI)(AX*4), Y15, Y1
	VFMADD231PS Y1, Y14, Y0
	VMASKMOVPS  Y0, Y15, (DI)(AX*4)

axpydone:
	VZEROUPPER
	RET

// CROSS8 updates 8 floats at byte offset off: Yz += a*Yy, then Yy += a*x.
#define CROSS8(off, Yy, Yz) \
	VMOVUPS     off(DI)(AX*4), Yy     \
	VMOVUPS     off(DX)(AX*4), Yz     \
	VFMADD231PS Yy, Y14, Yz           \
	VFMADD231PS off(SI)(AX*4), Y14, Yy \
	VMOVUPS     Yz, off(DX)(AX*4)     \
	VMOVUPS     Yy, off(DI)(AX*4)

// func axpyCrossAVX2(a float32, x, y, z []float32)
TEXT ·axpyCrossAVX2(SB), NOSPLIT, $0-80
	VBROADCASTSS a+0(FP), Y14
	MOVQ x_base+8(FP), SI
	MOVQ x_len+16(FP), CX
	MOVQ y_base+32(FP), DI
	MOVQ z_base+56(FP), DX
	AXPYSETUP
	CMPQ AX, R11
	JAE  cross8

cross32loop:
	CROSS8(0, Y0, Y4)
	CROSS8(32, Y1, Y5)
	CROSS8(64, Y2, Y6)
	CROSS8(96, Y3, Y7)
	ADDQ $32, AX
	CMPQ AX, R11
	JB   cross32loop

cross8:
	CMPQ AX, R12
	JAE  crosstail

cross8loop:
	CROSS8(0, Y0, Y4)
	ADDQ $8, AX
	CMPQ AX, R12
	JB   cross8loop

crosstail:
	CMPQ        AX, CX
	JAE         crossdone
	VMASKMOVPS  (DI)(AX*4), Y15, Y0
	VMASKMOVPS  (DX)(AX*4), Y15, Y4
	VMASKMOVPS  (SI)(AX*4), Y15, Y1
	VFMADD231PS Y0, Y14, Y4
	VFMADD231PS Y1, Y14, Y0
	VMASKMOVPS  Y4, Y15, (DX)(AX*4)
	VMASKMOVPS  Y0, Y15, (DI)(AX*4)

crossdone:
	VZEROUPPER
	RET
