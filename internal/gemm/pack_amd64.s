#include "textflag.h"

// Packing routines for pack.go. Each copies whole panels; pack.go checks
// the bounds and handles partial panels and the last k % 8 steps.

// TRANSPOSE8 turns rows Y0..Y7 (8 values each) into columns Y8..Y15:
// Y(8+j) = [Y0[j], Y1[j], …, Y7[j]]. Y0..Y7 are overwritten.
#define TRANSPOSE8 \
	VUNPCKLPS Y1, Y0, Y8; \
	VUNPCKHPS Y1, Y0, Y9; \
	VUNPCKLPS Y3, Y2, Y10; \
	VUNPCKHPS Y3, Y2, Y11; \
	VUNPCKLPS Y5, Y4, Y12; \
	VUNPCKHPS Y5, Y4, Y13; \
	VUNPCKLPS Y7, Y6, Y14; \
	VUNPCKHPS Y7, Y6, Y15; \
	VSHUFPS $0x44, Y10, Y8, Y0; \
	VSHUFPS $0xEE, Y10, Y8, Y1; \
	VSHUFPS $0x44, Y11, Y9, Y2; \
	VSHUFPS $0xEE, Y11, Y9, Y3; \
	VSHUFPS $0x44, Y14, Y12, Y4; \
	VSHUFPS $0xEE, Y14, Y12, Y5; \
	VSHUFPS $0x44, Y15, Y13, Y6; \
	VSHUFPS $0xEE, Y15, Y13, Y7; \
	VPERM2F128 $0x20, Y4, Y0, Y8; \
	VPERM2F128 $0x31, Y4, Y0, Y12; \
	VPERM2F128 $0x20, Y5, Y1, Y9; \
	VPERM2F128 $0x31, Y5, Y1, Y13; \
	VPERM2F128 $0x20, Y6, Y2, Y10; \
	VPERM2F128 $0x31, Y6, Y2, Y14; \
	VPERM2F128 $0x20, Y7, Y3, Y11; \
	VPERM2F128 $0x31, Y7, Y3, Y15

// STOREROWS8 stores Y8..Y15 as eight rows of a 16-wide panel, columns
// off/4 … off/4+7: Y(8+j) at off + 64j(DI).
#define STOREROWS8(off) \
	VMOVUPS Y8, (off)(DI); \
	VMOVUPS Y9, (off+64)(DI); \
	VMOVUPS Y10, (off+128)(DI); \
	VMOVUPS Y11, (off+192)(DI); \
	VMOVUPS Y12, (off+256)(DI); \
	VMOVUPS Y13, (off+320)(DI); \
	VMOVUPS Y14, (off+384)(DI); \
	VMOVUPS Y15, (off+448)(DI)

// LOADCOLS8 loads 8 consecutive values of each of 8 columns into Y0..Y7:
// column j from x + 4·offs[j] (SI = x, R11 = offs; the offsets from byte
// off of offs on). AX is scratch.
#define LOADCOLS8(off) \
	MOVQ (off+0)(R11), AX; \
	VMOVUPS (SI)(AX*4), Y0; \
	MOVQ (off+8)(R11), AX; \
	VMOVUPS (SI)(AX*4), Y1; \
	MOVQ (off+16)(R11), AX; \
	VMOVUPS (SI)(AX*4), Y2; \
	MOVQ (off+24)(R11), AX; \
	VMOVUPS (SI)(AX*4), Y3; \
	MOVQ (off+32)(R11), AX; \
	VMOVUPS (SI)(AX*4), Y4; \
	MOVQ (off+40)(R11), AX; \
	VMOVUPS (SI)(AX*4), Y5; \
	MOVQ (off+48)(R11), AX; \
	VMOVUPS (SI)(AX*4), Y6; \
	MOVQ (off+56)(R11), AX; \
	VMOVUPS (SI)(AX*4), Y7

// func packBNAVX2(kb, panels int, src *float32, ldb int, dst *float32, pstride int)
//
// For p < kb and q < panels: dst[q·pstride + 16p …+16] = src[p·ldb + 16q …+16].
TEXT ·packBNAVX2(SB), NOSPLIT, $0-48
	MOVQ kb+0(FP), CX
	MOVQ panels+8(FP), R10
	MOVQ src+16(FP), SI
	MOVQ ldb+24(FP), R8
	SHLQ $2, R8
	MOVQ dst+32(FP), DI
	MOVQ pstride+40(FP), R9
	SHLQ $2, R9
bnrow:
	MOVQ SI, AX
	MOVQ DI, DX
	MOVQ R10, BX
bnpanel:
	VMOVUPS (AX), Y0
	VMOVUPS 32(AX), Y1
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	ADDQ $64, AX
	ADDQ R9, DX
	DECQ BX
	JNZ bnpanel
	ADDQ R8, SI
	ADDQ $64, DI
	DECQ CX
	JNZ bnrow
	VZEROUPPER
	RET

// func packBTAVX2(kb8 int, src *float32, ldb int, dst *float32)
//
// One panel of a transposed B: for p < 8·kb8 and c < 16,
// dst[16p + c] = src[c·ldb + p].
TEXT ·packBTAVX2(SB), NOSPLIT, $0-32
	MOVQ kb8+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ldb+16(FP), R8
	SHLQ $2, R8
	MOVQ dst+24(FP), DI
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R8*4), R10
	LEAQ (SI)(R8*8), R11
	LEAQ (R10)(R8*8), R12
