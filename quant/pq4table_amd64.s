//go:build !purego

#include "textflag.h"

// The two passes of the AVX2 pq4Table; see pq4table_amd64.go for the
// contracts and pq4table.go for the definition they must match bit for bit.

DATA pq4sign<>+0x00(SB)/4, $0x80000000
GLOBL pq4sign<>(SB), RODATA|NOPTR, $4

DATA pq4half<>+0x00(SB)/4, $0x3f000000
GLOBL pq4half<>(SB), RODATA|NOPTR, $4

DATA pq4lowbyte<>+0x00(SB)/4, $0x000000ff
GLOBL pq4lowbyte<>(SB), RODATA|NOPTR, $4

// The dword order that VPERMD applies after the two packs of a pair of
// sub-quantisers A and B: the packs leave 4-entry groups in the order
// A0 A2 B0 B2 A1 A3 B1 B3 (Ak holds entries 4k..4k+3 of A), and the lut
// wants A0 A1 A2 A3 B0 B1 B2 B3.
DATA pq4order<>+0x00(SB)/4, $0
DATA pq4order<>+0x04(SB)/4, $4
DATA pq4order<>+0x08(SB)/4, $1
DATA pq4order<>+0x0c(SB)/4, $5
DATA pq4order<>+0x10(SB)/4, $2
DATA pq4order<>+0x14(SB)/4, $6
DATA pq4order<>+0x18(SB)/4, $3
DATA pq4order<>+0x1c(SB)/4, $7
GLOBL pq4order<>(SB), RODATA|NOPTR, $32

// Both passes must reproduce pq4TableGo bit for bit (except for the order
// in which base is summed), including its handling of NaN: the Go loop
// starts the minimum and maximum from entry 0 and skips NaN values after
// it. VMINPS and VMAXPS return their second source when either is NaN, so
// starting every lane from entry 0 (broadcast) and folding each half in as
// the first source does that lane by lane. Then a sub-quantiser's partial
// minima are all NaN (entry 0 is NaN) or none is, and can be combined in
// any order. The span is tracked with VMAXPS/VMAXSS with the new range as
// the first source, so a NaN range keeps the old span as the Go "if hi-lo >
// span" does.
//
// The first pass stores minus each minimum, so that the second can compute
// t - lo as the exactly equal -lo + t with t as a memory operand.

// LOADB and LOADA load the values t of the sub-quantiser at offset off of
// a (SI), plus b (DX) for LOADB, entries 0-7 into r0 and 8-15 into r1.
#define LOADB(off, r0, r1) \
	VMOVUPS off(SI), r0          \
	VMOVUPS off+32(SI), r1       \
	VADDPS  off(DX), r0, r0      \
	VADDPS  off+32(DX), r1, r1

#define LOADA(off, r0, r1) \
	VMOVUPS off(SI), r0          \
	VMOVUPS off+32(SI), r1

// PAIR loads sub-quantisers s (at off) and s+4 (at off+256) of a group of 8
// with LD, stores them to ft (DI) and leaves their lane-wise minima in mn
// and maxima in mx: lanes 0-3 fold the 8 lanes of s and lanes 4-7 those of
// s+4. Y0-Y6 are scratch.
#define PAIR(LD, off, mn, mx) \
	LD(off, Y0, Y1)                    \
	LD(off+256, Y4, Y5)                \
	VMOVUPS      Y0, off(DI)           \
	VMOVUPS      Y1, off+32(DI)        \
	VMOVUPS      Y4, off+256(DI)       \
	VMOVUPS      Y5, off+288(DI)       \
	VBROADCASTSS off(DI), Y2           \
	VBROADCASTSS off+256(DI), Y6       \
	VMINPS       Y2, Y0, Y3            \
	VMAXPS       Y2, Y0, Y2            \
	VMINPS       Y3, Y1, Y3            \
	VMAXPS       Y2, Y1, Y2            \
	VMINPS       Y6, Y4, Y0            \
	VMAXPS       Y6, Y4, Y6            \
	VMINPS       Y0, Y5, Y0            \
	VMAXPS       Y6, Y5, Y6            \
	VBLENDPS     $0xf0, Y0, Y3, Y1     \
	VPERM2F128   $0x21, Y0, Y3, Y4     \
	VMINPS       Y4, Y1, mn            \
	VBLENDPS     $0xf0, Y6, Y2, Y1     \
	VPERM2F128   $0x21, Y6, Y2, Y4     \
	VMAXPS       Y4, Y1, mx

