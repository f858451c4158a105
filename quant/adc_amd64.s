//go:build !purego

#include "textflag.h"

// The AVX2 ADC scan; see adc_amd64.go for the contract.
//
// Eight codes (rows) at a time. For each group of 8 sub-quantisers, each
// row's 8 code bytes are zero-extended to dwords, offset by the group's
// table rows ((m+l)*256 for lane l) and gathered from the table with one
// VGATHERDPS; row r accumulates in Y(r). At the end, three rounds of
// horizontal adds turn the 8 accumulators into one vector of 8 row sums.
//
// Register use:
//	SI      table
//	R8      row 0 of the current 8 codes, advanced by 8 bytes per group
//	R10     row 3 (R8 + 3*M), R12 row 6 (R8 + 6*M), advanced likewise
//	R9      M (bytes per code)
//	CX      M rounded down to a multiple of 8 (sub-quantisers done here)
//	DX      rows left (a multiple of 8)
//	DI      out
//	BX      the first row of the current 8 codes
//	AX      sub-quantiser index within the group loop
//	Y0-Y7   row sums
//	Y8-Y13  scratch
//	Y14     8*256 in every lane (the step between groups)
//	Y15     table offsets of the current group: (m+l)*256 in lane l

DATA adcoff<>+0x00(SB)/4, $0
DATA adcoff<>+0x04(SB)/4, $256
DATA adcoff<>+0x08(SB)/4, $512
DATA adcoff<>+0x0c(SB)/4, $768
DATA adcoff<>+0x10(SB)/4, $1024
DATA adcoff<>+0x14(SB)/4, $1280
DATA adcoff<>+0x18(SB)/4, $1536
DATA adcoff<>+0x1c(SB)/4, $1792
GLOBL adcoff<>(SB), RODATA|NOPTR, $32

DATA adcstep<>+0x00(SB)/4, $2048
GLOBL adcstep<>(SB), RODATA|NOPTR, $4

// ROW gathers the table entries of one row's 8 codes at addr into acc,
// using idx, val and mask as scratch.
#define ROW(addr, acc, idx, val, mask) \
	VPMOVZXBD  addr, idx                \
	VPADDD     Y15, idx, idx            \
	VPCMPEQD   mask, mask, mask         \
	VXORPS     val, val, val            \
	VGATHERDPS mask, (SI)(idx*4), val   \
	VADDPS     val, acc, acc

// func adcScanAVX2Rows(table *float32, codes *byte, m, m8, n8 int, bias float32, out *float32)
TEXT ·adcScanAVX2Rows(SB), NOSPLIT, $0-56
	MOVQ table+0(FP), SI
	MOVQ codes+8(FP), BX
	MOVQ m+16(FP), R9
	MOVQ m8+24(FP), CX
	MOVQ n8+32(FP), DX
	MOVQ out+48(FP), DI
	VPBROADCASTD adcstep<>(SB), Y14
	TESTQ DX, DX
	JZ    done
	TESTQ CX, CX
	JZ    done

block:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VMOVDQU adcoff<>(SB), Y15
	MOVQ BX, R8
	LEAQ (BX)(R9*2), R10
	ADDQ R9, R10
	LEAQ (R10)(R9*2), R12
	ADDQ R9, R12
	XORQ AX, AX

group:
	ROW((R8), Y0, Y8, Y9, Y10)
	ROW((R8)(R9*1), Y1, Y11, Y12, Y13)
	ROW((R8)(R9*2), Y2, Y8, Y9, Y10)
	ROW((R10), Y3, Y11, Y12, Y13)
	ROW((R10)(R9*1), Y4, Y8, Y9, Y10)
	ROW((R10)(R9*2), Y5, Y11, Y12, Y13)
	ROW((R12), Y6, Y8, Y9, Y10)
	ROW((R12)(R9*1), Y7, Y11, Y12, Y13)
	VPADDD Y14, Y15, Y15
	ADDQ   $8, R8
	ADDQ   $8, R10
	ADDQ   $8, R12
	ADDQ   $8, AX
	CMPQ   AX, CX
	JB     group

	// Row sums: after two rounds of VHADDPS, Y8 holds the sums of lanes 0-3
	// of rows 0-3 in its low half and of lanes 4-7 in its high half, Y9
	// the same for rows 4-7.
	VHADDPS    Y1, Y0, Y0
	VHADDPS    Y3, Y2, Y2
	VHADDPS    Y5, Y4, Y4
	VHADDPS    Y7, Y6, Y6
	VHADDPS    Y2, Y0, Y8
	VHADDPS    Y6, Y4, Y9
	VPERM2F128 $0x20, Y9, Y8, Y10
	VPERM2F128 $0x31, Y9, Y8, Y11
	VADDPS     Y11, Y10, Y10
	VBROADCASTSS bias+40(FP), Y12
	VADDPS     Y12, Y10, Y10
	VMOVUPS    Y10, (DI)

	ADDQ $32, DI
	LEAQ (BX)(R9*8), BX
	SUBQ $8, DX
	JNZ  block

