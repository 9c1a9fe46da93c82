#include "textflag.h"

// The loops below do eight floats per step and leave the n mod 8 tail to
// their Go callers. A value's multiplier (1 or alpha) is chosen by a blend
// on the integer compare int32(bits(x)) > 0 — signSelect's test, so NaNs
// and ±0 get the multiplier they get there and the bits are the same.

// func leakyAVX2(x, y *float32, n int, alpha float32)
TEXT ·leakyAVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VBROADCASTSS alpha+24(FP), Y1
	VXORPS Y2, Y2, Y2

leakyLoop:
	CMPQ CX, $8
	JL   leakyDone
	VMOVUPS (SI), Y0
	VMULPS  Y1, Y0, Y3            // x·alpha
	VPCMPGTD Y2, Y0, Y4           // x > 0, read as int32 bits
	VBLENDVPS Y4, Y0, Y3, Y5      // x where x > 0, else x·alpha
	VMOVUPS Y5, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  leakyLoop

leakyDone:
	VZEROUPPER
	RET

// func leakyBackwardAVX2(x, dy, dx *float32, n int, alpha float32)
TEXT ·leakyBackwardAVX2(SB), NOSPLIT, $0-36
	MOVQ x+0(FP), SI
	MOVQ dy+8(FP), BX
	MOVQ dx+16(FP), DI
	MOVQ n+24(FP), CX
	VBROADCASTSS alpha+32(FP), Y1
	VXORPS Y2, Y2, Y2

backLoop:
	CMPQ CX, $8
	JL   backDone
	VMOVUPS (SI), Y0
	VMOVUPS (BX), Y6
	VMULPS  Y1, Y6, Y3            // dy·alpha
	VPCMPGTD Y2, Y0, Y4           // x > 0, read as int32 bits
	VBLENDVPS Y4, Y6, Y3, Y5      // dy where x > 0, else dy·alpha
	VMOVUPS Y5, (DI)
	ADDQ $32, SI
	ADDQ $32, BX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  backLoop

backDone:
	VZEROUPPER
	RET

// func addBiasReLUAVX2(p *float32, n int, b float32)
TEXT ·addBiasReLUAVX2(SB), NOSPLIT, $0-20
	MOVQ p+0(FP), DI
	MOVQ n+8(FP), CX
	VBROADCASTSS b+16(FP), Y1
	VXORPS Y2, Y2, Y2

biasLoop:
	CMPQ CX, $8
	JL   biasDone
	VMOVUPS (DI), Y0
	VADDPS  Y1, Y0, Y0            // v = p + b
	VMULPS  Y2, Y0, Y3            // v·0 (±0, or NaN for ±Inf and NaN)
	VPCMPGTD Y2, Y0, Y4           // v > 0, read as int32 bits
	VBLENDVPS Y4, Y0, Y3, Y5
	VMOVUPS Y5, (DI)
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  biasLoop

biasDone:
	VZEROUPPER
	RET
