//go:build openblas

package blas

/*
#cgo LDFLAGS: -lopenblas
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
*/
import "C"

import (
	"fmt"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/netlib/blas/netlib"
)

func init() {
	impl = netlib.Implementation{}
	blas32.Use(netlib.Implementation{})
	name = "OpenBLAS (netlib cgo)"
}

// SetThreads sets how many threads OpenBLAS may use for one call.
func SetThreads(n int) { C.openblas_set_num_threads(C.int(n)) }

// Threads reports how many threads OpenBLAS uses for one call.
func Threads() int { return int(C.openblas_get_num_threads()) }

// Describe returns Name with the thread count.
func Describe() string { return fmt.Sprintf("%s, %d threads", name, Threads()) }
