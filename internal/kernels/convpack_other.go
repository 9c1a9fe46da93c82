//go:build !amd64

package kernels

var useRunsAsm = false

func copyRuns(offs []int, runs []lowRun, x, dst []float32) { copyRunsGo(offs, runs, x, dst) }
