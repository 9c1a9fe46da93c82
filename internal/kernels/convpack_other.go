//go:build !amd64

package kernels

var useRunsAsm = false

func copyRuns(offs []int, runs []lowRun, x, dst []float32) { copyRunsGo(offs, runs, x, dst) }

func deinterleave2(src, even, odd []float32) { deinterleave2Go(src, even, odd) }
