//go:build !purego

#include "textflag.h"

// AVX2 + FMA distance kernels; see distance_amd64.go for the contract.
//
// Register use in every routine:
//	SI    a (or q), never advanced
//	DI    b (or the current row of data)
//	CX    n = len(a) = dim
//	R11   n rounded down to a multiple of 32
//	R12   n rounded down to a multiple of 8
//	AX    index, in floats, into the current row
//	Y15   load mask for the last n%8 floats (lanes < n%8 all ones)
//	Y0-Y3 the four accumulators; Y4-Y7 scratch

// tailmask<>: eight all-ones dwords followed by eight zero dwords. Loading
// 8 dwords at offset 4*(8-r) gives a mask whose first r lanes are set.
DATA tailmask<>+0x00(SB)/8, $0xffffffffffffffff
DATA tailmask<>+0x08(SB)/8, $0xffffffffffffffff
DATA tailmask<>+0x10(SB)/8, $0xffffffffffffffff
DATA tailmask<>+0x18(SB)/8, $0xffffffffffffffff
DATA tailmask<>+0x20(SB)/8, $0
DATA tailmask<>+0x28(SB)/8, $0
DATA tailmask<>+0x30(SB)/8, $0
DATA tailmask<>+0x38(SB)/8, $0
GLOBL tailmask<>(SB), RODATA|NOPTR, $64

// SETUP derives R11, R12 and Y15 from CX.
#define SETUP \
	MOVQ  CX, R11                \
	ANDQ  $~31, R11              \
	MOVQ  CX, R12                \
	ANDQ  $~7, R12               \
	MOVQ  CX, AX                 \
	ANDQ  $7, AX                 \
	SHLQ  $2, AX                 \
	LEAQ  tailmask<>+32(SB), R8  \
	SUBQ  AX, R8                 \
	VMOVDQU (R8), Y15

#define ZERO \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	VXORPS Y2, Y2, Y2 \
	VXORPS Y3, Y3, Y3 \
	XORQ   AX, AX

// DOT32 accumulates a[AX:AX+32]*b[AX:AX+32] into Y0-Y3.
#define DOT32 \
	VMOVUPS     (SI)(AX*4), Y4         \
	VMOVUPS     32(SI)(AX*4), Y5       \
	VMOVUPS     64(SI)(AX*4), Y6       \
	VMOVUPS     96(SI)(AX*4), Y7       \
	VFMADD231PS (DI)(AX*4), Y4, Y0     \
	VFMADD231PS 32(DI)(AX*4), Y5, Y1   \
	VFMADD231PS 64(DI)(AX*4), Y6, Y2   \
	VFMADD231PS 96(DI)(AX*4), Y7, Y3

#define DOT8 \
	VMOVUPS     (SI)(AX*4), Y4     \
	VFMADD231PS (DI)(AX*4), Y4, Y0

// DOTTAIL handles the last CX-AX (1..7) floats; masked lanes load as zero.
#define DOTTAIL \
	VMASKMOVPS  (SI)(AX*4), Y15, Y4 \
	VMASKMOVPS  (DI)(AX*4), Y15, Y5 \
	VFMADD231PS Y5, Y4, Y1

// L2_32 accumulates (a-b)^2 over a[AX:AX+32] into Y0-Y3.
#define L2_32 \
	VMOVUPS     (SI)(AX*4), Y4     \
	VMOVUPS     32(SI)(AX*4), Y5   \
	VMOVUPS     64(SI)(AX*4), Y6   \
	VMOVUPS     96(SI)(AX*4), Y7   \
	VSUBPS      (DI)(AX*4), Y4, Y4 \
	VSUBPS      32(DI)(AX*4), Y5, Y5 \
	VSUBPS      64(DI)(AX*4), Y6, Y6 \
	VSUBPS      96(DI)(AX*4), Y7, Y7 \
	VFMADD231PS Y4, Y4, Y0         \
	VFMADD231PS Y5, Y5, Y1         \
	VFMADD231PS Y6, Y6, Y2         \
	VFMADD231PS Y7, Y7, Y3

#define L2_8 \
	VMOVUPS     (SI)(AX*4), Y4     \
	VSUBPS      (DI)(AX*4), Y4, Y4 \
	VFMADD231PS Y4, Y4, Y0

#define L2TAIL \
	VMASKMOVPS  (SI)(AX*4), Y15, Y4 \
	VMASKMOVPS  (DI)(AX*4), Y15, Y5 \
	VSUBPS      Y5, Y4, Y4          \
	VFMADD231PS Y4, Y4, Y1

