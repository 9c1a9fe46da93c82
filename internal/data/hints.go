package data

import "github.com/colorize-dev/colorize/internal/config"

// Where a simulated user puts a hint: away from the lines (line art lighter
// than about 230/255, so the antialiased fringe of a line counts as line) and
// on color rather than on white paper (some channel darker than about
// 230/255). These are thresholds on [-1, 1] values. On openmoji128 they put
// about 90% of patches on a single flat color (TestHintsOnOpenmojiLieInsideRegions).
const (
	hintLineMin  = 0.8
	hintPaperMax = 0.8
)

// hintCount draws the number of hint patches: none with probability
// NoneProb, otherwise uniform in [MinCount, MaxCount].
func hintCount(g *rng, cfg config.HintConfig) int {
	if g.float64() < cfg.NoneProb {
		return 0
	}
	return cfg.MinCount + g.intn(cfg.MaxCount-cfg.MinCount+1)
}

// sampleHints fills hint [4,S,S] from an example's line [1,S,S] and color
// [3,S,S] (all in [-1, 1]) the way a user would place hints: a random number
// of Patch×Patch squares (hintCount), each centered on a uniformly chosen
// pixel whose whole square is off the lines and not paper-white (falling back
// to squares whose center is, then to centers off the lines, then to any
// pixel), moved inside the picture if it sticks out, and filled with the
// original's mean color over the square. Channels 0–2
// hold that color where channel 3, the mask, is 1, and 0 elsewhere. Later
// squares overwrite earlier ones where they overlap. It returns the number of
// squares placed.
func sampleHints(g *rng, cfg config.HintConfig, line, color []float32, size int, hint []float32) int {
	n := size * size
	for i := range hint[:4*n] {
		hint[i] = 0
	}
	count := hintCount(g, cfg)
	if count == 0 {
		return 0
	}
	p := min(cfg.Patch, size)
	// ok marks pixels a user would color; a center is best when its whole
	// square is ok (counted with a summed-area table), else when the center
	// itself is ok, else when it is at least off the lines.
	ok := make([]bool, n)
	var offLine, okCenter []int32
	for i := 0; i < n; i++ {
		if line[i] <= hintLineMin {
			continue
		}
		offLine = append(offLine, int32(i))
		if color[i] < hintPaperMax || color[n+i] < hintPaperMax || color[2*n+i] < hintPaperMax {
			ok[i] = true
			okCenter = append(okCenter, int32(i))
		}
	}
	sat := make([]int32, (size+1)*(size+1))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			v := int32(0)
			if ok[y*size+x] {
				v = 1
			}
			sat[(y+1)*(size+1)+x+1] = v + sat[y*(size+1)+x+1] + sat[(y+1)*(size+1)+x] - sat[y*(size+1)+x]
		}
	}
	var inside []int32
	for _, at := range okCenter {
		x0, y0 := patchCorner(int(at), size, p)
		x1, y1 := x0+p, y0+p
		if sat[y1*(size+1)+x1]-sat[y0*(size+1)+x1]-sat[y1*(size+1)+x0]+sat[y0*(size+1)+x0] == int32(p*p) {
			inside = append(inside, at)
		}
	}
	cand := inside
	if len(cand) == 0 {
		cand = okCenter
	}
	if len(cand) == 0 {
		cand = offLine
	}
	for k := 0; k < count; k++ {
		var at int
		if len(cand) > 0 {
			at = int(cand[g.intn(len(cand))])
		} else {
			at = g.intn(n)
		}
		x0, y0 := patchCorner(at, size, p)
		for c := 0; c < 3; c++ {
			var s float64
			for y := y0; y < y0+p; y++ {
				for x := x0; x < x0+p; x++ {
					s += float64(color[c*n+y*size+x])
				}
			}
			mean := float32(s / float64(p*p))
			for y := y0; y < y0+p; y++ {
				for x := x0; x < x0+p; x++ {
					hint[c*n+y*size+x] = mean
				}
			}
		}
		for y := y0; y < y0+p; y++ {
			for x := x0; x < x0+p; x++ {
				hint[3*n+y*size+x] = 1
			}
		}
	}
	return count
}

// patchCorner is the top-left corner of the p×p square centered on pixel at,
// moved inside the size×size picture.
func patchCorner(at, size, p int) (x0, y0 int) {
	return min(max(at%size-p/2, 0), size-p), min(max(at/size-p/2, 0), size-p)
}
