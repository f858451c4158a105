//go:build !purego

#include "textflag.h"

// func sumAVX2(buf []uint64) uint64
// SI walks buf, CX is the end; len(buf) is a multiple of 32 words.
// Besides the hardware prefetchers, each iteration prefetches the 256 bytes
// 2 KiB ahead: on the machines measured that raises one core's DRAM read
// rate by about 8%, and the distance kernels do the same, so this measures
// the rate a well-written scan can reach. Prefetching past the end of buf
// never faults.
TEXT ·sumAVX2(SB), NOSPLIT, $0-32
	MOVQ   buf_base+0(FP), SI
	MOVQ   buf_len+8(FP), CX
	LEAQ   (SI)(CX*8), CX
	VPXOR  Y0, Y0, Y0
	VPXOR  Y1, Y1, Y1
	VPXOR  Y2, Y2, Y2
	VPXOR  Y3, Y3, Y3
	VPXOR  Y4, Y4, Y4
	VPXOR  Y5, Y5, Y5
	VPXOR  Y6, Y6, Y6
	VPXOR  Y7, Y7, Y7
	CMPQ   SI, CX
	JAE    reduce

loop:
	PREFETCHT0 2048(SI)
	PREFETCHT0 2112(SI)
	PREFETCHT0 2176(SI)
	PREFETCHT0 2240(SI)
	VPADDQ (SI), Y0, Y0
	VPADDQ 32(SI), Y1, Y1
	VPADDQ 64(SI), Y2, Y2
	VPADDQ 96(SI), Y3, Y3
	VPADDQ 128(SI), Y4, Y4
	VPADDQ 160(SI), Y5, Y5
	VPADDQ 192(SI), Y6, Y6
	VPADDQ 224(SI), Y7, Y7
	ADDQ   $256, SI
	CMPQ   SI, CX
	JB     loop

reduce:
	VPADDQ       Y1, Y0, Y0
	VPADDQ       Y3, Y2, Y2
	VPADDQ       Y5, Y4, Y4
	VPADDQ       Y7, Y6, Y6
	VPADDQ       Y2, Y0, Y0
	VPADDQ       Y6, Y4, Y4
	VPADDQ       Y4, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDQ       X1, X0, X0
	VPSHUFD      $0x4e, X0, X1
	VPADDQ       X1, X0, X0
	VMOVQ        X0, ret+24(FP)
	VZEROUPPER
	RET
