package data

import (
	"bytes"
	"fmt"
	"image"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/imageio"
	"github.com/colorize-dev/colorize/internal/modelio"
)

func TestScanPairsByStemAndListsUnmatched(t *testing.T) {
	dir := t.TempDir()
	c := fixtureColor(0, 20, 20)
	writePNG(t, filepath.Join(dir, "line", "a.png"), lumaGray(c))
	writePNG(t, filepath.Join(dir, "color", "a.jpg"), c) // content decides the format, not the extension
	writePNG(t, filepath.Join(dir, "line", "b.png"), lumaGray(c))
	writePNG(t, filepath.Join(dir, "color", "c.png"), c)
	writePNG(t, filepath.Join(dir, "line", "c.png"), lumaGray(c))
	writePNG(t, filepath.Join(dir, "color", "c.gif"), c) // same stem as c.png
	writePNG(t, filepath.Join(dir, "color", "d.png"), c)
	writePNG(t, filepath.Join(dir, "hint", "c.png"), c)
	writePNG(t, filepath.Join(dir, "hint", "e.png"), c)
	writePNG(t, filepath.Join(dir, "color", ".hidden.png"), c)

	s, err := ScanDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Paired {
		t.Fatal("line/ + color/ not recognised as paired")
	}
	var got []string
	for _, it := range s.Items {
		got = append(got, fmt.Sprintf("%s|%s|%s|%s", it.Name, filepath.Base(it.Line), filepath.Base(it.Hint), it.Group))
	}
	want := []string{"a.jpg|a.png|.|a", "c.gif|c.png|c.png|c"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("items %q, want %q", got, want)
	}
	wantU := []string{
		"color/c.png: same name as c.gif, ignored",
		"color/d.png: no line/d.*",
		"hint/e.png: no color/e.*",
		"line/b.png: no color/b.*",
	}
	if !reflect.DeepEqual(s.Unmatched, wantU) {
		t.Errorf("unmatched %q, want %q", s.Unmatched, wantU)
	}
}

