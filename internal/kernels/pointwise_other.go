//go:build !amd64

package kernels

var usePointwiseAsm = false

func leakyVec(x, y []float32, alpha float32) int              { return 0 }
func leakyBackwardVec(x, dy, dx []float32, alpha float32) int { return 0 }
func addBiasReLUVec(p []float32, b float32) int               { return 0 }
