//go:build !purego

#include "textflag.h"

// func prefetchRows(m []float32, ids []int32, dim int)
//	SI  &m[0]
//	DI  &ids[0], advanced
//	CX  ids left
//	DX  row size in bytes
//	AX  line of the current row, R8 bytes of it left from AX
TEXT ·prefetchRows(SB), NOSPLIT, $0-56
	MOVQ  m_base+0(FP), SI
	MOVQ  ids_base+24(FP), DI
	MOVQ  ids_len+32(FP), CX
	MOVQ  dim+48(FP), DX
	SHLQ  $2, DX
	TESTQ CX, CX
	JZ    done
	TESTQ DX, DX
	JZ    done

row:
	MOVLQSX (DI), AX
	IMULQ   DX, AX
	ADDQ    SI, AX
	MOVQ    AX, R9
	ANDQ    $63, R9
	SUBQ    R9, AX
	LEAQ    (DX)(R9*1), R8

line:
	PREFETCHT0 (AX)
	ADDQ       $64, AX
	SUBQ       $64, R8
	JG         line
	ADDQ       $4, DI
	DECQ       CX
	JNZ        row

done:
	RET
