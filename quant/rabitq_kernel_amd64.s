//go:build !purego

#include "textflag.h"

// The AVX2 RaBitQ kernels; see rabitq_kernel.go for what they compute and
// rabitq_kernel_amd64.go for the contracts.

// HSUMD adds the int32 lanes of Y0-Y3 into AX, using Y1 and Y2 as scratch.
// The additions wrap modulo 2^32 like Go's, so their order does not matter.
#define HSUMD \
	VPADDD       Y1, Y0, Y0 \
	VPADDD       Y3, Y2, Y2 \
	VPADDD       Y2, Y0, Y0 \
	VEXTRACTI128 $1, Y0, X1 \
	VPADDD       X1, X0, X0 \
	VPSHUFD      $0x4e, X0, X1 \
	VPADDD       X1, X0, X0 \
	VPSHUFD      $0xb1, X0, X1 \
	VPADDD       X1, X0, X0 \
	VMOVD        X0, AX

// func dotU8I16AVX2Blocks(u *byte, q *int16, nblocks int) int32
//
// Per block of 64 coordinates, four times: 16 code bytes are zero-extended
// to words and multiplied by the 16 query words with VPMADDWD, which adds
// adjacent products into 8 int32 lanes (exactly: a pair of products is at
// most 2*255*32768 in absolute value). Y0-Y3 accumulate the four streams.
TEXT ·dotU8I16AVX2Blocks(SB), NOSPLIT, $0-28
	MOVQ  u+0(FP), SI
	MOVQ  q+8(FP), DI
	MOVQ  nblocks+16(FP), CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3

u8loop:
	VPMOVZXBW 0(SI), Y4
	VPMOVZXBW 16(SI), Y5
	VPMOVZXBW 32(SI), Y6
	VPMOVZXBW 48(SI), Y7
	VPMADDWD  0(DI), Y4, Y4
	VPMADDWD  32(DI), Y5, Y5
	VPMADDWD  64(DI), Y6, Y6
	VPMADDWD  96(DI), Y7, Y7
	VPADDD    Y4, Y0, Y0
	VPADDD    Y5, Y1, Y1
	VPADDD    Y6, Y2, Y2
	VPADDD    Y7, Y3, Y3
	ADDQ      $64, SI
	ADDQ      $128, DI
	DECQ      CX
	JNZ       u8loop

	HSUMD
	VZEROUPPER
	MOVL AX, ret+24(FP)
	RET

// rbqnib holds the byte shuffles of dotU4I16AVX2Blocks: dword k of the
// table (bytes 0x80, k, 0x80, k) puts code byte k in the high byte of both
// words of a dword and zeroes their low bytes. The first 32 bytes pick code
// bytes 0-3 in lane 0 and 4-7 in lane 1, the next 32 bytes 8-11 and 12-15.
DATA rbqnib<>+0x00(SB)/4, $0x00800080
DATA rbqnib<>+0x04(SB)/4, $0x01800180
DATA rbqnib<>+0x08(SB)/4, $0x02800280
DATA rbqnib<>+0x0c(SB)/4, $0x03800380
DATA rbqnib<>+0x10(SB)/4, $0x04800480
DATA rbqnib<>+0x14(SB)/4, $0x05800580
DATA rbqnib<>+0x18(SB)/4, $0x06800680
DATA rbqnib<>+0x1c(SB)/4, $0x07800780
DATA rbqnib<>+0x20(SB)/4, $0x08800880
DATA rbqnib<>+0x24(SB)/4, $0x09800980
DATA rbqnib<>+0x28(SB)/4, $0x0a800a80
DATA rbqnib<>+0x2c(SB)/4, $0x0b800b80
DATA rbqnib<>+0x30(SB)/4, $0x0c800c80
DATA rbqnib<>+0x34(SB)/4, $0x0d800d80
DATA rbqnib<>+0x38(SB)/4, $0x0e800e80
DATA rbqnib<>+0x3c(SB)/4, $0x0f800f80
GLOBL rbqnib<>(SB), RODATA|NOPTR, $64

// rbqmul is the dword of words (256, 16) and rbqmask that of words
// (0x000f, 0xffff); see dotU4I16AVX2Blocks.
DATA rbqmul<>+0x00(SB)/4, $0x00100100
GLOBL rbqmul<>(SB), RODATA|NOPTR, $4
DATA rbqmask<>+0x00(SB)/4, $0xffff000f
GLOBL rbqmask<>(SB), RODATA|NOPTR, $4

