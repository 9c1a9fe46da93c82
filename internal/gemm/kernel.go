package gemm

// Kernel names the micro-kernel Sgemm uses on this CPU.
func Kernel() string {
	if useAVX512 {
		return "AVX-512 assembly, 6×32 tiles; AVX2+FMA at the edges"
	}
	if useAsm {
		return "AVX2+FMA assembly, 6×16 tiles"
	}
	return "portable Go, 6×16 tiles"
}

// kernelTilesGo is kernel for a column of tiles full mr×nr tiles of C, tile
// t from the A panel at a[t·k·mr:] and the same B panel.
func kernelTilesGo(tiles, k int, a, b, c []float32, ldc int, alpha, beta float32) {
	for t := 0; t < tiles; t++ {
		kernel(k, a[t*k*mr:], b, c[t*mr*ldc:], ldc, alpha, beta)
	}
}

// kernelGo is the portable micro-kernel: C[mr×nr] = alpha·A·B + beta·C for a
// packed panel a (k×mr) and b (k×nr), C at c with leading dimension ldc; C
// is not read when beta is 0. The tile is computed in 2×4 sub-tiles whose
// eight sums the compiler keeps in registers.
func kernelGo(k int, a, b, c []float32, ldc int, alpha, beta float32) {
	a, b = a[:k*mr], b[:k*nr]
	var acc [mr * nr]float32
	for i := 0; i < mr; i += 2 {
		for j := 0; j < nr; j += 4 {
			var c00, c01, c02, c03, c10, c11, c12, c13 float32
			ia, ib := i, j
			for p := 0; p < k; p++ {
				ap := a[ia : ia+2 : ia+2]
				bp := b[ib : ib+4 : ib+4]
				a0, a1 := ap[0], ap[1]
				b0 := bp[0]
				c00 += a0 * b0
				c10 += a1 * b0
				b1 := bp[1]
				c01 += a0 * b1
				c11 += a1 * b1
				b2 := bp[2]
				c02 += a0 * b2
				c12 += a1 * b2
				b3 := bp[3]
				c03 += a0 * b3
				c13 += a1 * b3
				ia += mr
				ib += nr
			}
			r0 := acc[i*nr+j : i*nr+j+4 : i*nr+j+4]
			r1 := acc[(i+1)*nr+j : (i+1)*nr+j+4 : (i+1)*nr+j+4]
			r0[0], r0[1], r0[2], r0[3] = c00, c01, c02, c03
			r1[0], r1[1], r1[2], r1[3] = c10, c11, c12, c13
		}
	}
	for i := 0; i < mr; i++ {
		combine(c[i*ldc:][:nr], acc[i*nr:], alpha, beta)
	}
}

// combine sets row = alpha·t + beta·row for a row of C and its sums t, not
// reading row when beta is 0.
func combine(row, t []float32, alpha, beta float32) {
	t = t[:len(row)]
	if beta == 0 {
		for j := range row {
			row[j] = alpha * t[j]
		}
		return
	}
	for j := range row {
		row[j] = alpha*t[j] + beta*row[j]
	}
}

// Accelerated reports whether Sgemm runs the assembly micro-kernel on this
// CPU.
func Accelerated() bool { return useAsm }
