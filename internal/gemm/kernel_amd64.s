#include "textflag.h"

// One step of the inner dimension: B row (16 values at boff(DI)) times the
// six A values at aoff(SI), added into the accumulators Y4..Y15 (row r in
// Y(4+2r), Y(5+2r)). Y0..Y3 are scratch.
#define STEP(aoff, boff) \
	VMOVUPS boff(DI), Y0; \
	VMOVUPS (boff+32)(DI), Y1; \
	VBROADCASTSS (aoff+0)(SI), Y2; \
	VBROADCASTSS (aoff+4)(SI), Y3; \
	VFMADD231PS Y0, Y2, Y4; \
	VFMADD231PS Y1, Y2, Y5; \
	VFMADD231PS Y0, Y3, Y6; \
	VFMADD231PS Y1, Y3, Y7; \
	VBROADCASTSS (aoff+8)(SI), Y2; \
	VBROADCASTSS (aoff+12)(SI), Y3; \
	VFMADD231PS Y0, Y2, Y8; \
	VFMADD231PS Y1, Y2, Y9; \
	VFMADD231PS Y0, Y3, Y10; \
	VFMADD231PS Y1, Y3, Y11; \
	VBROADCASTSS (aoff+16)(SI), Y2; \
	VBROADCASTSS (aoff+20)(SI), Y3; \
	VFMADD231PS Y0, Y2, Y12; \
	VFMADD231PS Y1, Y2, Y13; \
	VFMADD231PS Y0, Y3, Y14; \
	VFMADD231PS Y1, Y3, Y15

// Row r of C: acc = alpha·acc + beta·C (Y0 = alpha, Y1 = beta), stored.
#define ROWBETA(lo, hi, addr0, addr1) \
	VMULPS Y0, lo, lo; \
	VFMADD231PS addr0, Y1, lo; \
	VMOVUPS lo, addr0; \
	VMULPS Y0, hi, hi; \
	VFMADD231PS addr1, Y1, hi; \
	VMOVUPS hi, addr1

// Row r of C: C = alpha·acc, C not read.
#define ROWZERO(lo, hi, addr0, addr1) \
	VMULPS Y0, lo, lo; \
	VMOVUPS lo, addr0; \
	VMULPS Y0, hi, hi; \
	VMOVUPS hi, addr1

// func kernelAVX2Tiles(tiles, k int, a, b, c *float32, ldc int, alpha, beta float32)
//
// C[6×16] = alpha·A·B + beta·C for a column of tiles: for t < tiles, the
// tile of C at c + 6t·ldc from the packed A panel (k×6) at a + 6k·t (the
// panels of a packed A block are consecutive) and the same packed B panel
// (k×16), tiles ≥ 1 and k ≥ 1; C is not read when beta is ±0. One call
// instead of one per tile.
TEXT ·kernelAVX2Tiles(SB), NOSPLIT, $0-56
	MOVQ tiles+0(FP), R11
	MOVQ k+8(FP), R13
	MOVQ a+16(FP), SI
	MOVQ b+24(FP), R12
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R8
	MOVL beta+52(FP), R10
	LEAQ (R8)(R8*2), R14 // 3·ldc, in bytes

tile:
	MOVQ R13, CX
	MOVQ R12, DI
	LEAQ (DX)(R14*1), R9
	PREFETCHT0 (DX)
	PREFETCHT0 63(DX)
	PREFETCHT0 (DX)(R8*1)
	PREFETCHT0 63(DX)(R8*1)
	PREFETCHT0 (DX)(R8*2)
	PREFETCHT0 63(DX)(R8*2)
	PREFETCHT0 (R9)
	PREFETCHT0 63(R9)
	PREFETCHT0 (R9)(R8*1)
	PREFETCHT0 63(R9)(R8*1)
	PREFETCHT0 (R9)(R8*2)
	PREFETCHT0 63(R9)(R8*2)
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15
	MOVQ CX, BX
	SHRQ $2, BX
	JZ   ttail

tloop4:
	STEP(0, 0)
	STEP(24, 64)
	STEP(48, 128)
	STEP(72, 192)
	ADDQ $96, SI
	ADDQ $256, DI
	DECQ BX
	JNZ  tloop4

ttail:
	ANDQ $3, CX
	JZ   tstore

tloop1:
	STEP(0, 0)
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  tloop1

tstore:
	VBROADCASTSS alpha+48(FP), Y0
	TESTL $0x7fffffff, R10
	JZ   tstorezero
	VBROADCASTSS beta+52(FP), Y1
	ROWBETA(Y4, Y5, (DX), 32(DX))
	ROWBETA(Y6, Y7, (DX)(R8*1), 32(DX)(R8*1))
	ROWBETA(Y8, Y9, (DX)(R8*2), 32(DX)(R8*2))
	ROWBETA(Y10, Y11, (R9), 32(R9))
	ROWBETA(Y12, Y13, (R9)(R8*1), 32(R9)(R8*1))
	ROWBETA(Y14, Y15, (R9)(R8*2), 32(R9)(R8*2))
	JMP  tnext

tstorezero:
	ROWZERO(Y4, Y5, (DX), 32(DX))
	ROWZERO(Y6, Y7, (DX)(R8*1), 32(DX)(R8*1))
	ROWZERO(Y8, Y9, (DX)(R8*2), 32(DX)(R8*2))
	ROWZERO(Y10, Y11, (R9), 32(R9))
	ROWZERO(Y12, Y13, (R9)(R8*1), 32(R9)(R8*1))
	ROWZERO(Y14, Y15, (R9)(R8*2), 32(R9)(R8*2))

tnext:
	LEAQ (DX)(R14*2), DX // 6 rows of C on
	DECQ R11
	JNZ  tile
	VZEROUPPER
	RET