// func dotU4I16AVX2Blocks(u *byte, q *int16, nblocks int) int32
//
// Coordinates 2k and 2k+1 are the nibbles of code byte k, and VPMADDWD
// pairs the words 2k and 2k+1 of a register, so the kernel builds, for each
// code byte b, a dword whose words are (b & 15, b >> 4), in the order of
// the query words. For 16 code bytes (32 coordinates), broadcast to both
// lanes: VPSHUFB with the first half of rbqnib makes words (b<<8, b<<8)
// from bytes 0-3 in lane 0 and 4-7 in lane 1 (coordinates 0-15 in order),
// and with its second half from bytes 8-15 (coordinates 16-31). VPMULHUW by
// (256, 16) turns (b<<8, b<<8) into (b, b>>4), and VPAND with
// (0x000f, 0xffff) into (b & 15, b >> 4).
//
// Register use:
//	SI      u, 32 bytes a block
//	DI      q, 128 bytes a block
//	CX      blocks left
//	Y0-Y3   int32 sums
//	Y4-Y9   scratch
//	Y12     rbqmask in every dword
//	Y13     rbqmul in every dword
//	Y14     rbqnib's first half, Y15 its second
TEXT ·dotU4I16AVX2Blocks(SB), NOSPLIT, $0-28
	MOVQ         u+0(FP), SI
	MOVQ         q+8(FP), DI
	MOVQ         nblocks+16(FP), CX
	VPBROADCASTD rbqmask<>(SB), Y12
	VPBROADCASTD rbqmul<>(SB), Y13
	VMOVDQU      rbqnib<>+0(SB), Y14
	VMOVDQU      rbqnib<>+32(SB), Y15
	VPXOR        Y0, Y0, Y0
	VPXOR        Y1, Y1, Y1
	VPXOR        Y2, Y2, Y2
	VPXOR        Y3, Y3, Y3

u4loop:
	VBROADCASTI128 0(SI), Y4
	VBROADCASTI128 16(SI), Y5
	VPSHUFB        Y14, Y4, Y6
	VPSHUFB        Y15, Y4, Y7
	VPSHUFB        Y14, Y5, Y8
	VPSHUFB        Y15, Y5, Y9
	VPMULHUW       Y13, Y6, Y6
	VPMULHUW       Y13, Y7, Y7
	VPMULHUW       Y13, Y8, Y8
	VPMULHUW       Y13, Y9, Y9
	VPAND          Y12, Y6, Y6
	VPAND          Y12, Y7, Y7
	VPAND          Y12, Y8, Y8
	VPAND          Y12, Y9, Y9
	VPMADDWD       0(DI), Y6, Y6
	VPMADDWD       32(DI), Y7, Y7
	VPMADDWD       64(DI), Y8, Y8
	VPMADDWD       96(DI), Y9, Y9
	VPADDD         Y6, Y0, Y0
	VPADDD         Y7, Y1, Y1
	VPADDD         Y8, Y2, Y2
	VPADDD         Y9, Y3, Y3
	ADDQ           $32, SI
	ADDQ           $128, DI
	DECQ           CX
	JNZ            u4loop

	HSUMD
	VZEROUPPER
	MOVL AX, ret+24(FP)
	RET

// BF is the butterfly: s = a+b and d = a-b.
#define BF(a, b, s, d) \
	VADDPS b, a, s \
	VSUBPS b, a, d

// SMALL does the stages h = 1, 2 and 4 within the 8 floats of v, using t
// and u as scratch. For each stage, t is v with every float swapped with
// its partner (i^h), u = v + t holds the sums a+b at the first float of
// each pair, t - v the differences a-b at the second, and a blend keeps
// each where it belongs. Both are computed from the pair's own two floats,
// a-b as such (not as -(b-a), which differs in the sign of a zero).
#define SMALL(v, t, u) \
	VPERMILPS  $0xb1, v, t    \
	VADDPS     t, v, u        \
	VSUBPS     v, t, t        \
	VBLENDPS   $0xaa, t, u, v \
	VPERMILPS  $0x4e, v, t    \
	VADDPS     t, v, u        \
	VSUBPS     v, t, t        \
	VBLENDPS   $0xcc, t, u, v \
	VPERM2F128 $0x01, v, v, t \
	VADDPS     t, v, u        \
	VSUBPS     v, t, t        \
	VBLENDPS   $0xf0, t, u, v

// RADIX8 does three stages h, 2h, 4h on the floats j + k*h, k in [0, 8), of
// 8 columns j at once: Y(k) holds element k on entry, Y(8+k) on exit.
#define RADIX8 \
	BF(Y0, Y1, Y8, Y9)    \
	BF(Y2, Y3, Y10, Y11)  \
	BF(Y4, Y5, Y12, Y13)  \
	BF(Y6, Y7, Y14, Y15)  \
	BF(Y8, Y10, Y0, Y2)   \
	BF(Y9, Y11, Y1, Y3)   \
	BF(Y12, Y14, Y4, Y6)  \
	BF(Y13, Y15, Y5, Y7)  \
	BF(Y0, Y4, Y8, Y12)   \
	BF(Y1, Y5, Y9, Y13)   \
	BF(Y2, Y6, Y10, Y14)  \
	BF(Y3, Y7, Y11, Y15)