// FOLD64 combines the PAIR results u (sub-quantisers s and s+4) and v (s+1
// and s+5) with op into r, whose 64-bit lane halves then hold, in order,
// s, s+1, s+4 and s+5 (two partial results each).
#define FOLD64(op, u, v, r) \
	VBLENDPS $0xcc, v, u, Y0 \
	VSHUFPS  $0x4e, v, u, Y1 \
	op       Y1, Y0, r

// GROUP handles the 8 sub-quantisers of 512 bytes at SI (and DX), folding
// their minima into Y0 and maxima into Y1, in sub-quantiser order: after
// FOLD64, Y11/Y12 hold s = 0, 1, 4, 5 and Y7/Y8 s = 2, 3, 6, 7, and the
// last shuffles interleave their 32-bit pairs. It then adds the minima to
// the base lanes (Y14), raises the span lanes (Y15) to the ranges and
// stores minus the minima to R8.
#define GROUP(LD) \
	PAIR(LD, 0, Y7, Y8)                \
	PAIR(LD, 64, Y9, Y10)              \
	FOLD64(VMINPS, Y7, Y9, Y11)        \
	FOLD64(VMAXPS, Y8, Y10, Y12)       \
	PAIR(LD, 128, Y7, Y8)              \
	PAIR(LD, 192, Y9, Y10)             \
	FOLD64(VMINPS, Y7, Y9, Y7)         \
	FOLD64(VMAXPS, Y8, Y10, Y8)        \
	VSHUFPS $0x88, Y7, Y11, Y0         \
	VSHUFPS $0xdd, Y7, Y11, Y1         \
	VMINPS  Y1, Y0, Y0                 \
	VSHUFPS $0x88, Y8, Y12, Y1         \
	VSHUFPS $0xdd, Y8, Y12, Y2         \
	VMAXPS  Y2, Y1, Y1                 \
	VADDPS  Y0, Y14, Y14               \
	VSUBPS  Y0, Y1, Y1                 \
	VMAXPS  Y15, Y1, Y15               \
	VXORPS  Y13, Y0, Y0                \
	VMOVUPS Y0, (R8)                   \
	ADDQ    $512, SI                   \
	ADDQ    $512, DI                   \
	ADDQ    $32, R8

// ONE handles one sub-quantiser, loaded into Y0 and Y1, after the groups:
// it stores it to ft (DI) and minus its minimum to R8, adds the minimum to
// the base in X14 and raises the span in X15. The maximum is negated so
// that one chain of VMINPS reduces both: lanes 0-3 of Y5 fold the minimum
// and lanes 4-7 minus the maximum. -(-max + min) is exactly max - min, as
// rounding is symmetric.
#define ONE \
	VMOVUPS      Y0, (DI)          \
	VMOVUPS      Y1, 32(DI)        \
	VBROADCASTSS (DI), Y2          \
	VMINPS       Y2, Y0, Y3        \
	VMAXPS       Y2, Y0, Y4        \
	VMINPS       Y3, Y1, Y3        \
	VMAXPS       Y4, Y1, Y4        \
	VXORPS       Y13, Y4, Y4       \
	VBLENDPS     $0xf0, Y4, Y3, Y5 \
	VPERM2F128   $0x21, Y4, Y3, Y6 \
	VMINPS       Y6, Y5, Y5        \
	VPERMILPS    $0x4e, Y5, Y6     \
	VMINPS       Y6, Y5, Y5        \
	VPERMILPS    $0xb1, Y5, Y6     \
	VMINPS       Y6, Y5, Y5        \
	VEXTRACTF128 $1, Y5, X6        \
	VXORPS       X13, X5, X7       \
	VMOVSS       X7, (R8)          \
	VADDSS       X5, X14, X14      \
	VADDSS       X5, X6, X6        \
	VXORPS       X13, X6, X6       \
	VMAXSS       X15, X6, X15      \
	ADDQ         $64, DI           \
	ADDQ         $4, R8

// func pq4MinMaxAVX2(a, b *float32, m int, ft, negMins *float32) (base, span float32)
//
// Groups of 8 sub-quantisers, then one at a time.
//
// Register use:
//	SI      a, DX b (or nil), DI ft, R8 negMins, advanced as they are used
//	AX      groups left, then CX sub-quantisers left
//	Y14     the base: sums of minima, by lane, then in X14 in total
//	Y15     the span: largest ranges, by lane, then in X15 overall
//	Y13     the sign bit in every lane
//	Y0-Y12  scratch
TEXT ·pq4MinMaxAVX2(SB), NOSPLIT, $0-48
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DX
	MOVQ m+16(FP), CX
	MOVQ ft+24(FP), DI
	MOVQ negMins+32(FP), R8
	VXORPS       Y14, Y14, Y14
	VXORPS       Y15, Y15, Y15
	VBROADCASTSS pq4sign<>(SB), Y13
	MOVQ         CX, AX
	SHRQ         $3, AX
	ANDQ         $7, CX
	TESTQ        AX, AX
	JZ           reduce
	TESTQ        DX, DX
	JZ           groupa

