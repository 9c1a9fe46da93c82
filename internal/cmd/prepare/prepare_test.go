package prepare

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/colorize-dev/colorize/internal/cmdutil"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/data"
	"github.com/colorize-dev/colorize/internal/imageio"
)

func TestFlags(t *testing.T) {
	cases := []struct {
		args    string
		wantErr string
		size    int
		sheet   int
	}{
		{args: "--src a --out b", size: 128, sheet: 32},
		{args: "--src a --out b --size 64 --sheet 0", size: 64, sheet: 0},
		{args: "--out b", wantErr: "--src and --out are required"},
		{args: "--src a --out b --sheet -1", wantErr: "--sheet -1"},
		{args: "--src a --out b --size 8", wantErr: "--size 8"},
		{args: "--src a --out b --size 48", size: 48, sheet: 32}, // not a multiple of 2^model.depth: fine here
	}
	for _, c := range cases {
		f := &cmdutil.Factory{IO: cmdutil.Test(&bytes.Buffer{}, &bytes.Buffer{})}
		var got *PrepareOptions
		cmd := NewCmdPrepare(f, func(_ context.Context, o *PrepareOptions) error {
			got = o
			cfg, err := o.Config()
			if err != nil {
				return err
			}
			if cfg.Data.Size != c.size {
				return fmt.Errorf("size %d, want %d", cfg.Data.Size, c.size)
			}
			return nil
		})
		cmd.SetArgs(strings.Fields(c.args))
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		err := cmd.Execute()
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%q: error %v, want %q", c.args, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if got.Src != "a" || got.Out != "b" || got.Sheet != c.sheet {
			t.Errorf("%q: options %+v", c.args, got)
		}
	}
}

// colorPicture is a w×h picture of colored rectangles on white.
func colorPicture(k, w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for r := 0; r < 4; r++ {
		c := color.NRGBA{uint8(60 * r), uint8(40 * k), uint8(200 - 30*r), 255}
		for y := h * r / 5; y < h*(r+2)/5; y++ {
			for x := w * (r + k%2) / 6; x < w*(r+2)/6; x++ {
				img.SetNRGBA(x, y, c)
			}
		}
	}
	return img
}

func run(t *testing.T, src, out string, size, sheet int) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cfg := config.Default()
	cfg.Data.Size = size
	opts := &PrepareOptions{
		IO:     cmdutil.Test(&stdout, &stderr),
		Config: func() (config.Config, error) { return cfg, nil },
		Src:    src, Out: out, Sheet: sheet,
	}
	err := prepareRun(context.Background(), opts)
	return stdout.String(), stderr.String(), err
}

