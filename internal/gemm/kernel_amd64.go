package gemm

import "golang.org/x/sys/cpu"

// useAsm selects the assembly micro-kernel; tests clear it to run the Go one.
// (cpu.X86.HasAVX2 is false when the OS does not save the YMM registers.)
var useAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// useAVX512 selects, beside useAsm, the AVX-512 kernel for pairs of full B
// panels; tests clear it to run the AVX2 kernel alone. The two give the
// same bits, so the choice changes only the speed. (cpu.X86.HasAVX512F is
// false when the OS does not save the ZMM registers.)
var useAVX512 = useAsm && cpu.X86.HasAVX512F

// kernel computes one full mr×nr tile of C: see kernelGo.
func kernel(k int, a, b, c []float32, ldc int, alpha, beta float32) {
	if !useAsm {
		kernelGo(k, a, b, c, ldc, alpha, beta)
		return
	}
	// The assembly reads k·mr values of a and k·nr of b, and writes (and
	// reads, if beta ≠ 0) mr rows of nr values of c: check them here.
	_ = a[k*mr-1]
	_ = b[k*nr-1]
	_ = c[(mr-1)*ldc+nr-1]
	kernelAVX2Tiles(1, k, &a[0], &b[0], &c[0], ldc, alpha, beta)
}

// kernelTiles computes tiles full mr×nr tiles down a column of C, tile t
// from the A panel at a[t·k·mr:] and the one B panel: kernel for each, in
// one assembly call.
func kernelTiles(tiles, k int, a, b, c []float32, ldc int, alpha, beta float32) {
	if !useAsm {
		kernelTilesGo(tiles, k, a, b, c, ldc, alpha, beta)
		return
	}
	_ = a[tiles*k*mr-1]
	_ = b[k*nr-1]
	_ = c[(tiles*mr-1)*ldc+nr-1]
	kernelAVX2Tiles(tiles, k, &a[0], &b[0], &c[0], ldc, alpha, beta)
}

// kernelAVX2Tiles is kernelTilesGo in AVX2+FMA assembly (kernel_amd64.s)
// for tiles, k ≥ 1, with the slices passed as pointers to their first
// elements.
//
//go:noescape
func kernelAVX2Tiles(tiles, k int, a, b, c *float32, ldc int, alpha, beta float32)

// kernelPairs computes tiles full mr×2nr tiles down a column of C, tile t
// from the A panel at a[t·k·mr:] and the two consecutive B panels at b
// (k·2nr values): kernelTiles for each panel, in one assembly call, for
// useAVX512 only.
func kernelPairs(tiles, k int, a, b, c []float32, ldc int, alpha, beta float32) {
	_ = a[tiles*k*mr-1]
	_ = b[2*k*nr-1]
	_ = c[(tiles*mr-1)*ldc+2*nr-1]
	kernelAVX512Pairs(tiles, k, &a[0], &b[0], &c[0], ldc, alpha, beta)
}

// kernelAVX512Pairs is kernelPairs in AVX-512 assembly (kernel_amd64.s), for
// tiles, k ≥ 1.
//
//go:noescape
func kernelAVX512Pairs(tiles, k int, a, b, c *float32, ldc int, alpha, beta float32)
