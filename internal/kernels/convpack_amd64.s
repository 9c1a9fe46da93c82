#include "textflag.h"

// func copyRunsAVX2(rows int, offs *int, runs *lowRun, nruns int, x, dst *float32)
//
// For each row r < rows and each run s: the 16 floats at x[offs[r]+s.src]
// go to dst[16·r+s.at] (see copyRuns). A run is {at, src int}, 16 bytes.
TEXT ·copyRunsAVX2(SB), NOSPLIT, $0-48
	MOVQ rows+0(FP), CX
	MOVQ offs+8(FP), SI
	MOVQ runs+16(FP), R8
	MOVQ nruns+24(FP), R9
	MOVQ x+32(FP), R10
	MOVQ dst+40(FP), DI
	TESTQ CX, CX
	JZ   done

row:
	MOVQ (SI), AX
	LEAQ (R10)(AX*4), R11 // &x[offs[r]]
	MOVQ R8, R12
	MOVQ R9, R13

run:
	MOVQ 0(R12), DX // at
	MOVQ 8(R12), BX // src
	VMOVUPS (R11)(BX*4), Y0
	VMOVUPS 32(R11)(BX*4), Y1
	VMOVUPS Y0, (DI)(DX*4)
	VMOVUPS Y1, 32(DI)(DX*4)
	ADDQ $16, R12
	DECQ R13
	JNZ  run

	ADDQ $8, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  row

done:
	VZEROUPPER
	RET

// func deinterleave2AVX2(n int, src, even, odd *float32)
//
// even[i] = src[2i] and odd[i] = src[2i+1] for i < n, n a multiple of 8.
TEXT ·deinterleave2AVX2(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ even+16(FP), DI
	MOVQ odd+24(FP), DX
	SHRQ $3, CX
	JZ   pairsdone

pairs:
	VMOVUPS (SI), Y0               // s0 … s7
	VMOVUPS 32(SI), Y1             // s8 … s15
	VSHUFPS $0x88, Y1, Y0, Y2      // s0 s2 s8 s10 | s4 s6 s12 s14
	VSHUFPS $0xDD, Y1, Y0, Y3      // s1 s3 s9 s11 | s5 s7 s13 s15
	VPERMPD $0xD8, Y2, Y2          // s0 s2 s4 s6 s8 s10 s12 s14
	VPERMPD $0xD8, Y3, Y3
	VMOVUPS Y2, (DI)
	VMOVUPS Y3, (DX)
	ADDQ    $64, SI
	ADDQ    $32, DI
	ADDQ    $32, DX
	DECQ    CX
	JNZ     pairs

pairsdone:
	VZEROUPPER
	RET