// func fwhtAVX2N(x *float32, n int)
//
// The stages are done in passes over x, each doing up to three of them on
// columns of 8 floats held in registers, so that each butterfly takes its
// two inputs from the previous stage's butterflies exactly as in fwhtGo:
// the result is the same, bit for bit.
//
// The first pass takes each block of 64 floats as 8 registers, does the
// stages 1, 2 and 4 within each (SMALL) and the stages 8, 16 and 32 across
// them (RADIX8). Each later pass does three stages h, 2h, 4h (RADIX8 on
// the floats j + k*h of each block of 8h), or, at the end, the last two or
// the last one, for which the block is all of x.
//
// Register use:
//	DI      x
//	R11     x + n (the end of x)
//	CX      n*4 (x's bytes)
//	R8      h*4 (the current pass's stride in bytes)
//	R9      3*R8
//	AX      the current block
//	BX      the current column, R10 the end of the block's columns
//	DX      scratch
//	Y0-Y15  the columns' floats and scratch
TEXT ·fwhtAVX2N(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	SHLQ $2, CX
	LEAQ (DI)(CX*1), R11
	MOVQ DI, AX

first:
	VMOVUPS 0(AX), Y0
	VMOVUPS 32(AX), Y1
	VMOVUPS 64(AX), Y2
	VMOVUPS 96(AX), Y3
	VMOVUPS 128(AX), Y4
	VMOVUPS 160(AX), Y5
	VMOVUPS 192(AX), Y6
	VMOVUPS 224(AX), Y7
	SMALL(Y0, Y8, Y9)
	SMALL(Y1, Y10, Y11)
	SMALL(Y2, Y12, Y13)
	SMALL(Y3, Y14, Y15)
	SMALL(Y4, Y8, Y9)
	SMALL(Y5, Y10, Y11)
	SMALL(Y6, Y12, Y13)
	SMALL(Y7, Y14, Y15)
	RADIX8
	VMOVUPS Y8, 0(AX)
	VMOVUPS Y9, 32(AX)
	VMOVUPS Y10, 64(AX)
	VMOVUPS Y11, 96(AX)
	VMOVUPS Y12, 128(AX)
	VMOVUPS Y13, 160(AX)
	VMOVUPS Y14, 192(AX)
	VMOVUPS Y15, 224(AX)
	ADDQ    $256, AX
	CMPQ    AX, R11
	JNE     first

	// h = 64 floats.
	MOVQ $256, R8

next:
	LEAQ (R8)(R8*2), R9
	MOVQ R8, DX
	SHLQ $1, DX
	CMPQ DX, CX
	JEQ  radix2
	SHLQ $1, DX
	CMPQ DX, CX
	JEQ  radix4
	JGT  done
	JMP  radix8

done:
	VZEROUPPER
	RET

radix8:
	MOVQ DI, AX

r8block:
	MOVQ AX, BX
	LEAQ (AX)(R8*1), R10

r8col:
	LEAQ    (BX)(R8*4), DX
	VMOVUPS (BX), Y0
	VMOVUPS (BX)(R8*1), Y1
	VMOVUPS (BX)(R8*2), Y2
	VMOVUPS (BX)(R9*1), Y3
	VMOVUPS (DX), Y4
	VMOVUPS (DX)(R8*1), Y5
	VMOVUPS (DX)(R8*2), Y6
	VMOVUPS (DX)(R9*1), Y7
	RADIX8
	VMOVUPS Y8, (BX)
	VMOVUPS Y9, (BX)(R8*1)
	VMOVUPS Y10, (BX)(R8*2)
	VMOVUPS Y11, (BX)(R9*1)
	VMOVUPS Y12, (DX)
	VMOVUPS Y13, (DX)(R8*1)
	VMOVUPS Y14, (DX)(R8*2)
	VMOVUPS Y15, (DX)(R9*1)
	ADDQ    $32, BX
	CMPQ    BX, R10
	JNE     r8col
	LEAQ    (AX)(R8*8), AX
	CMPQ    AX, R11
	JNE     r8block
	SHLQ    $3, R8
	JMP     next

	// The last two stages, h and 2h = n/2: one block.
radix4:
	MOVQ DI, BX
	LEAQ (DI)(R8*1), R10

r4col:
	VMOVUPS (BX), Y0
	VMOVUPS (BX)(R8*1), Y1
	VMOVUPS (BX)(R8*2), Y2
	VMOVUPS (BX)(R9*1), Y3
	BF(Y0, Y1, Y8, Y9)
	BF(Y2, Y3, Y10, Y11)
	BF(Y8, Y10, Y0, Y2)
	BF(Y9, Y11, Y1, Y3)
	VMOVUPS Y0, (BX)
	VMOVUPS Y1, (BX)(R8*1)
	VMOVUPS Y2, (BX)(R8*2)
	VMOVUPS Y3, (BX)(R9*1)
	ADDQ    $32, BX
	CMPQ    BX, R10
	JNE     r4col
	VZEROUPPER
	RET

	// The last stage, h = n/2: one block.
radix2:
	MOVQ DI, BX
	LEAQ (DI)(R8*1), R10

r2col:
	VMOVUPS (BX), Y0
	VMOVUPS (BX)(R8*1), Y1
	BF(Y0, Y1, Y8, Y9)
	VMOVUPS Y8, (BX)
	VMOVUPS Y9, (BX)(R8*1)
	ADDQ    $32, BX
	CMPQ    BX, R10
	JNE     r2col
	VZEROUPPER
	RET
