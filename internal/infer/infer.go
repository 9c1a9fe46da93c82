package infer

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"

	"github.com/colorize-dev/colorize/internal/checkpoint"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/imageio"
	"github.com/colorize-dev/colorize/internal/modelio"
	"github.com/colorize-dev/colorize/internal/unet"
)

// Point is a color hint centred on pixel (X, Y) of the sketch, counted from
// its top-left corner.
type Point struct {
	X, Y  int
	Color color.RGBA
}

// Colorizer holds a loaded generator and one inference graph per input shape.
type Colorizer struct {
	Path   string        // the checkpoint file
	Step   int           // its training step
	Config config.Config // its configuration
	// Dropout keeps dropout on at inference; it starts as the checkpoint's
	// model.infer_dropout.
	Dropout bool
	// Seed selects the dropout units when Dropout is on; it starts as the
	// checkpoint's seed.
	Seed uint64
	// MaxGraphs, if positive, bounds the cached inference graphs: building
	// one more closes the least recently used. 0 keeps every graph (a CLI
	// run sees few sizes; a server sees any).
	MaxGraphs int
	gen       *unet.Generator
	runners   map[runnerKey]*unet.Runner
	recent    []runnerKey // cached graphs, least recently used first
}

// runnerKey identifies a cached inference graph.
type runnerKey struct {
	w, h    int
	dropout bool
}

// Open loads the checkpoint at path (a file or a run folder).
func Open(path string) (*Colorizer, error) {
	file, err := checkpoint.Resolve(path)
	if err != nil {
		return nil, err
	}
	f, err := checkpoint.Read(file)
	if err != nil {
		return nil, err
	}
	m, err := f.NewModel()
	if err != nil {
		return nil, err
	}
	return &Colorizer{
		Path: file, Step: f.Step, Config: f.Config,
		Dropout: f.Config.Model.InferDropout, Seed: uint64(f.Config.Seed),
		gen: m.Gen, runners: map[runnerKey]*unet.Runner{},
	}, nil
}

// Close releases the inference graphs.
func (c *Colorizer) Close() {
	for _, r := range c.runners {
		r.Close()
	}
	c.runners, c.recent = map[runnerKey]*unet.Runner{}, nil
}

// Graphs returns the number of cached inference graphs.
func (c *Colorizer) Graphs() int { return len(c.runners) }

// Request is one sketch to colorize.
type Request struct {
	Sketch image.Image
	Hint   image.Image // optional; must have the sketch's size
	Points []Point     // optional
	// MaxSide, if positive, caps the longer side the generator sees.
	MaxSide int
}

// Colorize returns the colored image, of the sketch's size.
func (c *Colorizer) Colorize(req Request) (image.Image, error) {
	in, w, h, err := c.prepare(req)
	if err != nil {
		return nil, err
	}
	pw, ph := c.padded(w), c.padded(h)
	out, err := c.run(in, pw, ph)
	if err != nil {
		return nil, err
	}
	rgb := crop(out, 3, ph, pw, h, w)
	img, err := modelio.TensorImage(rgb, 3, h, w)
	if err != nil {
		return nil, err
	}
	b := req.Sketch.Bounds()
	if w != b.Dx() || h != b.Dy() {
		img = imageio.Resize(imageio.RGB(img), b.Dx(), b.Dy()).Image()
	}
	return img, nil
}

// workingSize is the size the generator sees: the sketch's, or scaled down
// so the longer side is maxSide.
func workingSize(w, h, maxSide int) (int, int) {
	if maxSide <= 0 || max(w, h) <= maxSide {
		return w, h
	}
	s := float64(maxSide) / float64(max(w, h))
	return max(1, int(math.Round(float64(w)*s))), max(1, int(math.Round(float64(h)*s)))
}

func (c *Colorizer) padded(n int) int {
	m := 1 << c.Config.Model.Depth
	return (n + m - 1) / m * m
}