done:
	VZEROUPPER
	RET

// The table kernels: for four panels of 16 centroids at a time (the layout
// of centroidTable, panels dim*16 floats apart), out[16p+l] is the squared
// distance (panelL2AVX2) or the inner product (panelDotAVX2) between x and
// centroid 16p+l, summed over the dimensions in order with fused
// multiply-adds. npanels must be a multiple of 4 and dim at least 1.
//
// Register use:
//	SI      x
//	CX      dim
//	R13     panel 4q; R12 walks panels 4q..4q+2 (indexed by R14), R11 4q+3
//	R14     the panel stride, dim*64 bytes
//	DX      panels left
//	DI      out
//	AX      dimension index
//	Y0-Y7   sums: panel 4q+j in Y(2j) (centroids 0-7) and Y(2j+1) (8-15)
//	Y8      x[d] in every lane; Y9-Y12 scratch

#define TABLEZERO \
	VXORPS Y0, Y0, Y0         \
	VXORPS Y1, Y1, Y1         \
	VXORPS Y2, Y2, Y2         \
	VXORPS Y3, Y3, Y3         \
	VXORPS Y4, Y4, Y4         \
	VXORPS Y5, Y5, Y5         \
	VXORPS Y6, Y6, Y6         \
	VXORPS Y7, Y7, Y7         \
	MOVQ   R13, R12           \
	LEAQ   (R13)(R14*2), R11  \
	ADDQ   R14, R11           \
	XORQ   AX, AX

#define TABLESTORE \
	VMOVUPS Y0, (DI)          \
	VMOVUPS Y1, 32(DI)        \
	VMOVUPS Y2, 64(DI)        \
	VMOVUPS Y3, 96(DI)        \
	VMOVUPS Y4, 128(DI)       \
	VMOVUPS Y5, 160(DI)       \
	VMOVUPS Y6, 192(DI)       \
	VMOVUPS Y7, 224(DI)       \
	ADDQ    $256, DI          \
	LEAQ    (R13)(R14*4), R13

// L2STEP adds (x[d] - c)^2 for the 8 centroids at addr into acc.
#define L2STEP(addr, tmp, acc) \
	VSUBPS      addr, Y8, tmp \
	VFMADD231PS tmp, tmp, acc

// func panelL2AVX2(x *float32, dim int, panels *float32, npanels int, out *float32)
TEXT ·panelL2AVX2(SB), NOSPLIT, $0-40
	MOVQ  x+0(FP), SI
	MOVQ  dim+8(FP), CX
	MOVQ  panels+16(FP), R13
	MOVQ  npanels+24(FP), DX
	MOVQ  out+32(FP), DI
	MOVQ  CX, R14
	SHLQ  $6, R14
	TESTQ DX, DX
	JZ    l2done

l2quad:
	TABLEZERO

l2dim:
	VBROADCASTSS (SI)(AX*4), Y8
	L2STEP((R12), Y9, Y0)
	L2STEP(32(R12), Y10, Y1)
	L2STEP((R12)(R14*1), Y11, Y2)
	L2STEP(32(R12)(R14*1), Y12, Y3)
	L2STEP((R12)(R14*2), Y9, Y4)
	L2STEP(32(R12)(R14*2), Y10, Y5)
	L2STEP((R11), Y11, Y6)
	L2STEP(32(R11), Y12, Y7)
	ADDQ $64, R12
	ADDQ $64, R11
	INCQ AX
	CMPQ AX, CX
	JB   l2dim

	TABLESTORE
	SUBQ $4, DX
	JNZ  l2quad

l2done:
	VZEROUPPER
	RET

// func panelDotAVX2(x *float32, dim int, panels *float32, npanels int, out *float32)
TEXT ·panelDotAVX2(SB), NOSPLIT, $0-40
	MOVQ  x+0(FP), SI
	MOVQ  dim+8(FP), CX
	MOVQ  panels+16(FP), R13
	MOVQ  npanels+24(FP), DX
	MOVQ  out+32(FP), DI
	MOVQ  CX, R14
	SHLQ  $6, R14
	TESTQ DX, DX
	JZ    dotdone

dotquad:
	TABLEZERO

dotdim:
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
	JB   dotdim

	TABLESTORE
	SUBQ $4, DX
	JNZ  dotquad

dotdone:
	VZEROUPPER
	RET
