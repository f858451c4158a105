//go:build !purego

#include "textflag.h"

// The nearest-centroid kernel over a panelled centroid table; see
// kmeans_amd64.go for the contract and kmeans_nearest.go for the layout.
//
// Register use:
//	R8-R11  the four query rows x0..x3 (never advanced)
//	CX      dim
//	SI      the current panel (16 centroids, dim*16 floats)
//	R13     the walk through the panel, 64 bytes per dimension
//	DI      the current 16 norms
//	DX      panels left
//	R12     index of the panel's first centroid
//	BX      best: for row r, 8 best scores at 64*r, 8 indices at 64*r+32
//	AX      dimension index
//	Y0-Y7   dot products: row r, centroids 0-7 in Y(2r), 8-15 in Y(2r+1)
//	Y8-Y15  scratch

// iota<> holds the int32 lane numbers 0..7.
DATA iota<>+0x00(SB)/4, $0
DATA iota<>+0x04(SB)/4, $1
DATA iota<>+0x08(SB)/4, $2
DATA iota<>+0x0c(SB)/4, $3
DATA iota<>+0x10(SB)/4, $4
DATA iota<>+0x14(SB)/4, $5
DATA iota<>+0x18(SB)/4, $6
DATA iota<>+0x1c(SB)/4, $7
GLOBL iota<>(SB), RODATA|NOPTR, $32

DATA eight<>+0x00(SB)/4, $8
GLOBL eight<>(SB), RODATA|NOPTR, $4

// posinf<> is the float32 +Inf.
DATA posinf<>+0x00(SB)/4, $0x7f800000
GLOBL posinf<>(SB), RODATA|NOPTR, $4

// minustwo<> is the float32 -2.
DATA minustwo<>+0x00(SB)/4, $0xc0000000
GLOBL minustwo<>(SB), RODATA|NOPTR, $4

// UPDATE folds the scores of row r (lo: centroids 0-7, hi: 8-15) into
// best at offset off: a lane takes a score only when it is strictly
// smaller, so each lane keeps the lowest index among its equal minima.
// Y14 and Y15 hold the indices of the lo and hi centroids.
#define UPDATE(lo, hi, off) \
	VMOVUPS   off(BX), Y8         \
	VMOVDQU   off+32(BX), Y9      \
	VCMPPS    $1, Y8, lo, Y10     \
	VBLENDVPS Y10, lo, Y8, Y8     \
	VBLENDVPS Y10, Y14, Y9, Y9    \
	VCMPPS    $1, Y8, hi, Y11     \
	VBLENDVPS Y11, hi, Y8, Y8     \
	VBLENDVPS Y11, Y15, Y9, Y9    \
	VMOVUPS   Y8, off(BX)         \
	VMOVDQU   Y9, off+32(BX)

// TAKE replaces the (score, index) lanes in Y0, Y1 by those in Y2, Y3 where
// the latter are smaller: a smaller score, or an equal score and a smaller
// index.
#define TAKE \
	VCMPPS    $1, Y0, Y2, Y4 \
	VCMPPS    $0, Y0, Y2, Y5 \
	VPCMPGTD  Y3, Y1, Y6     \
	VPAND     Y6, Y5, Y5     \
	VPOR      Y5, Y4, Y4     \
	VBLENDVPS Y4, Y2, Y0, Y0 \
	VBLENDVPS Y4, Y3, Y1, Y1

// REDUCE writes the index of the smallest of row r's 8 lane minima (at
// offset off in best) to off/16(R8), in three rounds of TAKE with the
// lanes 4, 2 and 1 apart.
#define REDUCE(off, o) \
	VMOVUPS    off(BX), Y0        \
	VMOVDQU    off+32(BX), Y1     \
	VPERM2F128 $1, Y0, Y0, Y2     \
	VPERM2F128 $1, Y1, Y1, Y3     \
	TAKE                          \
	VPSHUFD    $0x4e, Y0, Y2      \
	VPSHUFD    $0x4e, Y1, Y3      \
	TAKE                          \
	VPSHUFD    $0xb1, Y0, Y2      \
	VPSHUFD    $0xb1, Y1, Y3      \
	TAKE                          \
	VMOVD      X1, o(R8)

