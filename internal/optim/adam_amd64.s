#include "textflag.h"

// func adamAVX2(p, grad, m, v *float32, n int, k *adamConsts)
//
// adamUpdate eight parameters a step, for the first n−n%8: the same float32
// operations in the same order (no fused multiply-adds), so the same bits.
// k holds b1, 1−b1, b2, 1−b2, stepSize, invSqrtBC2, eps.
TEXT ·adamAVX2(SB), NOSPLIT, $0-48
	MOVQ p+0(FP), AX
	MOVQ grad+8(FP), BX
	MOVQ m+16(FP), CX
	MOVQ v+24(FP), DX
	MOVQ n+32(FP), SI
	MOVQ k+40(FP), DI
	VBROADCASTSS 0(DI), Y8        // b1
	VBROADCASTSS 4(DI), Y9        // 1 − b1
	VBROADCASTSS 8(DI), Y10       // b2
	VBROADCASTSS 12(DI), Y11      // 1 − b2
	VBROADCASTSS 16(DI), Y12      // stepSize
	VBROADCASTSS 20(DI), Y13      // invSqrtBC2
	VBROADCASTSS 24(DI), Y14      // eps

loop:
	CMPQ SI, $8
	JL   done
	VMOVUPS (BX), Y0              // g
	VMOVUPS (CX), Y1              // m
	VMOVUPS (DX), Y2              // v
	VMULPS  Y8, Y1, Y1            // b1·m
	VMULPS  Y9, Y0, Y3            // (1−b1)·g
	VADDPS  Y3, Y1, Y1            // m' = b1·m + (1−b1)·g
	VMOVUPS Y1, (CX)
	VMULPS  Y10, Y2, Y2           // b2·v
	VMULPS  Y11, Y0, Y4           // (1−b2)·g
	VMULPS  Y0, Y4, Y4            // (1−b2)·g·g
	VADDPS  Y4, Y2, Y2            // v'
	VMOVUPS Y2, (DX)
	VSQRTPS Y2, Y5                // √v' (correctly rounded, as float32(math.Sqrt))
	VMULPS  Y13, Y5, Y5
	VADDPS  Y14, Y5, Y5           // √v'·invSqrtBC2 + eps
	VMULPS  Y12, Y1, Y6           // stepSize·m'
	VDIVPS  Y5, Y6, Y6
	VMOVUPS (AX), Y7
	VSUBPS  Y6, Y7, Y7            // p − stepSize·m'/(…)
	VMOVUPS Y7, (AX)
	ADDQ $32, AX
	ADDQ $32, BX
	ADDQ $32, CX
	ADDQ $32, DX
	SUBQ $8, SI
	JMP  loop

done:
	VZEROUPPER
	RET
