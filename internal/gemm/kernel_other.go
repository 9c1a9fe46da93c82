//go:build !amd64

package gemm

// useAsm is false: there is no assembly micro-kernel for this architecture.
var useAsm = false

// useAVX512 is false: there is no AVX-512 kernel for this architecture.
var useAVX512 = false

// kernel computes one full mr×nr tile of C: see kernelGo.
func kernel(k int, a, b, c []float32, ldc int, alpha, beta float32) {
	kernelGo(k, a, b, c, ldc, alpha, beta)
}

// kernelTiles computes tiles full mr×nr tiles down a column of C: see
// kernelTilesGo.
func kernelTiles(tiles, k int, a, b, c []float32, ldc int, alpha, beta float32) {
	kernelTilesGo(tiles, k, a, b, c, ldc, alpha, beta)
}

// kernelPairs is never called here (useAVX512 is false).
func kernelPairs(tiles, k int, a, b, c []float32, ldc int, alpha, beta float32) {
	panic("gemm: no AVX-512 kernel on this architecture")
}
