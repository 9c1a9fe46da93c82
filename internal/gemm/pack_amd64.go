package gemm

// The packing of whole panels: assembly when the CPU has AVX2, with the
// bounds checked here, and Go for the last kb % 8 columns of the
// transposing ones.

// packATPanels packs panels full panels of a transposed A (a[0] is its
// first element) into d, panel q at d[q·kb·mr …]; see packA.
func packATPanels(kb, panels int, a []float32, lda int, d []float32) {
	if !useAsm {
		packATGo(kb, panels, a, lda, d)
		return
	}
	_ = a[(kb-1)*lda+panels*mr-1]
	_ = d[panels*kb*mr-1]
	// Two rows ahead: 5.6 GB/s from memory at lda 8192, 5.0 with no
	// prefetch; in cache the prefetches cost (6.0 → 4.9 GB/s at lda 1024).
	packATRowsSSE2(kb, panels, &a[0], lda, &d[0], kb*mr, 2)
}

// packANFull packs one full panel of A (a[0] is its first element).
func packANFull(kb int, a []float32, lda int, d []float32) {
	kb8 := kb / 8
	if !useAsm || kb8 == 0 {
		packANGo(0, kb, a, lda, d)
		return
	}
	_ = a[(mr-1)*lda+8*kb8-1]
	_ = d[8*kb8*mr-1]
	packANAVX2(kb8, &a[0], lda, &d[0])
	packANGo(8*kb8, kb, a, lda, d)
}

// packBNFull packs panels full panels of B (b[0] is the first element),
// panel q at d[q·kb·nr …].
func packBNFull(kb, panels int, b []float32, ldb int, d []float32) {
	if !useAsm || kb == 0 || panels == 0 {
		packBNGo(0, kb, panels, b, ldb, d)
		return
	}
	_ = b[(kb-1)*ldb+panels*nr-1]
	_ = d[(panels-1)*kb*nr+kb*nr-1]
	packBNAVX2(kb, panels, &b[0], ldb, &d[0], kb*nr)
}

// packBTFull packs one full panel of a transposed B (b[0] is its first
// element).
func packBTFull(kb int, b []float32, ldb int, d []float32) {
	kb8 := kb / 8
	if !useAsm || kb8 == 0 {
		packBTGo(0, kb, b, ldb, d)
		return
	}
	_ = b[(nr-1)*ldb+8*kb8-1]
	_ = d[8*kb8*nr-1]
	packBTAVX2(kb8, &b[0], ldb, &d[0])
	packBTGo(8*kb8, kb, b, ldb, d)
}

//go:noescape
func packANAVX2(kb8 int, src *float32, lda int, dst *float32)

//go:noescape
func packBNAVX2(kb, panels int, src *float32, ldb int, dst *float32, pstride int)

//go:noescape
func packBTAVX2(kb8 int, src *float32, ldb int, dst *float32)

//go:noescape
func packATRowsSSE2(kb, panels int, src *float32, lda int, dst *float32, pstride, ahead int)

// packBTOffsFull is packBTOffsGo for the first 8·⌊kb/8⌋ rows in assembly,
// and Go for the rest.
func packBTOffsFull(kb int, x []float32, offs *[nr]int, d []float32) {
	kb8 := kb / 8
	if !useAsm || kb8 == 0 {
		packBTOffsGo(0, kb, x, offs, d)
		return
	}
	for _, o := range offs {
		_ = x[o : o+kb] // the assembly reads x[o … o+8·kb8)
	}
	_ = d[8*kb8*nr-1]
	packBTOffsAVX2(kb8, &offs[0], &x[0], &d[0])
	packBTOffsGo(8*kb8, kb, x, offs, d)
}

//go:noescape
func packBTOffsAVX2(n8 int, offs *int, x, dst *float32)