func listing(t *testing.T, dir string) []string {
	var out []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, fmt.Sprintf("%s %d %v", rel, info.Size(), info.ModTime().UnixNano()))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func TestPrepareColorFolderWithBadFiles(t *testing.T) {
	src := t.TempDir()
	for k := 0; k < 5; k++ {
		f, _ := os.Create(filepath.Join(src, fmt.Sprintf("p%d.png", k)))
		png.Encode(f, colorPicture(k, 90, 60)) // landscape: center-cropped
		f.Close()
	}
	var jb bytes.Buffer
	jpeg.Encode(&jb, colorPicture(7, 50, 70), &jpeg.Options{Quality: 90})
	os.WriteFile(filepath.Join(src, "photo.jpg"), jb.Bytes(), 0o644)
	os.WriteFile(filepath.Join(src, "broken.png"), []byte("\x89PNG\r\n\x1a\n garbage"), 0o644)
	os.WriteFile(filepath.Join(src, "readme.txt"), []byte("hello"), 0o644)
	before := listing(t, src)

	out := filepath.Join(t.TempDir(), "prepared")
	stdout, stderr, err := run(t, src, out, 32, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, listing(t, src)) {
		t.Error("prepare changed --src")
	}
	for _, want := range []string{"prepared 6 of 8 examples at 32x32", "synthesised with XDoG", "skipped 2 unreadable files"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	for _, name := range []string{"broken.png", "readme.txt"} {
		if !strings.Contains(stderr, "warning: skipped") || !strings.Contains(stderr, name) {
			t.Errorf("no warning names %s:\n%s", name, stderr)
		}
	}
	for _, sub := range []string{"line", "hint", "color"} {
		for _, stem := range []string{"p0", "p4", "photo"} {
			p := filepath.Join(out, sub, stem+".png")
			img, _, err := imageio.Decode(p)
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != 32 || b.Dy() != 32 {
				t.Errorf("%s is %v", p, b)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(out, "line", "broken.png")); err == nil {
		t.Error("a triple was written for the broken file")
	}
	sheet, _, err := imageio.Decode(filepath.Join(out, SheetFile))
	if err != nil {
		t.Fatal(err)
	}
	if sheet.Bounds().Dx() < 4*3*32 {
		t.Errorf("contact sheet %v too small for 4 examples of 3 tiles", sheet.Bounds())
	}
	// The written hints are the fixed validation hints, and the prepared
	// folder opens as a paired data set that reproduces the triples.
	cfg := config.Default()
	cfg.Data.Dir, cfg.Data.Size, cfg.Data.ValFraction = out, 32, 0
	d, err := data.Open(cfg, data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Scan.Paired || d.TrainLen() != 6 {
		t.Fatalf("prepared folder: paired %v, %d examples", d.Scan.Paired, d.TrainLen())
	}
	raw, err := data.LoadItem(d.Scan.Items[0], 32, data.XDoGParams(cfg.XDoG))
	if err != nil {
		t.Fatal(err)
	}
	if raw.Hint == nil {
		t.Fatal("hint/ file not loaded")
	}
	srcRaw, err := data.LoadItem(data.Item{Name: "p0.png", Color: filepath.Join(src, "p0.png")}, 32, data.XDoGParams(cfg.XDoG))
	if err != nil {
		t.Fatal(err)
	}
	want := data.Fixed(srcRaw, "p0.png", 32, cfg.Hints)
	got := data.Fixed(raw, "p0.png", 32, cfg.Hints)
	if !reflect.DeepEqual(got.Line, want.Line) || !reflect.DeepEqual(got.Color, want.Color) {
		t.Error("prepared line/color differ from the source's validation rendering")
	}
	for i := range want.Hint {
		if d := got.Hint[i] - want.Hint[i]; d > 1.0/255 || d < -1.0/255 { // hint colors are rounded to bytes on disk
			t.Fatalf("hint value %d: %g, want %g", i, got.Hint[i], want.Hint[i])
		}
	}
}

// openmojiDir finds shared/data/openmoji128 above the package.
func openmojiDir(t *testing.T) string {
	dir, _ := filepath.Abs(".")
	for {
		p := filepath.Join(dir, "shared", "data", "openmoji128")
		if st, err := os.Stat(filepath.Join(p, "color")); err == nil && st.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("shared/data/openmoji128 not found above the package; skipping the test on real data")
		}
		dir = parent
	}
}

func TestPrepareOpenmojiSlice(t *testing.T) {
	root := openmojiDir(t)
	// A slice: the first 24 files of index.csv (skin-tone variants included)
	// linked into a paired folder with its index rows.
	idx, err := os.ReadFile(filepath.Join(root, "index.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(string(idx)), "\n")
	src := t.TempDir()
	os.Mkdir(filepath.Join(src, "line"), 0o755)
	os.Mkdir(filepath.Join(src, "color"), 0o755)
	var names []string
	for _, row := range rows[1:] {
		if len(names) == 24 {
			break
		}
		name := strings.Split(row, ",")[0]
		for _, sub := range []string{"line", "color"} {
			if err := os.Symlink(filepath.Join(root, sub, name), filepath.Join(src, sub, name)); err != nil {
				t.Fatal(err)
			}
		}
		names = append(names, name)
	}
	os.WriteFile(filepath.Join(src, "index.csv"), []byte(strings.Join(rows[:25], "\n")+"\n"), 0o644)
	out := t.TempDir()
	stdout, _, err := run(t, src, out, 128, 8)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "prepared 24 of 24 examples at 128x128") || !strings.Contains(stdout, "line art drawn") {
		t.Errorf("summary:\n%s", stdout)
	}
	// At the native size, line and color are copied exactly.
	for _, name := range names[:5] {
		for _, sub := range []string{"line", "color"} {
			a, _, err := imageio.Decode(filepath.Join(root, sub, name))
			if err != nil {
				t.Fatal(err)
			}
			b, _, err := imageio.Decode(filepath.Join(out, sub, name))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(imageio.RGB(a).Pix, imageio.RGB(b).Pix) {
				t.Errorf("%s/%s changed", sub, name)
			}
		}
	}
	s, err := data.ScanDir(out)
	if err != nil {
		t.Fatal(err)
	}
	src2, _ := data.ScanDir(src)
	for i := range s.Items {
		if s.Items[i].Group != src2.Items[i].Group {
			t.Errorf("%s: group %q in the prepared folder, %q in the source", s.Items[i].Name, s.Items[i].Group, src2.Items[i].Group)
		}
	}
}

func TestPrepareRefusesUnusableFolders(t *testing.T) {
	empty := t.TempDir()
	junk := t.TempDir()
	os.WriteFile(filepath.Join(junk, "x.png"), []byte("nope"), 0o644)
	missing := filepath.Join(t.TempDir(), "missing")
	for _, src := range []string{empty, junk, missing} {
		_, _, err := run(t, src, filepath.Join(t.TempDir(), "o"), 32, 4)
		if err == nil || !strings.Contains(err.Error(), src) {
			t.Errorf("src %s: error %v does not name it", src, err)
		}
	}
	src := t.TempDir()
	f, _ := os.Create(filepath.Join(src, "a.png"))
	png.Encode(f, colorPicture(1, 40, 40))
	f.Close()
	for _, out := range []string{src, filepath.Join(src, "prepared")} {
		if _, _, err := run(t, src, out, 32, 1); err == nil || !strings.Contains(err.Error(), "inside --src") {
			t.Errorf("--out %s: error %v", out, err)
		}
	}
	if entries, _ := os.ReadDir(src); len(entries) != 1 {
		t.Errorf("src now holds %d entries", len(entries))
	}
}

// countdownCtx is a context that reports cancellation after its Err has
// been asked n times: a Ctrl-C arriving part-way through, deterministically.
type countdownCtx struct {
	context.Context
	n atomic.Int32
}

func (c *countdownCtx) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestPrepareInterruptedThenRerunFinishes(t *testing.T) {
	src := t.TempDir()
	for k := 0; k < 6; k++ {
		f, _ := os.Create(filepath.Join(src, fmt.Sprintf("p%d.png", k)))
		png.Encode(f, colorPicture(k, 40, 40))
		f.Close()
	}
	out := filepath.Join(t.TempDir(), "prepared")
	cfg := config.Default()
	cfg.Data.Size, cfg.Data.Workers = 32, 1
	var stdout bytes.Buffer
	opts := &PrepareOptions{IO: cmdutil.Test(&stdout, &bytes.Buffer{}), Config: func() (config.Config, error) { return cfg, nil }, Src: src, Out: out, Sheet: 4}
	ctx := &countdownCtx{Context: context.Background()}
	ctx.n.Store(3)
	if err := prepareRun(ctx, opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "interrupted: 3 of 6") {
		t.Fatalf("output %q, want an interruption after 3 of 6", stdout.String())
	}
	lines, _ := os.ReadDir(filepath.Join(out, "line"))
	if len(lines) != 3 {
		t.Fatalf("%d line files after the interruption, want 3", len(lines))
	}
	for _, e := range lines { // every file written is a whole PNG
		if _, _, err := imageio.Decode(filepath.Join(out, "line", e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, SheetFile)); err == nil {
		t.Error("an interrupted run wrote the contact sheet")
	}
	stdout.Reset()
	if err := prepareRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "prepared 6 of 6") {
		t.Fatalf("rerun output %q", stdout.String())
	}
}
