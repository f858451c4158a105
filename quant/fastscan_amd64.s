//go:build !purego

#include "textflag.h"

// The AVX2 fast-scan kernel; see fastscan_kernel.go for the layout and
// fastscan_amd64.go for the contract.
//
// For each block, for each pair of sub-quantisers, the 32 code bytes are
// split into their low nibbles (vectors 0..15) and high nibbles (vectors
// 16..31), and each set is looked up in the pair's two tables with one
// VPSHUFB: lane 0 gives sub-quantiser 2p's entries and lane 1 those of 2p+1,
// for the same 16 vectors.
//
// The looked-up bytes must be summed in 16 bits. Rather than mask out the
// even bytes, each 32-byte result is added as 16 words, whose word k is
// even + 256*odd (byte 2k plus 256 times byte 2k+1), and its odd bytes,
// shifted down, are added to a second accumulator. At the end of the block
// the even sums are the first accumulator minus 256 times the second,
// modulo 2^16; as the true even sums are below 2^16 (at most 128 terms of
// 255 per lane), that is exact. This saves a VPAND per lookup in the inner
// loop for two instructions per block.
//
// Two blocks are scanned at once, sharing each pair's table load and giving
// the core two independent streams of work per iteration; an odd last
// block is scanned alone.
//
// The lut and a block's codes advance by the same 32 bytes per pair, so one
// negative index counting up to zero addresses both from their ends.
//
// Register use:
//	SI      end of lut
//	R8      end of the first current block of codes
//	R9      end of the second current block (R8 + pairs*32)
//	CX      -pairs*32
//	AX      index of the current pair, from CX up to 0
//	DX      blocks left
//	DI      out
//	Y0-Y3   first block's sums: low nibbles (vectors 0..15) as words and
//	        their odd bytes, high nibbles (vectors 16..31) likewise
//	Y4-Y7   second block's sums, likewise
//	Y8      the current pair's two tables
//	Y9-Y14  scratch
//	Y15     0x0f in every byte

DATA fsnib<>+0x00(SB)/1, $0x0f
GLOBL fsnib<>(SB), RODATA|NOPTR, $1

// LOOKUP adds the pair's table entries (in Y8) picked by the 32 code bytes
// in codes to the sums a0-a3, using codes and hi as scratch.
#define LOOKUP(codes, hi, a0, a1, a2, a3) \
	VPSRLW  $4, codes, hi       \
	VPAND   Y15, codes, codes   \
	VPAND   Y15, hi, hi         \
	VPSHUFB codes, Y8, codes    \
	VPSHUFB hi, Y8, hi          \
	VPADDW  codes, a0, a0       \
	VPSRLW  $8, codes, codes    \
	VPADDW  codes, a1, a1       \
	VPADDW  hi, a2, a2          \
	VPSRLW  $8, hi, hi          \
	VPADDW  hi, a3, a3

// STORE turns a block's sums a0-a3 into its 32 uint16 results and stores
// them at off(DI), using t0-t3 as scratch; x2 and x3 must name the low
// halves of t2 and t3.
//
// First the even vectors' sums are recovered: a0 -= a1<<8, a2 -= a3<<8.
// Then the two lanes (the two sub-quantisers of every pair) are added,
// putting the low nibbles' sums in lane 0 and the high nibbles' in lane 1,
// t0 for the even vectors and t1 for the odd ones. Interleaving these gives
// vectors 0..7 and 16..23 in t2, 8..15 and 24..31 in t3.
#define STORE(a0, a1, a2, a3, t0, t1, t2, t3, x2, x3, off) \
	VPSLLW       $8, a1, t0              \
	VPSUBW       t0, a0, a0              \
	VPSLLW       $8, a3, t1              \
	VPSUBW       t1, a2, a2              \
	VPERM2I128   $0x20, a2, a0, t0       \
	VPERM2I128   $0x31, a2, a0, t2       \
	VPADDW       t2, t0, t0              \
	VPERM2I128   $0x20, a3, a1, t1       \
	VPERM2I128   $0x31, a3, a1, t3       \
	VPADDW       t3, t1, t1              \
	VPUNPCKLWD   t1, t0, t2              \
	VPUNPCKHWD   t1, t0, t3              \
	VMOVDQU      x2, off+0(DI)           \
	VMOVDQU      x3, off+16(DI)          \
	VEXTRACTI128 $1, t2, off+32(DI)      \
	VEXTRACTI128 $1, t3, off+48(DI)

// func fastScanAVX2Blocks(lut, packed *byte, pairs, nblocks int, out *uint16)
TEXT ·fastScanAVX2Blocks(SB), NOSPLIT, $0-40
	MOVQ lut+0(FP), SI
	MOVQ packed+8(FP), R8
	MOVQ pairs+16(FP), CX
	MOVQ nblocks+24(FP), DX
	MOVQ out+32(FP), DI
	VPBROADCASTB fsnib<>(SB), Y15
	SHLQ $5, CX
	ADDQ CX, SI
	NEGQ CX
	TESTQ CX, CX
	JZ    done

two:
	CMPQ  DX, $2
	JLT   one
	SUBQ  CX, R8
	MOVQ  R8, R9
	SUBQ  CX, R9
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	MOVQ  CX, AX

twopair:
	VMOVDQU (SI)(AX*1), Y8
	VMOVDQU (R8)(AX*1), Y9
	VMOVDQU (R9)(AX*1), Y11
	LOOKUP(Y9, Y10, Y0, Y1, Y2, Y3)
	LOOKUP(Y11, Y12, Y4, Y5, Y6, Y7)
	ADDQ    $32, AX
	JNZ     twopair

	STORE(Y0, Y1, Y2, Y3, Y8, Y9, Y10, Y11, X10, X11, 0)
	STORE(Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, X10, X11, 64)
	MOVQ R9, R8
	ADDQ $128, DI
	SUBQ $2, DX
	JMP  two

one:
	TESTQ DX, DX
	JZ    done
	SUBQ  CX, R8
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	MOVQ  CX, AX

onepair:
	VMOVDQU (SI)(AX*1), Y8
	VMOVDQU (R8)(AX*1), Y9
	LOOKUP(Y9, Y10, Y0, Y1, Y2, Y3)
	ADDQ    $32, AX
	JNZ     onepair

	STORE(Y0, Y1, Y2, Y3, Y8, Y9, Y10, Y11, X10, X11, 0)

done:
	VZEROUPPER
	RET