// PREFETCH asks for the two cache lines 2 KiB ahead of b[AX]. The hardware
// prefetchers alone leave a single core short of DRAM bandwidth on the
// machines measured (about 11 of 14.5 GB/s at dim 784, against 13-15 with
// this); when the rows come from a cache it costs nothing measurable.
// Prefetches past the end of data are harmless: they never fault. Only the
// batch routines prefetch, since after a single vector lies unrelated memory.
#define PREFETCH \
	PREFETCHT0 2048(DI)(AX*4) \
	PREFETCHT0 2112(DI)(AX*4)

// REDUCE sums the 32 lanes of Y0-Y3 into X0[0].
#define REDUCE \
	VADDPS       Y1, Y0, Y0 \
	VADDPS       Y3, Y2, Y2 \
	VADDPS       Y2, Y0, Y0 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS       X1, X0, X0 \
	VMOVHLPS     X0, X0, X1 \
	VADDPS       X1, X0, X0 \
	VMOVSHDUP    X0, X1     \
	VADDSS       X1, X0, X0

// func dotAVX2(a, b []float32) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-52
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), DI
	SETUP
	ZERO
	CMPQ AX, R11
	JAE  dot8

dot32loop:
	DOT32
	ADDQ $32, AX
	CMPQ AX, R11
	JB   dot32loop

dot8:
	CMPQ AX, R12
	JAE  dottail

dot8loop:
	DOT8
	ADDQ $8, AX
	CMPQ AX, R12
	JB   dot8loop

dottail:
	CMPQ AX, CX
	JAE  dotdone
	DOTTAIL

dotdone:
	REDUCE
	VMOVSS X0, ret+48(FP)
	VZEROUPPER
	RET

// func l2AVX2(a, b []float32) float32
TEXT ·l2AVX2(SB), NOSPLIT, $0-52
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), DI
	SETUP
	ZERO
	CMPQ AX, R11
	JAE  l28

l232loop:
	L2_32
	ADDQ $32, AX
	CMPQ AX, R11
	JB   l232loop

l28:
	CMPQ AX, R12
	JAE  l2tail

l28loop:
	L2_8
	ADDQ $8, AX
	CMPQ AX, R12
	JB   l28loop

l2tail:
	CMPQ AX, CX
	JAE  l2done
	L2TAIL

l2done:
	REDUCE
	VMOVSS X0, ret+48(FP)
	VZEROUPPER
	RET

// func dotBatchAVX2(q, data, out []float32)
// DX points at out[i], BX counts the rows left, R13 is the row size in bytes.
TEXT ·dotBatchAVX2(SB), NOSPLIT, $0-72
	MOVQ q_base+0(FP), SI
	MOVQ q_len+8(FP), CX
	MOVQ data_base+24(FP), DI
	MOVQ out_base+48(FP), DX
	MOVQ out_len+56(FP), BX
	SETUP
	LEAQ (CX*4), R13
	TESTQ BX, BX
	JZ   done

row:
	ZERO
	CMPQ AX, R11
	JAE  dot8

dot32loop:
	PREFETCH
	DOT32
	ADDQ $32, AX
	CMPQ AX, R11
	JB   dot32loop

dot8:
	CMPQ AX, R12
	JAE  dottail

dot8loop:
	DOT8
	ADDQ $8, AX
	CMPQ AX, R12
	JB   dot8loop

dottail:
	CMPQ AX, CX
	JAE  dotdone
	DOTTAIL

dotdone:
	REDUCE
	VMOVSS X0, (DX)
	ADDQ $4, DX
	ADDQ R13, DI
	DECQ BX
	JNZ  row

done:
	VZEROUPPER
	RET

// func l2BatchAVX2(q, data, out []float32)
TEXT ·l2BatchAVX2(SB), NOSPLIT, $0-72
	MOVQ q_base+0(FP), SI
	MOVQ q_len+8(FP), CX
	MOVQ data_base+24(FP), DI
	MOVQ out_base+48(FP), DX
	MOVQ out_len+56(FP), BX
	SETUP
	LEAQ (CX*4), R13
	TESTQ BX, BX
	JZ   done

row:
	ZERO
	CMPQ AX, R11
	JAE  l28

l232loop:
	PREFETCH
	L2_32
	ADDQ $32, AX
	CMPQ AX, R11
	JB   l232loop

l28:
	CMPQ AX, R12
	JAE  l2tail

l28loop:
	L2_8
	ADDQ $8, AX
	CMPQ AX, R12
	JB   l28loop

l2tail:
	CMPQ AX, CX
	JAE  l2done
	L2TAIL

l2done:
	REDUCE
	VMOVSS X0, (DX)
	ADDQ $4, DX
	ADDQ R13, DI
	DECQ BX
	JNZ  row

done:
	VZEROUPPER
	RET
