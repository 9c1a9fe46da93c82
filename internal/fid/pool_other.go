//go:build !amd64

package fid

var usePoolAsm = false

func maxWindows3s2Vec(r, o []float32) int { return 0 }
func max3Vec(a, b, d, o []float32) int    { return 0 }
