// Package parallel splits elementwise loops over the machine's cores.
package parallel

import (
	"runtime"

	"github.com/colorize-dev/colorize/internal/forkjoin"
)

// Chunks runs f over [0, n) in at most GOMAXPROCS contiguous chunks of at
// least minChunk items (one call on the calling goroutine when n is too small
// to pay for more). Use it only where the split cannot change any result:
// elementwise work, no reductions across chunks.
func Chunks(n, minChunk int, f func(lo, hi int)) {
	w := min(runtime.GOMAXPROCS(0), n/max(minChunk, 1))
	if w <= 1 {
		f(0, n)
		return
	}
	forkjoin.Run(w, func(i int) { f(i*n/w, (i+1)*n/w) })
}
