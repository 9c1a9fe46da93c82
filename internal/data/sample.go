package data

import (
	"fmt"
	"math"

	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/imageio"
	"github.com/colorize-dev/colorize/internal/lineart"
	"github.com/colorize-dev/colorize/internal/modelio"
)

// Raw is one decoded example at its storage resolution: the shorter side is
// the training size, the aspect ratio is the original's. This is what the
// in-memory cache holds (4 bytes per pixel).
type Raw struct {
	Line  *imageio.Planes // 1 plane, 255 = paper
	Color *imageio.Planes // 3 planes, RGB
	Hint  *imageio.Planes // 4 planes (RGB, mask) from a hint file, or nil
}

// Bytes is the memory the example holds.
func (r *Raw) Bytes() int {
	n := len(r.Line.Pix) + len(r.Color.Pix)
	if r.Hint != nil {
		n += len(r.Hint.Pix)
	}
	return n
}

// XDoGParams converts the configuration's XDoG section.
func XDoGParams(c config.XDoGConfig) lineart.Params {
	return lineart.Params{Sigma: c.Sigma, K: c.K, P: c.P, Eps: c.Eps, Phi: c.Phi}
}

// LoadItem decodes an example and brings it to the storage resolution for
// the training size: color composited on white and resized so its shorter
// side is size; line art converted to gray and resized to the same pixel
// grid (or synthesised there with XDoG when the item has none); the hint
// image, if any, resized with nearest-neighbour sampling.
func LoadItem(it Item, size int, xdog lineart.Params) (*Raw, error) {
	cimg, _, err := imageio.Decode(it.Color)
	if err != nil {
		return nil, err
	}
	color := imageio.RGB(cimg)
	w, h := imageio.ShortSide(color.W, color.H, size)
	r := &Raw{Color: imageio.Resize(color, w, h)}
	if it.Line == "" {
		r.Line = lineart.XDoG(r.Color, xdog)
	} else {
		limg, _, err := imageio.Decode(it.Line)
		if err != nil {
			return nil, err
		}
		line := imageio.Gray(limg)
		if err := sameAspect(line, color); err != nil {
			return nil, fmt.Errorf("%s and %s: %w", it.Line, it.Color, err)
		}
		r.Line = imageio.Resize(line, w, h)
	}
	if it.Hint != "" {
		himg, _, err := imageio.Decode(it.Hint)
		if err != nil {
			return nil, err
		}
		hint := imageio.Hint(himg)
		if err := sameAspect(hint, color); err != nil {
			return nil, fmt.Errorf("%s and %s: %w", it.Hint, it.Color, err)
		}
		r.Hint = imageio.ResizeNearest(hint, w, h)
	}
	return r, nil
}

// sameAspect accepts pictures of one aspect ratio up to 2% (so a line
// drawing may be stored at another resolution than its color image).
func sameAspect(a, b *imageio.Planes) error {
	ra := float64(a.W) / float64(a.H)
	rb := float64(b.W) / float64(b.H)
	if math.Abs(ra-rb) > 0.02*rb {
		return fmt.Errorf("sizes %dx%d and %dx%d differ in aspect ratio", a.W, a.H, b.W, b.H)
	}
	return nil
}

// view is the geometry applied to an example: a source window, resampled
// to size×size, optionally mirrored.
type view struct {
	win  imageio.Window
	flip bool
}

// centerView is the validation geometry: the centered square of the
// storage picture, copied without resampling.
func centerView(r *Raw) view {
	short := min(r.Color.W, r.Color.H)
	return view{win: imageio.Window{
		X: float64((r.Color.W - short) / 2), Y: float64((r.Color.H - short) / 2),
		W: float64(short), H: float64(short),
	}}
}

// randomView is the training augmentation: a square crop whose side is
// uniform in [cropScale·short, short] (whole pixels) at a uniform position,
// mirrored left-right with probability 1/2 when flip is set.
func randomView(r *Raw, g *rng, cropScale float64, flip bool) view {
	w, h := r.Color.W, r.Color.H
	short := min(w, h)
	lo := max(1, int(math.Ceil(cropScale*float64(short))))
	side := lo + g.intn(short-lo+1)
	x0 := g.intn(w - side + 1)
	y0 := g.intn(h - side + 1)
	f := flip && g.float64() < 0.5
	return view{win: imageio.Window{X: float64(x0), Y: float64(y0), W: float64(side), H: float64(side)}, flip: f}
}

// render writes the example seen through v at size×size into line [1,S,S]
// and color [3,S,S], in [-1, 1]. Line and color go through the same window
// and filter, so they stay aligned pixel for pixel.
func render(r *Raw, v view, size int, line, color []float32) {
	imageio.Resample(r.Line, v.win, size, size, v.flip, modelio.Scale, modelio.Bias, line)
	imageio.Resample(r.Color, v.win, size, size, v.flip, modelio.Scale, modelio.Bias, color)
}

// renderHintFile writes the example's hint file seen through v into hint
// [4,S,S] (nearest-neighbour, so masks stay binary).
func renderHintFile(r *Raw, v view, size int, hint []float32) {
	n := size * size
	scale := v.win.W / float64(size)
	for y := 0; y < size; y++ {
		sy := min(r.Hint.H-1, int(v.win.Y+(float64(y)+0.5)*scale))
		for x := 0; x < size; x++ {
			ox := x
			if v.flip {
				ox = size - 1 - x
			}
			sx := min(r.Hint.W-1, int(v.win.X+(float64(ox)+0.5)*scale))
			i := y*size + x
			if r.Hint.Pix[(3*r.Hint.H+sy)*r.Hint.W+sx] == 0 {
				for c := 0; c < 4; c++ {
					hint[c*n+i] = 0
				}
				continue
			}
			for c := 0; c < 3; c++ {
				hint[c*n+i] = float32(r.Hint.Pix[(c*r.Hint.H+sy)*r.Hint.W+sx])*modelio.Scale + modelio.Bias
			}
			hint[3*n+i] = 1
		}
	}
}

// checkHeaders reads the headers of an item's files (the check made at Open
// when examples are not cached).
func checkHeaders(it Item) error {
	for _, p := range []string{it.Color, it.Line, it.Hint} {
		if p == "" {
			continue
		}
		cfg, format, err := imageio.DecodeConfig(p)
		if err != nil {
			return err
		}
		if err := imageio.CheckSize(cfg, format); err != nil {
			return fmt.Errorf("decode %s: %w", p, err)
		}
	}
	return nil
}
