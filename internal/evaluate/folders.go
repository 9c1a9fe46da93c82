package evaluate

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/colorize-dev/colorize/internal/fid"
	"github.com/colorize-dev/colorize/internal/imageio"
	"github.com/colorize-dev/colorize/internal/metrics"
	"github.com/colorize-dev/colorize/internal/progress"
)

// FolderResult is what Folders measures; absent values are omitted from
// JSON.
type FolderResult struct {
	Real  string `json:"real"`
	Fake  string `json:"fake"`
	NReal int    `json:"real_images"`
	NFake int    `json:"fake_images"`
	Pairs int    `json:"pairs"`
	// SizeMismatch counts pairs left out of the pixel metrics because the
	// two images differ in size.
	SizeMismatch int         `json:"size_mismatch,omitempty"`
	L1           *float64    `json:"l1,omitempty"`
	CompL1       *float64    `json:"compensated_l1,omitempty"`
	PSNR         *metrics.DB `json:"psnr,omitempty"`
	SSIM         *float64    `json:"ssim,omitempty"`
	Dist
}

// IsStats reports whether path names a .npz statistics file rather than a
// folder of images.
func IsStats(path string) bool { return strings.EqualFold(filepath.Ext(path), ".npz") }

// Folders compares the images of opts.Fake with those of opts.Real. Files
// whose names match apart from the extension are pairs and get the pixel
// metrics (pairs whose images differ in size are left out with a warning on
// opts.Progress); FID and KID use every image of both folders.
func Folders(ctx context.Context, opts Options) (FolderResult, error) {
	res := FolderResult{Real: opts.Real, Fake: opts.Fake}
	inception, _, err := loadInception(Options{FID: opts.FID, KID: opts.KID, Inception: opts.Inception, Dims: opts.Dims})
	if err != nil { // first, so that a missing file fails fast
		return res, err
	}
	fake, err := listImages(opts.Fake)
	if err != nil {
		return res, fmt.Errorf("--fake: %w", err)
	}
	res.NFake = len(fake)
	var real []string
	if !IsStats(opts.Real) {
		if real, err = listImages(opts.Real); err != nil {
			return res, fmt.Errorf("--real: %w", err)
		}
		res.NReal = len(real)
		if err := pixelMetrics(ctx, opts, real, fake, &res); err != nil {
			return res, err
		}
	}
	if inception == nil {
		return res, nil
	}
	var realSrc fid.Source
	var realStats *fid.Stats
	if real != nil {
		realSrc = files(real)
	} else {
		st, err := fid.LoadStats(opts.Real)
		if err != nil {
			return res, err
		}
		if st.Dim() != opts.dims() {
			return res, fmt.Errorf("%s holds %d-dimensional statistics, but --dims is %d", opts.Real, st.Dim(), opts.dims())
		}
		realStats = &st
	}
	res.Dist, err = distribution(ctx, inception, realSrc, realStats, files(fake), opts)
	return res, err
}

// imageExts are pytorch-fid's IMAGE_EXTENSIONS (GIF added: colorize reads it).
var imageExts = map[string]bool{".bmp": true, ".jpg": true, ".jpeg": true, ".pgm": true, ".png": true,
	".ppm": true, ".tif": true, ".tiff": true, ".webp": true, ".gif": true}

// listImages returns the image files of dir, sorted by name, as pytorch-fid
// orders them.
func listImages(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && imageExts[strings.ToLower(filepath.Ext(e.Name()))] {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no image files", dir)
	}
	return out, nil
}

// files is a fid.Source decoding image files on demand.
type files []string

func (f files) Len() int { return len(f) }

func (f files) Image(i int) (image.Image, error) {
	img, _, err := imageio.Decode(f[i])
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", f[i], err)
	}
	return img, nil
}

func stem(path string) string {
	base := filepath.Base(path)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// pixelMetrics scores the pairs of files with equal stems.
func pixelMetrics(ctx context.Context, opts Options, real, fake []string, res *FolderResult) error {
	byStem := map[string]string{}
	for _, p := range real {
		byStem[stem(p)] = p
	}
	var pairs [][2]string
	for _, p := range fake {
		if r, ok := byStem[stem(p)]; ok {
			pairs = append(pairs, [2]string{r, p})
		}
	}
	res.Pairs = len(pairs)
	if len(pairs) == 0 {
		return nil
	}
	errOut := orDiscard(opts.Progress)
	bar := progress.New(errOut, opts.TTY, "pairs", len(pairs), 0)
	bar.Unit = "img"
	defer bar.Finish()
	scorer := metrics.Scorer{Images: true}
	for i, pr := range pairs {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, h, w, err := unitTensor(pr[0])
		if err != nil {
			return err
		}
		f, fh, fw, err := unitTensor(pr[1])
		if err != nil {
			return err
		}
		if fh != h || fw != w {
			fmt.Fprintf(errOut, "warning: %s is %d×%d but %s is %d×%d: pair left out of the pixel metrics\n",
				pr[0], w, h, pr[1], fw, fh)
			res.SizeMismatch++
			continue
		}
		if err := scorer.Add(f, r, 1, h, w); err != nil {
			return fmt.Errorf("pair %s, %s: %w", pr[0], pr[1], err)
		}
		bar.Update(i+1, "")
	}
	if res.SizeMismatch == len(pairs) {
		return nil
	}
	sc := scorer.Score()
	res.L1, res.CompL1, res.PSNR, res.SSIM = &sc.L1, &sc.CompL1, &sc.PSNR, &sc.SSIM
	return nil
}

// unitTensor decodes an image to RGB [3,h,w] in [−1, 1], converted as
// pytorch-fid converts images (fid.ImageToCHW).
func unitTensor(path string) ([]float32, int, int, error) {
	img, err := files{path}.Image(0)
	if err != nil {
		return nil, 0, 0, err
	}
	x, h, w := fid.ImageToCHW(img)
	for i, v := range x {
		x[i] = 2*v - 1
	}
	return x, h, w, nil
}
