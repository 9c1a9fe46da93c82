package fid

import "golang.org/x/sys/cpu"

// usePoolAsm selects the AVX2 rows of pool_amd64.s; tests clear it to
// compare them with the Go loops.
var usePoolAsm = cpu.X86.HasAVX2

//go:noescape
func maxWindows3s2AVX2(src, dst *float32, n int)

//go:noescape
func max3AVX2(a, b, c, dst *float32, n int)

// maxWindows3s2Vec sets o[j] to the maximum of r[2j … 2j+2] for the first
// j it can do in assembly and returns how many (a multiple of 8); len(r)
// ≥ 2·len(o)+1, as a row of an unpadded 3-wide, stride-2 pool has.
func maxWindows3s2Vec(r, o []float32) int {
	// The assembly reads r[2n+1], one past the last window of n: leave the
	// row's last window to Go when r has nothing after it.
	n := min(len(o), (len(r)-2)/2) &^ 7
	if !usePoolAsm || n == 0 {
		return 0
	}
	_ = r[2*n+1]
	_ = o[n-1]
	maxWindows3s2AVX2(&r[0], &o[0], n)
	return n
}

// max3Vec sets o[j] to the maximum of a[j], b[j] and d[j] for the first j
// it can do in assembly and returns how many (a multiple of 8); the four
// slices are of equal length.
func max3Vec(a, b, d, o []float32) int {
	n := len(o) &^ 7
	if !usePoolAsm || n == 0 {
		return 0
	}
	_, _, _ = a[n-1], b[n-1], d[n-1]
	max3AVX2(&a[0], &b[0], &d[0], &o[0], n)
	return n
}