// func nearest4AVX2(x0, x1, x2, x3 *float32, dim int, panels, norms *float32, npanels, base int, best *[64]uint32, out *[4]int32)
TEXT ·nearest4AVX2(SB), NOSPLIT, $0-88
	MOVQ x0+0(FP), R8
	MOVQ x1+8(FP), R9
	MOVQ x2+16(FP), R10
	MOVQ x3+24(FP), R11
	MOVQ dim+32(FP), CX
	MOVQ panels+40(FP), SI
	MOVQ norms+48(FP), DI
	MOVQ npanels+56(FP), DX
	MOVQ base+64(FP), R12
	MOVQ best+72(FP), BX
	TESTQ DX, DX
	JZ    done

panel:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ   SI, R13
	XORQ   AX, AX
	TESTQ  CX, CX
	JZ     scores

dimloop:
	VMOVUPS      (R13), Y8
	VMOVUPS      32(R13), Y9
	VBROADCASTSS (R8)(AX*4), Y10
	VFMADD231PS  Y8, Y10, Y0
	VFMADD231PS  Y9, Y10, Y1
	VBROADCASTSS (R9)(AX*4), Y11
	VFMADD231PS  Y8, Y11, Y2
	VFMADD231PS  Y9, Y11, Y3
	VBROADCASTSS (R10)(AX*4), Y12
	VFMADD231PS  Y8, Y12, Y4
	VFMADD231PS  Y9, Y12, Y5
	VBROADCASTSS (R11)(AX*4), Y13
	VFMADD231PS  Y8, Y13, Y6
	VFMADD231PS  Y9, Y13, Y7
	ADDQ         $64, R13
	INCQ         AX
	CMPQ         AX, CX
	JB           dimloop

scores:
	// score = norm - 2*dot, one rounding (2*dot is exact).
	VMOVUPS      (DI), Y8
	VMOVUPS      32(DI), Y9
	VBROADCASTSS minustwo<>(SB), Y10
	VFMADD213PS  Y8, Y10, Y0
	VFMADD213PS  Y9, Y10, Y1
	VFMADD213PS  Y8, Y10, Y2
	VFMADD213PS  Y9, Y10, Y3
	VFMADD213PS  Y8, Y10, Y4
	VFMADD213PS  Y9, Y10, Y5
	VFMADD213PS  Y8, Y10, Y6
	VFMADD213PS  Y9, Y10, Y7

	// Y14 = base + lane, Y15 = base + 8 + lane.
	VMOVQ        R12, X14
	VPBROADCASTD X14, Y14
	VPADDD       iota<>(SB), Y14, Y14
	VPBROADCASTD eight<>(SB), Y15
	VPADDD       Y14, Y15, Y15

	UPDATE(Y0, Y1, 0)
	UPDATE(Y2, Y3, 64)
	UPDATE(Y4, Y5, 128)
	UPDATE(Y6, Y7, 192)

	MOVQ R13, SI
	ADDQ $64, DI
	ADDQ $16, R12
	DECQ DX
	JNZ  panel

done:
	MOVQ  out+80(FP), R8
	TESTQ R8, R8
	JZ    ret
	REDUCE(0, 0)
	REDUCE(64, 4)
	REDUCE(128, 8)
	REDUCE(192, 12)

ret:
	VZEROUPPER
	RET