// prepare builds the padded generator input [1,5,ph,pw] and returns it with
// the working size.
func (c *Colorizer) prepare(req Request) ([]float32, int, int, error) {
	b := req.Sketch.Bounds()
	if b.Dx() < 1 || b.Dy() < 1 {
		return nil, 0, 0, fmt.Errorf("empty sketch")
	}
	if req.Hint != nil && req.Hint.Bounds().Size() != b.Size() {
		return nil, 0, 0, fmt.Errorf("hint image is %dx%d but the sketch is %dx%d", req.Hint.Bounds().Dx(), req.Hint.Bounds().Dy(), b.Dx(), b.Dy())
	}
	w, h := workingSize(b.Dx(), b.Dy(), req.MaxSide)
	line := modelio.LineTensor(req.Sketch, w, h)
	hint := make([]float32, 4*h*w)
	if req.Hint != nil {
		hint = modelio.HintTensor(req.Hint, w, h)
	}
	if err := c.paintPoints(hint, req.Points, b.Dx(), b.Dy(), w, h); err != nil {
		return nil, 0, 0, err
	}
	pw, ph := c.padded(w), c.padded(h)
	in := make([]float32, modelio.InChannels*ph*pw)
	for i := range in[:ph*pw] {
		in[i] = 1 // white paper in the padding
	}
	for y := 0; y < h; y++ {
		copy(in[y*pw:y*pw+w], line[y*w:(y+1)*w])
		for ch := 0; ch < 4; ch++ {
			copy(in[(1+ch)*ph*pw+y*pw:(1+ch)*ph*pw+y*pw+w], hint[ch*h*w+y*w:ch*h*w+(y+1)*w])
		}
	}
	return in, w, h, nil
}

// paintPoints draws each point as a square of the training hint patch size
// (hints.patch at data.size, scaled to the working size) into hint [4,h,w].
// Point coordinates are in sketch pixels (sw×sh).
func (c *Colorizer) paintPoints(hint []float32, pts []Point, sw, sh, w, h int) error {
	if c.Config.Data.Size < 1 || c.Config.Hints.Patch < 1 {
		return fmt.Errorf("checkpoint %s: stored data.size %d and hints.patch %d give no hint size", c.Path, c.Config.Data.Size, c.Config.Hints.Patch)
	}
	if len(pts) > MaxPoints {
		return fmt.Errorf("%d hint points, more than %d", len(pts), MaxPoints)
	}
	// The square never exceeds the image's shorter side, whatever the
	// stored config says, so painting costs at most MaxPoints·w·h.
	side := int(math.Round(float64(c.Config.Hints.Patch) * float64(min(w, h)) / float64(c.Config.Data.Size)))
	side = min(max(side, 1), min(w, h))
	for i, p := range pts {
		if p.X < 0 || p.Y < 0 || p.X >= sw || p.Y >= sh {
			return fmt.Errorf("hint point %d (%d,%d) is outside the %dx%d sketch: x must be in [0, %d], y in [0, %d]", i+1, p.X, p.Y, sw, sh, sw-1, sh-1)
		}
		cx := int(float64(p.X) * float64(w) / float64(sw))
		cy := int(float64(p.Y) * float64(h) / float64(sh))
		rgb := [3]float32{float32(p.Color.R)/127.5 - 1, float32(p.Color.G)/127.5 - 1, float32(p.Color.B)/127.5 - 1}
		for y := max(cy-side/2, 0); y < min(cy-side/2+side, h); y++ {
			for x := max(cx-side/2, 0); x < min(cx-side/2+side, w); x++ {
				for ch := 0; ch < 3; ch++ {
					hint[ch*h*w+y*w+x] = rgb[ch]
				}
				hint[3*h*w+y*w+x] = 1
			}
		}
	}
	return nil
}

func (c *Colorizer) run(in []float32, pw, ph int) ([]float32, error) {
	key := runnerKey{pw, ph, c.Dropout}
	r, ok := c.runners[key]
	if !ok {
		for c.MaxGraphs > 0 && len(c.recent) >= c.MaxGraphs {
			c.runners[c.recent[0]].Close()
			delete(c.runners, c.recent[0])
			c.recent = c.recent[1:]
		}
		var err error
		if r, err = unet.NewRunner(c.gen, 1, ph, pw, c.Dropout); err != nil {
			return nil, fmt.Errorf("build the %dx%d inference graph: %w", pw, ph, err)
		}
		c.runners[key] = r
	} else {
		c.recent = slices.DeleteFunc(c.recent, func(k runnerKey) bool { return k == key })
	}
	c.recent = append(c.recent, key)
	return r.Run(in, c.Seed)
}

// crop takes the top-left h×w of each of the c planes of a [c,ph,pw] tensor.
func crop(t []float32, c, ph, pw, h, w int) []float32 {
	out := make([]float32, c*h*w)
	for ch := 0; ch < c; ch++ {
		for y := 0; y < h; y++ {
			copy(out[ch*h*w+y*w:ch*h*w+(y+1)*w], t[ch*ph*pw+y*pw:ch*ph*pw+y*pw+w])
		}
	}
	return out
}
