package kernels

import "golang.org/x/sys/cpu"

// usePointwiseAsm selects the AVX2 loops of pointwise_amd64.s; tests clear
// it to compare them with the Go loops.
var usePointwiseAsm = cpu.X86.HasAVX2

// The AVX2 loops (pointwise_amd64.s) handle the first n−n%8 values; n ≥ 0.
//
//go:noescape
func leakyAVX2(x, y *float32, n int, alpha float32)

//go:noescape
func leakyBackwardAVX2(x, dy, dx *float32, n int, alpha float32)

//go:noescape
func addBiasReLUAVX2(p *float32, n int, b float32)

// leakyVec, leakyBackwardVec and addBiasReLUVec run the bulk of a slice in
// assembly and return how many values they did (a multiple of 8); the
// slices are of equal length, checked by the callers.
func leakyVec(x, y []float32, alpha float32) int {
	n := len(x) &^ 7
	if !usePointwiseAsm || n == 0 {
		return 0
	}
	leakyAVX2(&x[0], &y[0], n, alpha)
	return n
}

func leakyBackwardVec(x, dy, dx []float32, alpha float32) int {
	n := len(x) &^ 7
	if !usePointwiseAsm || n == 0 {
		return 0
	}
	leakyBackwardAVX2(&x[0], &dy[0], &dx[0], n, alpha)
	return n
}

func addBiasReLUVec(p []float32, b float32) int {
	n := len(p) &^ 7
	if !usePointwiseAsm || n == 0 {
		return 0
	}
	addBiasReLUAVX2(&p[0], n, b)
	return n
}