func TestSplitIsStableGroupAwareAndFollowsSplitFile(t *testing.T) {
	var items []Item
	for i := 0; i < 2000; i++ {
		g := fmt.Sprintf("g%d", i/4) // four variants per drawing
		items = append(items, Item{Name: fmt.Sprintf("f%d.png", i), Group: g})
	}
	train, val, _, err := Split(items, 0.1, "")
	if err != nil {
		t.Fatal(err)
	}
	side := map[string]bool{}
	for _, it := range val {
		side[it.Group] = true
	}
	for _, it := range train {
		if side[it.Group] {
			t.Fatalf("group %s is on both sides", it.Group)
		}
	}
	// 500 groups at 10%: binomial sd ≈ 6.7 groups; allow 4 sd.
	if g := len(val) / 4; g < 50-27 || g > 50+27 {
		t.Errorf("%d validation groups of 500 at val_fraction 0.1", g)
	}
	// Removing half of the files moves none of the others.
	train2, val2, _, _ := Split(items[:1000], 0.1, "")
	inVal := map[string]bool{}
	for _, it := range val {
		inVal[it.Name] = true
	}
	for _, it := range val2 {
		if !inVal[it.Name] {
			t.Errorf("%s moved to validation when other files were removed", it.Name)
		}
	}
	for _, it := range train2 {
		if inVal[it.Name] {
			t.Errorf("%s moved to training when other files were removed", it.Name)
		}
	}

	sf := filepath.Join(t.TempDir(), "val.txt")
	if err := os.WriteFile(sf, []byte("# held out\nf3.png\nf7\n\nnope.png\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	train, val, unknown, err := Split(items, 0.1, sf)
	if err != nil {
		t.Fatal(err)
	}
	if len(val) != 2 || val[0].Name != "f3.png" || val[1].Name != "f7.png" || len(train) != 1998 {
		t.Errorf("split file: val %v", val)
	}
	if !reflect.DeepEqual(unknown, []string{"nope.png"}) {
		t.Errorf("unknown %q", unknown)
	}
	if _, _, _, err := Split(items, 0.1, filepath.Join(t.TempDir(), "missing.txt")); err == nil {
		t.Error("missing split file: no error")
	}
}

func TestOpenmojiSplitKeepsSkinToneVariantsTogether(t *testing.T) {
	root := openmojiDir(t)
	s, err := ScanDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Paired || len(s.Items) != 4495 || len(s.Unmatched) != 0 {
		t.Fatalf("openmoji128: paired %v, %d items, unmatched %v", s.Paired, len(s.Items), s.Unmatched)
	}
	train, val, _, err := Split(s.Items, 0.05, "")
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string]int{}
	for _, it := range s.Items {
		groups[it.Group]++
	}
	if len(groups) > 2500 {
		t.Fatalf("%d groups for 4495 files: index.csv base_file not used", len(groups))
	}
	valGroups := map[string]bool{}
	for _, it := range val {
		valGroups[it.Group] = true
	}
	for _, it := range train {
		if valGroups[it.Group] {
			t.Fatalf("group %s leaks: %s is in training", it.Group, it.Name)
		}
	}
	frac := float64(len(valGroups)) / float64(len(groups))
	if frac < 0.03 || frac > 0.07 {
		t.Errorf("validation holds %.3f of the groups at val_fraction 0.05", frac)
	}
	// The grinning face's variants share 1F600's group; 1F44B-1F3FB (waving
	// hand, light skin) is a variant of 1F44B.
	byName := map[string]Item{}
	for _, it := range s.Items {
		byName[it.Name] = it
	}
	if g := byName["1F44B-1F3FB.png"].Group; g != "1F44B" {
		t.Errorf("1F44B-1F3FB.png in group %q, want 1F44B", g)
	}
	t.Logf("openmoji128: %d groups, %d/%d files in validation", len(groups), len(val), len(s.Items))
}

// openFixture opens a paired fixture of n examples at size.
func openFixture(t testing.TB, n, size int, edit func(*config.Config)) *Dataset {
	dir := t.TempDir()
	pairedFixture(t, dir, n, size+size/4, size) // wider than tall: crops move sideways too
	cfg := testConfig(dir, size, 0)
	if edit != nil {
		edit(&cfg)
	}
	d, err := Open(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAugmentationKeepsLineAndColorAligned(t *testing.T) {
	const size = 32
	d := openFixture(t, 12, size, func(c *config.Config) { c.Data.CropScale = 0.5 })
	l, err := d.Train(7, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	hw := size * size
	for k := 0; k < 6; k++ {
		b, err := l.Next()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < b.N; i++ {
			line, _, col := b.Example(i)
			worst := 0.0
			for j := 0; j < hw; j++ {
				// The fixture's line art is the luma of its color image, a
				// linear function, which resampling preserves up to rounding.
				want := 0.299*float64(col[j]) + 0.587*float64(col[hw+j]) + 0.114*float64(col[2*hw+j])
				worst = math.Max(worst, math.Abs(float64(line[j])-want))
			}
			if worst > 1.5/127.5 {
				t.Fatalf("batch %d example %d: line art departs from luma(color) by %.4f: misaligned", k, i, worst)
			}
		}
	}
	// The check above can fail: a flip applied to one image only breaks it.
	b, _ := d.TrainBatch(7, 4, 0, 0)
	line, _, col := b.Example(0)
	mis := 0.0
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			j, m := y*size+x, y*size+size-1-x
			want := 0.299*float64(col[m]) + 0.587*float64(col[hw+m]) + 0.114*float64(col[2*hw+m])
			mis = math.Max(mis, math.Abs(float64(line[j])-want))
		}
	}
	if mis < 0.1 {
		t.Fatalf("mirrored comparison matched too (%.4f): the fixture cannot detect misalignment", mis)
	}
}

func TestAugmentationVariesCropAndFlip(t *testing.T) {
	d := openFixture(t, 8, 32, nil)
	r, err := d.raw(d.train[0])
	if err != nil {
		t.Fatal(err)
	}
	flips, sides := 0, map[float64]bool{}
	for p := 0; p < 400; p++ {
		v := randomView(r, newRNG(tagSample, 1, 0, uint64(p)), 0.5, true)
		if v.flip {
			flips++
		}
		sides[v.win.W] = true
		if v.win.W < 16 || v.win.W > 32 || v.win.X < 0 || v.win.X+v.win.W > 40 || v.win.Y+v.win.H > 32 {
			t.Fatalf("window %+v outside a 40x32 picture or below crop_scale", v.win)
		}
	}
	if flips < 150 || flips > 250 {
		t.Errorf("%d flips in 400 draws", flips)
	}
	if len(sides) < 15 {
		t.Errorf("only %d distinct crop sides", len(sides))
	}
	if v := randomView(r, newRNG(1), 0.5, false); v.flip {
		t.Error("flipped with data.flip off")
	}
}

func TestLoaderIsAPureFunctionOfSeedEpochAndPosition(t *testing.T) {
	d := openFixture(t, 10, 16, func(c *config.Config) { c.Data.Workers = 3; c.Data.Prefetch = 2 })
	l, err := d.Train(42, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	per := l.BatchesPerEpoch()
	if per != 3 {
		t.Fatalf("BatchesPerEpoch = %d, want 3 (10 examples, batch 3, last partial dropped)", per)
	}
	var stream []*modelio.Batch
	for k := 0; k < 3*per; k++ {
		b, err := l.Next()
		if err != nil {
			t.Fatal(err)
		}
		if b.Epoch != k/per || b.Index != k%per {
			t.Fatalf("batch %d labelled epoch %d index %d", k, b.Epoch, b.Index)
		}
		stream = append(stream, b)
	}
	// Resume in the middle of epoch 1, with a different worker count.
	d.cfg.Data.Workers = 1
	l2, _ := d.Train(42, 3)
	defer l2.Close()
	l2.Start(1, 2)
	for k := per + 2; k < 3*per; k++ {
		b, err := l2.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(b, stream[k]) {
			t.Fatalf("resumed batch %d differs from the uninterrupted stream", k)
		}
	}
	l2.StartStep(4)
	if b, _ := l2.Next(); !reflect.DeepEqual(b, stream[4]) {
		t.Fatal("StartStep(4) differs from batch 4")
	}
	// Every epoch visits distinct examples; epochs are shuffled differently.
	for e := 0; e < 3; e++ {
		seen := map[string]bool{}
		for i := 0; i < per; i++ {
			for _, n := range stream[e*per+i].Names {
				if seen[n] {
					t.Fatalf("epoch %d visits %s twice", e, n)
				}
				seen[n] = true
			}
		}
	}
	if reflect.DeepEqual(stream[0].Names, stream[per].Names) && reflect.DeepEqual(stream[1].Names, stream[per+1].Names) {
		t.Error("epochs 0 and 1 start in the same order")
	}
	other, _ := d.TrainBatch(43, 3, 0, 0)
	if reflect.DeepEqual(other.Line, stream[0].Line) {
		t.Error("seeds 42 and 43 give the same first batch")
	}
}

func TestHintStatistics(t *testing.T) {
	const size = 64
	cfg := config.HintConfig{MinCount: 2, MaxCount: 6, Patch: 5, NoneProb: 0.25}
	c := imageio.RGB(fixtureColor(3, size, size))
	line := make([]float32, size*size)
	color := make([]float32, 3*size*size)
	r := &Raw{Color: c, Line: imageio.Gray(lumaGray(fixtureColor(3, size, size)))}
	// Paint a black "line" band and a white "paper" band: hints avoid both.
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			if x < 8 {
				r.Line.Pix[y*size+x] = 0
			}
			if x >= size-8 {
				for ch := 0; ch < 3; ch++ {
					c.Pix[(ch*size+y)*size+x] = 255
				}
			}
		}
	}
	render(r, centerView(r), size, line, color)
	hint := make([]float32, 4*size*size)
	n := size * size
	const trials = 2000
	none, total := 0, 0
	counts := map[int]int{}
	for k := 0; k < trials; k++ {
		g := newRNG(5, uint64(k))
		cnt := sampleHints(g, cfg, line, color, size, hint)
		counts[cnt]++
		if cnt == 0 {
			none++
		}
		total += cnt
		masked := 0
		for i := 0; i < n; i++ {
			m := hint[3*n+i]
			if m != 0 && m != 1 {
				t.Fatalf("mask value %g", m)
			}
			if m == 0 {
				if hint[i] != 0 || hint[n+i] != 0 || hint[2*n+i] != 0 {
					t.Fatal("hint color outside the mask")
				}
				continue
			}
			masked++
			x := i % size
			if x < 8 || x >= size-8 {
				t.Fatalf("hint pixel at x=%d: a patch over a line or white paper", x)
			}
		}
		if cnt == 0 && masked != 0 || cnt > 0 && (masked < cfg.Patch*cfg.Patch || masked > cnt*cfg.Patch*cfg.Patch) {
			t.Fatalf("%d patches but %d masked pixels", cnt, masked)
		}
	}
	// none: p = 0.25 + 0 (min 2); sd = sqrt(2000·0.25·0.75) ≈ 19.4.
	if math.Abs(float64(none)-0.25*trials) > 4*19.4 {
		t.Errorf("%d of %d samples without hints, want about %d", none, trials, trials/4)
	}
	for cnt := range counts {
		if cnt != 0 && (cnt < 2 || cnt > 6) {
			t.Errorf("hint count %d outside [2, 6]", cnt)
		}
	}
	for cnt := 2; cnt <= 6; cnt++ { // uniform: 0.75·2000/5 = 300 each, sd ≈ 16
		if math.Abs(float64(counts[cnt])-300) > 4*16.3 {
			t.Errorf("count %d drawn %d times, want about 300", cnt, counts[cnt])
		}
	}

	// One patch: its color is the original's mean over the masked square.
	one := config.HintConfig{MinCount: 1, MaxCount: 1, Patch: 5}
	for k := 0; k < 50; k++ {
		sampleHints(newRNG(8, uint64(k)), one, line, color, size, hint)
		var sum [3]float64
		var px []int
		for i := 0; i < n; i++ {
			if hint[3*n+i] == 1 {
				px = append(px, i)
				for ch := 0; ch < 3; ch++ {
					sum[ch] += float64(color[ch*n+i])
				}
			}
		}
		if len(px) != 25 || px[24]-px[0] != 4*size+4 {
			t.Fatalf("one patch covers %d pixels from %d to %d, want a 5x5 square", len(px), px[0], px[len(px)-1])
		}
		for ch := 0; ch < 3; ch++ {
			if d := math.Abs(float64(hint[ch*n+px[12]]) - sum[ch]/25); d > 1e-6 {
				t.Fatalf("patch color off the mean by %g", d)
			}
		}
	}
}

func TestValidationIsFixedAndUnaugmented(t *testing.T) {
	const size = 32
	dir := t.TempDir()
	pairedFixture(t, dir, 30, size, size)
	hintImg := image.NewNRGBA(image.Rect(0, 0, size, size))
	hintImg.Pix[(3*size+4)*4+0], hintImg.Pix[(3*size+4)*4+3] = 200, 255 // one red-ish pixel at (4, 3)
	writePNG(t, filepath.Join(dir, "hint", "img00.png"), hintImg)
	sf := filepath.Join(t.TempDir(), "split.txt")
	os.WriteFile(sf, []byte("img00.png\nimg01.png\nimg02.png\n"), 0o644)
	cfg := testConfig(dir, size, 0)
	cfg.Data.SplitFile = sf
	d1, err := Open(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Seed = 99
	cfg.Data.Cache = false
	d2, err := Open(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	v1, err := d1.Val(2)
	if err != nil {
		t.Fatal(err)
	}
	v2, _ := d2.Val(2)
	if len(v1) != 2 || v1[0].N != 2 || v1[1].N != 1 {
		t.Fatalf("3 validation examples in batches of 2: got %d batches", len(v1))
	}
	if !reflect.DeepEqual(v1, v2) {
		t.Fatal("validation batches differ between two openings (cache on/off, another seed)")
	}
	// No augmentation: the line tensor is the file, scaled.
	img, _, _ := imageio.Decode(filepath.Join(dir, "line", "img01.png"))
	want := modelio.LineTensor(img, size, size)
	line, hint, _ := v1[0].Example(1)
	if !reflect.DeepEqual(line, want) {
		t.Error("validation line art differs from modelio.LineTensor of the file")
	}
	if v1[0].Names[1] != "img01.png" {
		t.Errorf("names %v", v1[0].Names)
	}
	sum := float32(0)
	for _, m := range hint[3*size*size:] {
		sum += m
	}
	_, hint0, _ := v1[0].Example(0)
	masked := 0
	for i, m := range hint0[3*size*size:] {
		if m == 1 {
			masked++
			if i != 3*size+4 || math.Abs(float64(hint0[i])-(200*2.0/255-1)) > 1e-6 {
				t.Errorf("hint file pixel %d value %g", i, hint0[i])
			}
		}
	}
	if masked != 1 {
		t.Errorf("hint file with one pixel gave %d masked pixels", masked)
	}
}

func TestBadFilesAreSkippedWithWarnings(t *testing.T) {
	dir := t.TempDir()
	for k := 0; k < 4; k++ {
		writePNG(t, filepath.Join(dir, fmt.Sprintf("ok%d.png", k)), fixtureColor(k, 24, 20))
	}
	var good bytes.Buffer
	writePNG(t, filepath.Join(dir, "trunc.png"), fixtureColor(9, 24, 20))
	raw, _ := os.ReadFile(filepath.Join(dir, "trunc.png"))
	good.Write(raw)
	os.WriteFile(filepath.Join(dir, "trunc.png"), raw[:len(raw)/2], 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not an image"), 0o644)
	os.WriteFile(filepath.Join(dir, "empty.jpg"), nil, 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	before := snapshot(t, dir)
	for _, cache := range []bool{true, false} {
		var log bytes.Buffer
		cfg := testConfig(dir, 16, 0)
		cfg.Data.Cache = cache
		d, err := Open(cfg, Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
		if err != nil {
			t.Fatal(err)
		}
		if d.Scan.Paired {
			t.Error("a flat folder taken as paired")
		}
		wantSkipped := 3
		if !cache {
			wantSkipped = 2 // a truncated PNG has a valid header; it fails when decoded
		}
		if len(d.Skipped) != wantSkipped {
			t.Errorf("cache %v: skipped %q", cache, d.Skipped)
		}
		for _, name := range []string{"notes.txt", "empty.jpg"} {
			if !strings.Contains(log.String(), name) {
				t.Errorf("cache %v: no warning names %s:\n%s", cache, name, log.String())
			}
		}
		if cache && (d.TrainLen() != 4 || !strings.Contains(log.String(), "trunc.png")) {
			t.Errorf("train %d examples; log:\n%s", d.TrainLen(), log.String())
		}
		if !cache {
			// The truncated file fails when a batch needs it: an error, not a crash.
			var sawErr bool
			l, _ := d.Train(1, 1)
			for k := 0; k < d.TrainLen(); k++ {
				if _, err := l.Next(); err != nil {
					sawErr = strings.Contains(err.Error(), "trunc.png")
				}
			}
			l.Close()
			if !sawErr {
				t.Error("uncached: truncated file not reported by the loader")
			}
		}
	}
	if after := snapshot(t, dir); !reflect.DeepEqual(before, after) {
		t.Error("opening the data set changed the folder")
	}
}

func TestUnusableFoldersAreErrorsNamingThem(t *testing.T) {
	empty := t.TempDir()
	junk := t.TempDir()
	os.WriteFile(filepath.Join(junk, "a.png"), []byte("garbage"), 0o644)
	missing := filepath.Join(t.TempDir(), "nope")
	for _, dir := range []string{empty, junk, missing} {
		_, err := Open(testConfig(dir, 16, 0), Options{})
		if err == nil || !strings.Contains(err.Error(), dir) {
			t.Errorf("Open(%s): error %v does not name the folder", dir, err)
		}
	}
	if _, err := Open(testConfig("", 16, 0), Options{}); err == nil {
		t.Error("empty data.dir: no error")
	}
}

func TestColorOnlyFolderSynthesisesLineArt(t *testing.T) {
	dir := t.TempDir()
	for k := 0; k < 3; k++ {
		writePNG(t, filepath.Join(dir, fmt.Sprintf("c%d.png", k)), fixtureColor(k, 48, 32))
	}
	d, err := Open(testConfig(dir, 32, 0), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.TrainBatch(1, 3, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	dark, light := 0, 0
	for _, v := range b.Line {
		if v < 0 {
			dark++
		} else if v > 0.9 {
			light++
		}
	}
	// Rectangle edges become lines; flat areas stay paper.
	if dark == 0 || light < len(b.Line)/2 {
		t.Errorf("synthesised line art: %d dark and %d light of %d pixels", dark, light, len(b.Line))
	}
}

func TestInputConcatenatesLineAndHints(t *testing.T) {
	d := openFixture(t, 4, 16, nil)
	b, _ := d.TrainBatch(3, 2, 0, 0)
	in := b.Input(nil)
	hw := 256
	for i := 0; i < 2; i++ {
		line, hint, _ := b.Example(i)
		if !reflect.DeepEqual(in[i*5*hw:i*5*hw+hw], line) || !reflect.DeepEqual(in[i*5*hw+hw:(i+1)*5*hw], hint) {
			t.Fatalf("example %d: input is not line ⊕ hints", i)
		}
	}
	buf := make([]float32, 0, 5*2*hw)
	if out := b.Input(buf); &out[0] != &buf[:1][0] {
		t.Error("Input did not reuse a large enough buffer")
	}
}

func TestTensorImageRoundTrip(t *testing.T) {
	c := fixtureColor(1, 20, 10)
	ct := modelio.ColorTensor(c, 20, 10)
	img, err := modelio.TensorImage(ct, 3, 10, 20)
	if err != nil {
		t.Fatal(err)
	}
	back := imageio.RGB(img)
	want := imageio.RGB(c)
	if !bytes.Equal(back.Pix, want.Pix) {
		t.Error("color → tensor → image is not lossless")
	}
	hint := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	hint.Pix[4*5], hint.Pix[4*5+3] = 255, 255
	ht := modelio.HintTensor(hint, 4, 4)
	himg, _ := modelio.TensorImage(ht, 4, 4, 4)
	if got := himg.(*image.NRGBA).Pix; !bytes.Equal(got, hint.Pix) {
		t.Errorf("hint round trip %v, want %v", got, hint.Pix)
	}
	if _, err := modelio.TensorImage(ct, 2, 10, 20); err == nil {
		t.Error("2-channel tensor accepted")
	}
}

func TestSheetLayout(t *testing.T) {
	d := openFixture(t, 6, 16, nil)
	b, _ := d.TrainBatch(1, 5, 0, 0)
	s, err := modelio.Sheet(b, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	// 2 columns of (3 tiles + 2 gaps) and 3 rows, 4-pixel margins.
	if w, h := s.Bounds().Dx(), s.Bounds().Dy(); w != 2*(3*16+2*2)+3*4 || h != 3*16+4*4 {
		t.Errorf("sheet %dx%d", w, h)
	}
	s2, err := modelio.Sheet(b, b.Color, 1)
	if err != nil || s2.Bounds().Dx() != 4*16+3*2+2*4 {
		t.Errorf("with outputs: %v, %v", s2.Bounds(), err)
	}
	// The original tile is the color image.
	c := s2.RGBAAt(4+3*(16+2)+5, 4+7)
	want := [3]uint8{modelio.ToByte(b.Color[7*16+5]), modelio.ToByte(b.Color[256+7*16+5]), modelio.ToByte(b.Color[512+7*16+5])}
	if c.R != want[0] || c.G != want[1] || c.B != want[2] {
		t.Errorf("original tile pixel %v, want %v", c, want)
	}
	if _, err := modelio.Sheet(b, b.Color[:10], 1); err == nil {
		t.Error("short output accepted")
	}
}

// snapshot records every file's name, size and modification time under dir.
func snapshot(t *testing.T, dir string) []string {
	var out []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil {
			out = append(out, fmt.Sprintf("%s %d %v", p, info.Size(), info.ModTime()))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// TestHintsOnOpenmojiLieInsideRegions checks on real drawings that sampled
// hints look like a user's: most patches cover one flat color (a user fills
// a region, not an outline), and a patch's color is the original's there.
func TestHintsOnOpenmojiLieInsideRegions(t *testing.T) {
	root := openmojiDir(t)
	dir := t.TempDir()
	entries, err := os.ReadDir(filepath.Join(root, "color"))
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"line", "color"} {
		os.Mkdir(filepath.Join(dir, sub), 0o755)
	}
	for i := 0; i < len(entries); i += len(entries) / 40 {
		for _, sub := range []string{"line", "color"} {
			if err := os.Symlink(filepath.Join(root, sub, entries[i].Name()), filepath.Join(dir, sub, entries[i].Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	d, err := Open(testConfig(dir, 128, 0), Options{})
	if err != nil {
		t.Fatal(err)
	}
	const size, p = 128, 5
	n := size * size
	flat, patches := 0, 0
	for pos := 0; pos < d.TrainLen(); pos++ {
		b, err := d.TrainBatch(3, 1, 0, pos)
		if err != nil {
			t.Fatal(err)
		}
		_, hint, col := b.Example(0)
		// Find patch corners: masked pixels whose left and upper neighbours are not.
		for y := 0; y+p <= size; y++ {
			for x := 0; x+p <= size; x++ {
				i := y*size + x
				if hint[3*n+i] != 1 || (x > 0 && hint[3*n+i-1] == 1) || (y > 0 && hint[3*n+i-size] == 1) {
					continue
				}
				patches++
				var lo, hi [3]float32
				for c := 0; c < 3; c++ {
					lo[c], hi[c] = 2, -2
					for yy := y; yy < y+p; yy++ {
						for xx := x; xx < x+p; xx++ {
							v := col[c*n+yy*size+xx]
							lo[c], hi[c] = min(lo[c], v), max(hi[c], v)
						}
					}
				}
				if hi[0]-lo[0] < 0.1 && hi[1]-lo[1] < 0.1 && hi[2]-lo[2] < 0.1 {
					flat++
				}
			}
		}
	}
	share := float64(flat) / float64(patches)
	t.Logf("%d isolated hint patches on %d openmoji samples, %.1f%% on one flat color", patches, d.TrainLen(), 100*share)
	if patches < 100 || share < 0.85 {
		t.Errorf("only %.1f%% of %d patches lie on a flat color region", 100*share, patches)
	}
}

// TestValWithHintsPlacesExactlyNPatches: the hint axis gives every
// validation example exactly n patches (none for 0), the same on every call.
func TestValWithHintsPlacesExactlyNPatches(t *testing.T) {
	d := openFixture(t, 20, 32, func(c *config.Config) { c.Data.ValFraction = 0.3 })
	masked := func(n int) []int {
		bs, err := d.ValWithHints(3, n)
		if err != nil {
			t.Fatal(err)
		}
		var out []int
		for _, b := range bs {
			hw := b.H * b.W
			for i := 0; i < b.N; i++ {
				_, hint, _ := b.Example(i)
				c := 0
				for _, m := range hint[3*hw:] {
					if m == 1 {
						c++
					}
				}
				out = append(out, c)
			}
		}
		return out
	}
	if _, err := d.ValWithHints(3, -1); err == nil {
		t.Error("negative hint count accepted")
	}
	none, one, many := masked(0), masked(1), masked(16)
	if !reflect.DeepEqual(one, masked(1)) {
		t.Fatal("the hint axis differs between calls")
	}
	if len(none) == 0 {
		t.Fatal("the fixture has no validation examples")
	}
	patch := d.cfg.Hints.Patch * d.cfg.Hints.Patch
	sumOne, sumMany := 0, 0
	for i := range none {
		// Squares may overlap (a small colored region draws them together).
		if none[i] != 0 || one[i] == 0 || one[i] > patch || many[i] < one[i] || many[i] > 16*patch {
			t.Errorf("example %d: masked pixels %d / %d / %d for 0 / 1 / 16 hints (patch %d)", i, none[i], one[i], many[i], patch)
		}
		sumOne, sumMany = sumOne+one[i], sumMany+many[i]
	}
	if sumMany < 4*sumOne {
		t.Errorf("16 hints mask %d pixels in all, 1 hint %d: want several times more", sumMany, sumOne)
	}
}

// TestImageOverThePixelBudgetIsSkippedNamingIt: in a training folder an
// image whose header declares more pixels than limits.max_pixels is a
// skipped file with a warning that names it and its size, with or without
// the cache (header check or decode).
func TestImageOverThePixelBudgetIsSkippedNamingIt(t *testing.T) {
	defer imageio.SetMaxPixels(imageio.MaxPixels())
	dir := t.TempDir()
	for k := 0; k < 3; k++ {
		writePNG(t, filepath.Join(dir, fmt.Sprintf("ok%d.png", k)), fixtureColor(k, 24, 20))
	}
	writePNG(t, filepath.Join(dir, "big.png"), fixtureColor(5, 200, 100)) // 20 000 pixels
	imageio.SetMaxPixels(10000)
	for _, cache := range []bool{true, false} {
		var log bytes.Buffer
		cfg := testConfig(dir, 16, 0)
		cfg.Data.Cache = cache
		d, err := Open(cfg, Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Skipped) != 1 || !strings.Contains(d.Skipped[0], "big.png") || !strings.Contains(d.Skipped[0], "200×100") || d.TrainLen() != 3 {
			t.Errorf("cache %v: skipped %q, %d training examples", cache, d.Skipped, d.TrainLen())
		}
	}
}
