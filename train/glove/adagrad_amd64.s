//go:build !purego

#include "textflag.h"

// The clip bounds, float32 +100 and -100 (loaded from memory: moving them
// through a general register would take a legacy SSE instruction, which is
// slow next to dirty upper YMM halves).
DATA clipmax<>+0(SB)/4, $0x42c80000
GLOBL clipmax<>(SB), RODATA|NOPTR, $4
DATA clipmin<>+0(SB)/4, $0xc2c80000
GLOBL clipmin<>(SB), RODATA|NOPTR, $4

// func adagradAVX2(wi, wj, gi, gj []float32, fdiff float32)
//
// The same operations as adagradGo, in the same order, eight lanes at a
// time: VMULPS, VMAXPS/VMINPS (the clip), VSQRTPS, VDIVPS, VSUBPS, and the
// squares added with VMULPS then VADDPS rather than a fused multiply-add,
// so every lane rounds exactly like the scalar code.
//
// Registers: SI wi, DI wj, R8 gi, R9 gj, CX length, AX index;
// Y0 fdiff, Y1 +100, Y2 -100.
TEXT ·adagradAVX2(SB), NOSPLIT, $0-100
	MOVQ         wi_base+0(FP), SI
	MOVQ         wi_len+8(FP), CX
	MOVQ         wj_base+24(FP), DI
	MOVQ         gi_base+48(FP), R8
	MOVQ         gj_base+72(FP), R9
	VBROADCASTSS fdiff+96(FP), Y0
	VBROADCASTSS clipmax<>(SB), Y1
	VBROADCASTSS clipmin<>(SB), Y2
	XORQ         AX, AX

loop:
	CMPQ    AX, CX
	JAE     done
	VMOVUPS (SI)(AX*4), Y3  // wi
	VMOVUPS (DI)(AX*4), Y4  // wj
	VMOVUPS (R8)(AX*4), Y7  // gi
	VMOVUPS (R9)(AX*4), Y8  // gj
	VMULPS  Y4, Y0, Y5      // t1 = fdiff*wj
	VMULPS  Y3, Y0, Y6      // t2 = fdiff*wi
	VMAXPS  Y2, Y5, Y5
	VMINPS  Y1, Y5, Y5
	VMAXPS  Y2, Y6, Y6
	VMINPS  Y1, Y6, Y6
	VSQRTPS Y7, Y9
	VSQRTPS Y8, Y10
	VDIVPS  Y9, Y5, Y9      // t1/sqrt(gi)
	VDIVPS  Y10, Y6, Y10    // t2/sqrt(gj)
	VSUBPS  Y9, Y3, Y3
	VSUBPS  Y10, Y4, Y4
	VMULPS  Y5, Y5, Y5
	VMULPS  Y6, Y6, Y6
	VADDPS  Y5, Y7, Y7
	VADDPS  Y6, Y8, Y8
	VMOVUPS Y3, (SI)(AX*4)
	VMOVUPS Y4, (DI)(AX*4)
	VMOVUPS Y7, (R8)(AX*4)
	VMOVUPS Y8, (R9)(AX*4)
	ADDQ    $8, AX
	JMP     loop

done:
	VZEROUPPER
	RET

// func prefetchAVX2(b []float32)
//
// PREFETCHT0 for each 64-byte line of b (b must not be empty).
TEXT ·prefetchAVX2(SB), NOSPLIT, $0-24
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), CX
	LEAQ -4(SI)(CX*4), CX // the last float

pf:
	PREFETCHT0 (SI)
	ADDQ       $64, SI
	CMPQ       SI, CX
	JBE        pf
	PREFETCHT0 (CX)
	RET
