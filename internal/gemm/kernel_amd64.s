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

// One step of the inner dimension for a 6×32 tile: the rows of two B
// panels (16 values at boff(DI) and at boff(DI)(R15*1)) times the six A
// values at aoff(SI), added into the accumulators Z4..Z15 (row r in
// Z(4+2r) for the first panel's columns, Z(5+2r) for the second's). Z0..Z3
// are scratch. Each sum gets the same fused multiply-adds, in the same
// order, as in STEP: the bits are the AVX2 kernel's.
#define STEP512(aoff, boff) \
	VMOVUPS boff(DI), Z0; \
	VMOVUPS boff(DI)(R15*1), Z1; \
	VBROADCASTSS (aoff+0)(SI), Z2; \
	VBROADCASTSS (aoff+4)(SI), Z3; \
	VFMADD231PS Z0, Z2, Z4; \
	VFMADD231PS Z1, Z2, Z5; \
	VFMADD231PS Z0, Z3, Z6; \
	VFMADD231PS Z1, Z3, Z7; \
	VBROADCASTSS (aoff+8)(SI), Z2; \
	VBROADCASTSS (aoff+12)(SI), Z3; \
	VFMADD231PS Z0, Z2, Z8; \
	VFMADD231PS Z1, Z2, Z9; \
	VFMADD231PS Z0, Z3, Z10; \
	VFMADD231PS Z1, Z3, Z11; \
	VBROADCASTSS (aoff+16)(SI), Z2; \
	VBROADCASTSS (aoff+20)(SI), Z3; \
	VFMADD231PS Z0, Z2, Z12; \
	VFMADD231PS Z1, Z2, Z13; \
	VFMADD231PS Z0, Z3, Z14; \
	VFMADD231PS Z1, Z3, Z15

// Row r of a 6×32 tile: acc = alpha·acc + beta·C (Z0 = alpha, Z1 = beta).
#define ROWBETA512(lo, hi, addr0, addr1) \
	VMULPS Z0, lo, lo; \
	VFMADD231PS addr0, Z1, lo; \
	VMOVUPS lo, addr0; \
	VMULPS Z0, hi, hi; \
	VFMADD231PS addr1, Z1, hi; \
	VMOVUPS hi, addr1

// Row r of a 6×32 tile: C = alpha·acc, C not read.
#define ROWZERO512(lo, hi, addr0, addr1) \
	VMULPS Z0, lo, lo; \
	VMOVUPS lo, addr0; \
	VMULPS Z0, hi, hi; \
	VMOVUPS hi, addr1

// func kernelAVX512Pairs(tiles, k int, a, b, c *float32, ldc int, alpha, beta float32)
//
// kernelAVX2Tiles for two B panels at once, in AVX-512: for t < tiles, the
// 6×32 tile of C at c + 6t·ldc from the packed A panel at a + 6k·t and the
// two consecutive packed B panels at b (C's columns 0..15) and b + 16k
// (columns 16..31), tiles ≥ 1 and k ≥ 1; C is not read when beta is ±0.
// Each A value is broadcast once for 32 columns, and each instruction does
// twice the AVX2 kernel's work.
TEXT ·kernelAVX512Pairs(SB), NOSPLIT, $0-56
	MOVQ tiles+0(FP), R11
	MOVQ k+8(FP), R13
	MOVQ a+16(FP), SI
	MOVQ b+24(FP), R12
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R8
	MOVL beta+52(FP), R10
	LEAQ (R8)(R8*2), R14 // 3·ldc, in bytes
	MOVQ R13, R15
	SHLQ $6, R15         // a B panel, k·16 values, in bytes

ptile:
	MOVQ R13, CX
	MOVQ R12, DI
	LEAQ (DX)(R14*1), R9
	PREFETCHT0 (DX)
	PREFETCHT0 64(DX)
	PREFETCHT0 127(DX)
	PREFETCHT0 (DX)(R8*1)
	PREFETCHT0 64(DX)(R8*1)
	PREFETCHT0 127(DX)(R8*1)
	PREFETCHT0 (DX)(R8*2)
	PREFETCHT0 64(DX)(R8*2)
	PREFETCHT0 127(DX)(R8*2)
	PREFETCHT0 (R9)
	PREFETCHT0 64(R9)
	PREFETCHT0 127(R9)
	PREFETCHT0 (R9)(R8*1)
	PREFETCHT0 64(R9)(R8*1)
	PREFETCHT0 127(R9)(R8*1)
	PREFETCHT0 (R9)(R8*2)
	PREFETCHT0 64(R9)(R8*2)
	PREFETCHT0 127(R9)(R8*2)
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	MOVQ CX, BX
	SHRQ $2, BX
	JZ   ptail

ploop4:
	STEP512(0, 0)
	STEP512(24, 64)
	STEP512(48, 128)
	STEP512(72, 192)
	ADDQ $96, SI
	ADDQ $256, DI
	DECQ BX
	JNZ  ploop4

ptail:
	ANDQ $3, CX
	JZ   pstore

ploop1:
	STEP512(0, 0)
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  ploop1

pstore:
	VBROADCASTSS alpha+48(FP), Z0
	TESTL $0x7fffffff, R10
	JZ   pstorezero
	VBROADCASTSS beta+52(FP), Z1
	ROWBETA512(Z4, Z5, (DX), 64(DX))
	ROWBETA512(Z6, Z7, (DX)(R8*1), 64(DX)(R8*1))
	ROWBETA512(Z8, Z9, (DX)(R8*2), 64(DX)(R8*2))
	ROWBETA512(Z10, Z11, (R9), 64(R9))
	ROWBETA512(Z12, Z13, (R9)(R8*1), 64(R9)(R8*1))
	ROWBETA512(Z14, Z15, (R9)(R8*2), 64(R9)(R8*2))
	JMP  pnext

pstorezero:
	ROWZERO512(Z4, Z5, (DX), 64(DX))
	ROWZERO512(Z6, Z7, (DX)(R8*1), 64(DX)(R8*1))
	ROWZERO512(Z8, Z9, (DX)(R8*2), 64(DX)(R8*2))
	ROWZERO512(Z10, Z11, (R9), 64(R9))
	ROWZERO512(Z12, Z13, (R9)(R8*1), 64(R9)(R8*1))
	ROWZERO512(Z14, Z15, (R9)(R8*2), 64(R9)(R8*2))

pnext:
	LEAQ (DX)(R14*2), DX // 6 rows of C on
	DECQ R11
	JNZ  ptile
	VZEROUPPER
	RET
