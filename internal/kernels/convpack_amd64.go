package kernels

import "golang.org/x/sys/cpu"

// useRunsAsm selects copyRunsAVX2; tests clear it to compare with the Go loop.
var useRunsAsm = cpu.X86.HasAVX2

//go:noescape
func copyRunsAVX2(rows int, offs *int, runs *lowRun, nruns int, x, dst *float32)

// copyRuns writes, for each row r of offs and each run s, the 16 floats at
// x[offs[r]+s.src:] to dst[16·r+s.at:]: a panel's runs copied 64 bytes at a
// time whatever their length (see loweredB.PackB). The caller has checked
// that every read and write is in bounds.
func copyRuns(offs []int, runs []lowRun, x, dst []float32) {
	if len(offs) == 0 || len(runs) == 0 {
		return
	}
	if !useRunsAsm {
		copyRunsGo(offs, runs, x, dst)
		return
	}
	copyRunsAVX2(len(offs), &offs[0], &runs[0], len(runs), &x[0], &dst[0])
}

//go:noescape
func deinterleave2AVX2(n int, src, even, odd *float32)

// deinterleave2 writes src's even-indexed values to even and its odd-indexed
// ones to odd: len(even) = ⌈len(src)/2⌉ and len(odd) = ⌊len(src)/2⌋.
func deinterleave2(src, even, odd []float32) {
	n := 0
	if useRunsAsm {
		if n = len(src) / 16 * 8; n > 0 {
			_, _ = even[n-1], odd[n-1]
			deinterleave2AVX2(n, &src[0], &even[0], &odd[0])
		}
	}
	deinterleave2Go(src[2*n:], even[n:], odd[n:])
}
