#include "textflag.h"

// func col2imRow4s2AVX2(d, s0, s1, s2, s3 *float32, blocks int)
//
// Per block of 8 output columns: even = s1 then s3, odd = s0 then s2,
// interleaved and added to 16 values of d in that order.
TEXT ·col2imRow4s2AVX2(SB), NOSPLIT, $0-48
	MOVQ d+0(FP), DI
	MOVQ s0+8(FP), R8
	MOVQ s1+16(FP), R9
	MOVQ s2+24(FP), R10
	MOVQ s3+32(FP), R11
	MOVQ blocks+40(FP), CX

loop:
	VMOVUPS (R9), Y0  // s1: even, first
	VMOVUPS (R8), Y1  // s0: odd, first
	VMOVUPS (R11), Y2 // s3: even, second
	VMOVUPS (R10), Y3 // s2: odd, second

	// Interleave even and odd: [e0 o0 e1 o1 | e4 o4 e5 o5], [e2 o2 e3 o3 | e6 o6 e7 o7].
	VUNPCKLPS Y1, Y0, Y4
	VUNPCKHPS Y1, Y0, Y5
	VUNPCKLPS Y3, Y2, Y6
	VUNPCKHPS Y3, Y2, Y7

	// Columns 0–3 and 4–7 of the block, first and second taps.
	VPERM2F128 $0x20, Y5, Y4, Y8
	VPERM2F128 $0x31, Y5, Y4, Y9
	VPERM2F128 $0x20, Y7, Y6, Y10
	VPERM2F128 $0x31, Y7, Y6, Y11

	VADDPS (DI), Y8, Y8
	VADDPS 32(DI), Y9, Y9
	VADDPS Y10, Y8, Y8
	VADDPS Y11, Y9, Y9
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, 32(DI)

	ADDQ $64, DI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, R10
	ADDQ $32, R11
	DECQ CX
	JNZ  loop

	VZEROUPPER
	RET