groupb:
	GROUP(LOADB)
	ADDQ $512, DX
	DECQ AX
	JNZ  groupb
	JMP  reduce

groupa:
	GROUP(LOADA)
	DECQ AX
	JNZ  groupa

reduce:
	VEXTRACTF128 $1, Y14, X0
	VADDPS       X0, X14, X14
	VPERMILPS    $0x4e, X14, X0
	VADDPS       X0, X14, X14
	VPERMILPS    $0xb1, X14, X0
	VADDSS       X0, X14, X14
	VEXTRACTF128 $1, Y15, X0
	VMAXPS       X0, X15, X15
	VPERMILPS    $0x4e, X15, X0
	VMAXPS       X0, X15, X15
	VPERMILPS    $0xb1, X15, X0
	VMAXSS       X0, X15, X15
	TESTQ        CX, CX
	JZ           done
	TESTQ        DX, DX
	JZ           onea

oneb:
	LOADB(0, Y0, Y1)
	ONE
	ADDQ $64, SI
	ADDQ $64, DX
	DECQ CX
	JNZ  oneb
	JMP  done

onea:
	LOADA(0, Y0, Y1)
	ONE
	ADDQ $64, SI
	DECQ CX
	JNZ  onea

done:
	VMOVSS X14, base+40(FP)
	VMOVSS X15, span+44(FP)
	VZEROUPPER
	RET

// QUANT sets the 8 dwords of r to int32((t - lo) * inv + 0.5) & 0xff, for
// the entries t at mem and nlo = -lo, with t - lo computed as nlo + t: the
// low byte, as the Go conversion byte(int32(x)) keeps, so that the packs
// below never saturate and the result is the Go one even when x is out of
// range (VCVTTPS2DQ and the Go conversion on amd64 both give 0x80000000).
// The multiply and the add are separate instructions, rounded like the Go.
#define QUANT(mem, nlo, r) \
	VADDPS     mem, nlo, r \
	VMULPS     Y13, r, r \
	VADDPS     Y14, r, r \
	VCVTTPS2DQ r, r      \
	VPAND      Y15, r, r

// func pq4QuantiseAVX2(ft, negMins *float32, m int, inv float32, lut *byte)
//
// Two sub-quantisers (one 32-byte group of lut) per iteration; an odd last
// one is quantised next to zeros, which become its padding partner's
// entries.
//
// Register use:
//	SI      ft, R8 negMins, DI lut, advanced per pair
//	CX      pairs left
//	Y0, Y1  minus the two minima, broadcast
//	Y2-Y5   entries 0-7 and 8-15 of the first, then of the second
//	Y12     pq4order; Y13 inv; Y14 0.5; Y15 0xff, in every lane
TEXT ·pq4QuantiseAVX2(SB), NOSPLIT, $0-40
	MOVQ ft+0(FP), SI
	MOVQ negMins+8(FP), R8
	MOVQ m+16(FP), CX
	MOVQ lut+32(FP), DI
	VMOVDQU      pq4order<>(SB), Y12
	VBROADCASTSS inv+24(FP), Y13
	VBROADCASTSS pq4half<>(SB), Y14
	VPBROADCASTD pq4lowbyte<>(SB), Y15
	MOVQ CX, AX
	SHRQ $1, CX
	JZ   last

pair:
	VBROADCASTSS (R8), Y0
	VBROADCASTSS 4(R8), Y1
	QUANT((SI), Y0, Y2)
	QUANT(32(SI), Y0, Y3)
	QUANT(64(SI), Y1, Y4)
	QUANT(96(SI), Y1, Y5)
	VPACKUSDW    Y3, Y2, Y2
	VPACKUSDW    Y5, Y4, Y4
	VPACKUSWB    Y4, Y2, Y2
	VPERMD       Y2, Y12, Y2
	VMOVDQU      Y2, (DI)
	ADDQ         $128, SI
	ADDQ         $8, R8
	ADDQ         $32, DI
	DECQ         CX
	JNZ          pair

last:
	TESTQ $1, AX
	JZ    end
	VBROADCASTSS (R8), Y0
	QUANT((SI), Y0, Y2)
	QUANT(32(SI), Y0, Y3)
	VPACKUSDW    Y3, Y2, Y2
	VPXOR        Y4, Y4, Y4
	VPACKUSWB    Y4, Y2, Y2
	VPERMD       Y2, Y12, Y2
	VMOVDQU      Y2, (DI)

end:
	VZEROUPPER
	RET
