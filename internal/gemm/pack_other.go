//go:build !amd64

package gemm

func packATPanels(kb, panels int, a []float32, lda int, d []float32) {
	packATGo(kb, panels, a, lda, d)
}

func packANFull(kb int, a []float32, lda int, d []float32) { packANGo(0, kb, a, lda, d) }

func packBNFull(kb, panels int, b []float32, ldb int, d []float32) {
	packBNGo(0, kb, panels, b, ldb, d)
}

func packBTFull(kb int, b []float32, ldb int, d []float32) { packBTGo(0, kb, b, ldb, d) }

func packBTOffsFull(kb int, x []float32, offs *[nr]int, d []float32) {
	packBTOffsGo(0, kb, x, offs, d)
}
