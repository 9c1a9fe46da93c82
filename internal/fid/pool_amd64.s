#include "textflag.h"

// The AVX2 rows of maxPool3s2 (inception.go). Each maximum is taken as the
// Go loop takes it, m = v > m ? v : m from m = −Inf in order, which is
// VMAXPS with v as its first source: it returns its second source, m, when
// v is not greater, NaN included. So the bits are the Go loop's, ±0 ties
// and NaNs included.

DATA negInf<>+0(SB)/4, $0xff800000
GLOBL negInf<>(SB), RODATA|NOPTR, $4

// func maxWindows3s2AVX2(src, dst *float32, n int)
//
// dst[j] = max(src[2j], src[2j+1], src[2j+2]) for j < n, n a multiple of 8;
// it reads src[0 … 2n+1].
TEXT ·maxWindows3s2AVX2(SB), NOSPLIT, $0-24
	MOVQ src+0(FP), SI
	MOVQ dst+8(FP), DI
	MOVQ n+16(FP), CX
	VBROADCASTSS negInf<>(SB), Y7

winLoop:
	CMPQ CX, $8
	JL   winDone
	VMOVUPS (SI), Y0     // s0 … s7
	VMOVUPS 32(SI), Y1   // s8 … s15
	VMOVUPS 8(SI), Y2    // s2 … s9
	VMOVUPS 40(SI), Y3   // s10 … s17

	// Evens and odds of each pair of registers, lane by lane, then the
	// 64-bit quarters put back in order (0, 2, 1, 3).
	VSHUFPS $0x88, Y1, Y0, Y4 // s0 s2 s8 s10 | s4 s6 s12 s14
	VSHUFPS $0xdd, Y1, Y0, Y5 // s1 s3 s9 s11 | s5 s7 s13 s15
	VSHUFPS $0x88, Y3, Y2, Y6 // s2 s4 s10 s12 | s6 s8 s14 s16
	VPERMPD $0xd8, Y4, Y4     // s0 s2 … s14
	VPERMPD $0xd8, Y5, Y5     // s1 s3 … s15
	VPERMPD $0xd8, Y6, Y6     // s2 s4 … s16

	VMAXPS Y7, Y4, Y4 // m = s[2j] > −Inf ? s[2j] : −Inf
	VMAXPS Y4, Y5, Y4 // m = s[2j+1] > m ? s[2j+1] : m
	VMAXPS Y4, Y6, Y4 // m = s[2j+2] > m ? s[2j+2] : m
	VMOVUPS Y4, (DI)

	ADDQ $64, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  winLoop

winDone:
	VZEROUPPER
	RET

// func max3AVX2(a, b, c, dst *float32, n int)
//
// dst[j] = max(a[j], b[j], c[j]) for j < n, n a multiple of 8.
TEXT ·max3AVX2(SB), NOSPLIT, $0-40
	MOVQ a+0(FP), AX
	MOVQ b+8(FP), BX
	MOVQ c+16(FP), DX
	MOVQ dst+24(FP), DI
	MOVQ n+32(FP), CX
	VBROADCASTSS negInf<>(SB), Y7

max3Loop:
	CMPQ CX, $8
	JL   max3Done
	VMOVUPS (AX), Y0
	VMOVUPS (BX), Y1
	VMOVUPS (DX), Y2
	VMAXPS  Y7, Y0, Y0
	VMAXPS  Y0, Y1, Y0
	VMAXPS  Y0, Y2, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, AX
	ADDQ $32, BX
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  max3Loop

max3Done:
	VZEROUPPER
	RET