// func nearest1AVX2(x *float32, dim int, panels, norms *float32, npanels int) int32
//
// The one-row kernel: the same arithmetic as nearest4AVX2 (so the same
// result for the same row), four panels at a time for eight independent
// sums, with the running lane minima kept in registers. npanels must be a
// positive multiple of 4.
//
// Register use:
//	SI      x; CX dim; AX dimension index
//	R13     panel 4q; R12 walks panels 4q..4q+2 (indexed by R14), R11 4q+3
//	R14     the panel stride, dim*64 bytes
//	DI      norms of panel 4q; DX panels left
//	Y0-Y7   dot products, then scores, of the 64 centroids
//	Y8      x[d]; Y9 the float32 -2; Y10 mask scratch
//	Y11     8 in every lane
//	Y12     lane minima; Y13 their indices; Y14 indices of the next 8 centroids
#define UPDATE1(y) \
	VCMPPS    $1, Y12, y, Y10   \
	VBLENDVPS Y10, y, Y12, Y12  \
	VBLENDVPS Y10, Y14, Y13, Y13 \
	VPADDD    Y11, Y14, Y14

TEXT ·nearest1AVX2(SB), NOSPLIT, $0-44
	MOVQ x+0(FP), SI
	MOVQ dim+8(FP), CX
	MOVQ panels+16(FP), R13
	MOVQ norms+24(FP), DI
	MOVQ npanels+32(FP), DX
	MOVQ CX, R14
	SHLQ $6, R14
	VBROADCASTSS minustwo<>(SB), Y9
	VPBROADCASTD eight<>(SB), Y11
	VMOVDQU      iota<>(SB), Y14
	VPXOR        Y13, Y13, Y13
	VBROADCASTSS posinf<>(SB), Y12

quad1:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ   R13, R12
	LEAQ   (R13)(R14*2), R11
	ADDQ   R14, R11
	XORQ   AX, AX

dim1:
	VBROADCASTSS (SI)(AX*4), Y8
	VFMADD231PS  (R12), Y8, Y0
	VFMADD231PS  32(R12), Y8, Y1
	VFMADD231PS  (R12)(R14*1), Y8, Y2
	VFMADD231PS  32(R12)(R14*1), Y8, Y3
	VFMADD231PS  (R12)(R14*2), Y8, Y4
	VFMADD231PS  32(R12)(R14*2), Y8, Y5
	VFMADD231PS  (R11), Y8, Y6
	VFMADD231PS  32(R11), Y8, Y7
	ADDQ $64, R12
	ADDQ $64, R11
	INCQ AX
	CMPQ AX, CX
	JB   dim1

	VFMADD213PS (DI), Y9, Y0
	VFMADD213PS 32(DI), Y9, Y1
	VFMADD213PS 64(DI), Y9, Y2
	VFMADD213PS 96(DI), Y9, Y3
	VFMADD213PS 128(DI), Y9, Y4
	VFMADD213PS 160(DI), Y9, Y5
	VFMADD213PS 192(DI), Y9, Y6
	VFMADD213PS 224(DI), Y9, Y7
	UPDATE1(Y0)
	UPDATE1(Y1)
	UPDATE1(Y2)
	UPDATE1(Y3)
	UPDATE1(Y4)
	UPDATE1(Y5)
	UPDATE1(Y6)
	UPDATE1(Y7)

	ADDQ $256, DI
	LEAQ (R13)(R14*4), R13
	SUBQ $4, DX
	JNZ  quad1

	// Reduce the lanes as REDUCE does.
	VMOVAPS Y12, Y0
	VMOVDQA Y13, Y1
	VPERM2F128 $1, Y0, Y0, Y2
	VPERM2F128 $1, Y1, Y1, Y3
	TAKE
	VPSHUFD    $0x4e, Y0, Y2
	VPSHUFD    $0x4e, Y1, Y3
	TAKE
	VPSHUFD    $0xb1, Y0, Y2
	VPSHUFD    $0xb1, Y1, Y3
	TAKE
	VMOVD      X1, AX
	MOVL       AX, ret+40(FP)
	VZEROUPPER
	RET
