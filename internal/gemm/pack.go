package gemm

// packA copies rows i0..i0+mb, columns p0..p0+kb of op(A) into dst as
// ⌈mb/mr⌉ panels of kb×mr values: panel q holds rows q·mr… column by column,
// so that the micro-kernel reads mr consecutive values per step of the inner
// dimension. Rows past mb are zero.
func packA(trans bool, mb, kb int, a []float32, lda, i0, p0 int, dst []float32) {
	ir := 0
	if full := mb / mr; trans && full > 0 && kb > 0 {
		// All full panels together, a row of the stored matrix at a time:
		// one panel at a time reads 24 bytes from each of kb rows lda
		// apart, and at the decoder's power-of-two lda (8192) those rows
		// share a few cache sets, so every line is fetched again for each
		// of the 2–3 panels it holds (1.5 against 5.6 GB/s; BENCHMARKS.md).
		packATPanels(kb, full, a[p0*lda+i0:], lda, dst)
		ir = full * mr
	}
	for ; ir < mb; ir += mr {
		mh := min(mr, mb-ir)
		d := dst[ir*kb : (ir+mr)*kb]
		switch {
		case mh == mr:
			packANFull(kb, a[(i0+ir)*lda+p0:], lda, d)
		case trans:
			// op(A)[i, p] = a[p·lda + i]: a panel's column is a contiguous run of a.
			for p := 0; p < kb; p++ {
				dp := d[p*mr : p*mr+mr]
				n := copy(dp, a[(p0+p)*lda+i0+ir:][:mh])
				clear(dp[n:])
			}
		default:
			for r := 0; r < mr; r++ {
				if r >= mh {
					for p := 0; p < kb; p++ {
						d[p*mr+r] = 0
					}
					continue
				}
				for p, v := range a[(i0+ir+r)*lda+p0:][:kb] {
					d[p*mr+r] = v
				}
			}
		}
	}
}

// packB copies rows p0..p0+kb, columns j0..j0+nb of op(B) into dst as
// ⌈nb/nr⌉ panels of kb×nr values: panel q holds columns q·nr… row by row.
// Columns past nb are zero.
func packB(trans bool, kb, nb int, b []float32, ldb, p0, j0 int, dst []float32) {
	full := nb / nr * nr
	if !trans {
		packBNFull(kb, full/nr, b[p0*ldb+j0:], ldb, dst)
		if full < nb {
			// The last, partial panel.
			for p := 0; p < kb; p++ {
				d := dst[full*kb+p*nr:][:nr]
				n := copy(d, b[(p0+p)*ldb+j0+full:][:nb-full])
				clear(d[n:])
			}
		}
		return
	}
	for jr := 0; jr < full; jr += nr {
		packBTFull(kb, b[(j0+jr)*ldb+p0:], ldb, dst[jr*kb:(jr+nr)*kb])
	}
	if full < nb {
		// op(B)[p, j] = b[j·ldb + p]: a panel's column is a contiguous run of b.
		d := dst[full*kb : (full+nr)*kb]
		for col := 0; col < nr; col++ {
			if full+col >= nb {
				for p := 0; p < kb; p++ {
					d[p*nr+col] = 0
				}
				continue
			}
			for p, v := range b[(j0+full+col)*ldb+p0:][:kb] {
				d[p*nr+col] = v
			}
		}
	}
}

// The portable packing of whole panels; pack_amd64.go runs assembly
// instead where it can, and these for what is left over.

// packATGo packs panels full panels of a transposed A whose first element
// is a[0] (see packA), a row of a at a time; panel q goes to d[q·kb·mr …].
func packATGo(kb, panels int, a []float32, lda int, d []float32) {
	for p := 0; p < kb; p++ {
		src := a[p*lda:][:panels*mr]
		for q := 0; q < panels; q++ {
			s := src[q*mr : q*mr+mr : q*mr+mr]
			o := q*kb*mr + p*mr
			dp := d[o : o+mr : o+mr]
			dp[0], dp[1], dp[2], dp[3], dp[4], dp[5] = s[0], s[1], s[2], s[3], s[4], s[5]
		}
	}
}

// packANGo packs one full panel of A whose first element is a[0],
// columns p0..kb.
func packANGo(p0, kb int, a []float32, lda int, d []float32) {
	s0 := a[p0:kb]
	s1 := a[lda+p0 : lda+kb][:len(s0)]
	s2 := a[2*lda+p0 : 2*lda+kb][:len(s0)]
	s3 := a[3*lda+p0 : 3*lda+kb][:len(s0)]
	s4 := a[4*lda+p0 : 4*lda+kb][:len(s0)]
	s5 := a[5*lda+p0 : 5*lda+kb][:len(s0)]
	d = d[p0*mr:]
	for p := range s0 {
		dp := d[p*mr : p*mr+mr : p*mr+mr]
		dp[0], dp[1], dp[2], dp[3], dp[4], dp[5] = s0[p], s1[p], s2[p], s3[p], s4[p], s5[p]
	}
}

// packBNGo packs panels full panels of B (not transposed) whose first
// element is b[0], rows p0..kb; panel q goes to d[q·kb·nr …].
func packBNGo(p0, kb, panels int, b []float32, ldb int, d []float32) {
	for p := p0; p < kb; p++ {
		src := b[p*ldb:][:panels*nr]
		for q := 0; q < panels; q++ {
			copy(d[q*kb*nr+p*nr:][:nr], src[q*nr:])
		}
	}
}

// packBTGo packs one full panel of a transposed B whose first element is
// b[0], rows p0..kb of op(B).
func packBTGo(p0, kb int, b []float32, ldb int, d []float32) {
	for col := 0; col < nr; col++ {
		for p, v := range b[col*ldb+p0 : col*ldb+kb] {
			d[(p0+p)*nr+col] = v
		}
	}
}

// PackBTColumns writes rows p < kb of one full panel (PanelWidth columns)
// of a transposed B whose column c is the run x[offs[c] … offs[c]+kb) —
// columns anywhere in x, such as the taps of a convolution's lowered input
// — to dst[p·PanelWidth + c]. It is the packing of a stored Bᵀ with a
// column offset in place of a stride, for BPacker implementations.
func PackBTColumns(kb int, x []float32, offs *[PanelWidth]int, dst []float32) {
	packBTOffsFull(kb, x, offs, dst[:kb*nr])
}

// packBTOffsGo is PackBTColumns in Go for rows p0 … kb−1.
func packBTOffsGo(p0, kb int, x []float32, offs *[nr]int, d []float32) {
	for p := p0; p < kb; p++ {
		row := d[p*nr : p*nr+nr]
		for c, o := range offs {
			row[c] = x[o+p]
		}
	}
}