bt8:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R8*1), Y1
	VMOVUPS (SI)(R8*2), Y2
	VMOVUPS (SI)(R9*1), Y3
	VMOVUPS (R10), Y4
	VMOVUPS (R10)(R8*1), Y5
	VMOVUPS (R10)(R8*2), Y6
	VMOVUPS (R10)(R9*1), Y7
	TRANSPOSE8
	STOREROWS8(0)
	VMOVUPS (R11), Y0
	VMOVUPS (R11)(R8*1), Y1
	VMOVUPS (R11)(R8*2), Y2
	VMOVUPS (R11)(R9*1), Y3
	VMOVUPS (R12), Y4
	VMOVUPS (R12)(R8*1), Y5
	VMOVUPS (R12)(R8*2), Y6
	VMOVUPS (R12)(R9*1), Y7
	TRANSPOSE8
	STOREROWS8(32)
	ADDQ $32, SI
	ADDQ $32, R10
	ADDQ $32, R11
	ADDQ $32, R12
	ADDQ $512, DI
	DECQ CX
	JNZ bt8
	VZEROUPPER
	RET

// func packANAVX2(kb8 int, src *float32, lda int, dst *float32)
//
// One panel of A: for p < 8·kb8 and r < 6, dst[6p + r] = src[r·lda + p].
TEXT ·packANAVX2(SB), NOSPLIT, $0-32
	MOVQ kb8+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ lda+16(FP), R8
	SHLQ $2, R8
	MOVQ dst+24(FP), DI
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R8*4), R10
an8:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R8*1), Y1
	VMOVUPS (SI)(R8*2), Y2
	VMOVUPS (SI)(R9*1), Y3
	VMOVUPS (R10), Y4
	VMOVUPS (R10)(R8*1), Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TRANSPOSE8
	VMOVUPS X8, 0(DI)
	VEXTRACTF128 $1, Y8, X0
	VMOVQ X0, 16(DI)
	VMOVUPS X9, 24(DI)
	VEXTRACTF128 $1, Y9, X0
	VMOVQ X0, 40(DI)
	VMOVUPS X10, 48(DI)
	VEXTRACTF128 $1, Y10, X0
	VMOVQ X0, 64(DI)
	VMOVUPS X11, 72(DI)
	VEXTRACTF128 $1, Y11, X0
	VMOVQ X0, 88(DI)
	VMOVUPS X12, 96(DI)
	VEXTRACTF128 $1, Y12, X0
	VMOVQ X0, 112(DI)
	VMOVUPS X13, 120(DI)
	VEXTRACTF128 $1, Y13, X0
	VMOVQ X0, 136(DI)
	VMOVUPS X14, 144(DI)
	VEXTRACTF128 $1, Y14, X0
	VMOVQ X0, 160(DI)
	VMOVUPS X15, 168(DI)
	VEXTRACTF128 $1, Y15, X0
	VMOVQ X0, 184(DI)
	ADDQ $32, SI
	ADDQ $32, R10
	ADDQ $192, DI
	DECQ CX
	JNZ an8
	VZEROUPPER
	RET

// func packATRowsSSE2(kb, panels int, src *float32, lda int, dst *float32, pstride, ahead int)
//
// Full panels of a transposed A a row of the stored matrix at a time: for
// p < kb, q < panels and r < 6, dst[q·pstride + 6p + r] = src[p·lda + 6q + r].
// Each row's run of 24·panels bytes is read once, front to back, and the
// same run ahead rows on is prefetched.
TEXT ·packATRowsSSE2(SB), NOSPLIT, $0-56
	MOVQ kb+0(FP), CX
	MOVQ panels+8(FP), R9
	MOVQ src+16(FP), SI
	MOVQ lda+24(FP), R8
	SHLQ $2, R8
	MOVQ dst+32(FP), DI
	MOVQ pstride+40(FP), R10
	SHLQ $2, R10
	MOVQ ahead+48(FP), R11
	IMULQ R8, R11
rrow:
	MOVQ SI, AX
	MOVQ DI, BX
	MOVQ R9, DX
rpanel:
	PREFETCHT0 (AX)(R11*1)
	MOVUPS (AX), X0
	MOVQ 16(AX), X1
	MOVUPS X0, (BX)
	MOVQ X1, 16(BX)
	ADDQ $24, AX
	ADDQ R10, BX
	DECQ DX
	JNZ rpanel
	ADDQ R8, SI
	ADDQ $24, DI
	DECQ CX
	JNZ rrow
	RET

// func packBTOffsAVX2(n8 int, offs *int, x, dst *float32)
//
// One panel of a transposed B whose 16 columns lie anywhere in x: for
// i < 8·n8 and c < 16, dst[16i + c] = x[offs[c] + i] (packBTAVX2 with a
// row offset per column instead of a stride). Two 8×8 transposes a step.
TEXT ·packBTOffsAVX2(SB), NOSPLIT, $0-32
	MOVQ n8+0(FP), CX
	MOVQ offs+8(FP), R11
	MOVQ x+16(FP), SI
	MOVQ dst+24(FP), DI
	TESTQ CX, CX
	JZ   btodone

bto8:
	LOADCOLS8(0)
	TRANSPOSE8
	STOREROWS8(0)
	LOADCOLS8(64)
	TRANSPOSE8
	STOREROWS8(32)
	ADDQ $32, SI
	ADDQ $512, DI
	DECQ CX
	JNZ  bto8

btodone:
	VZEROUPPER
	RET
