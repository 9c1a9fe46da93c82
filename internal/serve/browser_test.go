package serve

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/runs"
	"github.com/colorize-dev/colorize/internal/train"
)

// findChromium returns the browser binary, or skips the test where that is
// allowed: only outside CI (CI=true), where .ci/run installs chromium.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; .ci/run installs it (make test-deps)")
	}
	t.Skip("chromium is not installed (apt-get install chromium); this test runs in CI")
	return ""
}

// steeringConfig trains briefly, as internal/infer's hint test does, a model
// that follows hints; its run folder is out.
func steeringConfig(out string, steps int) config.Config {
	cfg := config.Default()
	cfg.Data.Dir = repo("data/openmoji-mini")
	cfg.Data.Size = 32
	cfg.Data.MaxVal = 4
	cfg.Hints.NoneProb = 0
	cfg.Model.Depth, cfg.Model.NGF, cfg.Model.NDF, cfg.Model.DLayers = 5, 16, 8, 2
	cfg.Train.Batch, cfg.Train.Steps = 4, steps
	cfg.Train.LR, cfg.Train.Beta1, cfg.Train.Beta2 = 1e-3, 0.5, 0.999
	cfg.Train.ValEvery, cfg.Train.SampleEvery, cfg.Train.CheckpointEvery = 25, 50, steps
	cfg.Train.Out = out
	return cfg
}

// TestBrowser drives the page in headless Chromium: it opens a sketch
// through the file input, dots red and blue hints with mouse events, checks
// that the result moved toward each dot's color, downloads the result and
// hint layer and reproduces the result with the copied colorize infer
// command, then checks the runs view draws the curves of a finished run and
// of one that is training.
func TestBrowser(t *testing.T) {
	chromium := findChromium(t)
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("trains a small model and drives a browser")
	}
	root := t.TempDir()
	if _, err := train.Run(context.Background(), train.Options{Config: steeringConfig(filepath.Join(root, "steer"), 300)}); err != nil {
		t.Fatal(err)
	}
	// A second run keeps training while the page watches it.
	liveCtx, stopLive := context.WithCancel(context.Background())
	liveDone := make(chan error, 1)
	live := steeringConfig(filepath.Join(root, "live"), 1_000_000)
	live.Model.NGF, live.Model.NDF, live.Train.Batch, live.Train.ValEvery = 4, 4, 2, 40
	go func() {
		_, err := train.Run(liveCtx, train.Options{Config: live})
		liveDone <- err
	}()
	defer func() {
		stopLive()
		if err := <-liveDone; err != nil {
			t.Errorf("live training: %v", err)
		}
	}()

	opts := defaultOptions(root)
	opts.Runs = runs.New(root, filepath.Join(root, "steer"))
	opts.MaxSide = 32 // the model's training size, as the hint test colorizes
	url := serveOnLoopback(t, newServer(t, opts))

	downloads := t.TempDir()
	sketchPath := filepath.Join(downloads, "1F31D.png") // full moon face, 128×128
	sk, err := os.ReadFile(repo("data/openmoji-mini/line/1F31D.png"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(sketchPath, sk, 0o644)

	ctx := openPage(t, chromium, url)
	eval := func(js string) []float64 {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	// waitResult waits until the result canvas shows a result newer than
	// version and nothing is on its way.
	waitResult := func(version int) int {
		t.Helper()
		js := fmt.Sprintf(`(() => { const c = document.getElementById('result'); return c.dataset.state === 'idle' && Number(c.dataset.version) > %d ? Number(c.dataset.version) : 0; })()`, version)
		v, err := chromedp.Run(ctx, chromedp.Poll[int](js, chromedp.WithPollingTimeout(90*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))
		if err != nil {
			state := eval(`[document.getElementById('result').dataset.version, document.getElementById('toast').hidden ? 0 : 1].map(Number)`)
			toast, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("toast"), chromedp.NodeReady))
			t.Fatalf("no new result after version %d: %v (version %v, toast %q)", version, err, state, toast)
		}
		return v
	}
	// mean is the mean RGB (0–1) of the result's 16×16 pixels around (x, y).
	mean := func(x, y int) []float64 {
		return eval(fmt.Sprintf(`(() => { const d = document.getElementById('result').getContext('2d').getImageData(%d, %d, 16, 16).data;
			let r = 0, g = 0, b = 0; for (let i = 0; i < d.length; i += 4) { r += d[i]; g += d[i+1]; b += d[i+2]; }
			const n = d.length / 4 * 255; return [r / n, g / n, b / n]; })()`, x-8, y-8))
	}
	dot := func(x, y int, color string) {
		t.Helper()
		eval(fmt.Sprintf(`(() => { const i = document.getElementById('color'); i.value = '%s'; i.dispatchEvent(new Event('input')); return []; })()`, color))
		p := eval(fmt.Sprintf(`(() => { const c = document.getElementById('hints'); const r = c.getBoundingClientRect();
			return [r.left + (%d + 0.5) * r.width / c.width, r.top + (%d + 0.5) * r.height / c.height]; })()`, x, y))
		if err := chromedp.Do(ctx, chromedp.MouseClickXY(p[0], p[1])); err != nil {
			t.Fatal(err)
		}
	}

	if err := chromedp.Do(ctx,
		chromedp.Poll[chromedp.Void](`document.getElementById('model').value === 'checkpoint:best' || document.getElementById('model').value.endsWith(':best')`),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{sketchPath}, chromedp.NodeReady),
	); err != nil {
		t.Fatal(err)
	}
	v := waitResult(0)
	red0, blue0 := mean(40, 64), mean(88, 64)

	dot(40, 64, "#dc1e1e")
	dot(88, 64, "#1e1edc")
	waitResult(v)
	red1, blue1 := mean(40, 64), mean(88, 64)
	t.Logf("near the red dot: RGB %.2f → %.2f; near the blue dot: %.2f → %.2f", red0, red1, blue0, blue1)
	// Toward the dot's color: closer to it, and redder (R−B) or bluer (B−R).
	red, blue := []float64{220 / 255., 30 / 255., 30 / 255.}, []float64{30 / 255., 30 / 255., 220 / 255.}
	if d0, d1 := dist(red0, red), dist(red1, red); d0-d1 < 0.1 {
		t.Errorf("near the red dot the result did not move toward red: distance %.3f → %.3f", d0, d1)
	}
	if d0, d1 := dist(blue0, blue), dist(blue1, blue); d0-d1 < 0.1 {
		t.Errorf("near the blue dot the result did not move toward blue: distance %.3f → %.3f", d0, d1)
	}
	if d := (red1[0] - red1[2]) - (red0[0] - red0[2]); d < 0.05 {
		t.Errorf("the result near the red dot did not turn redder: R−B changed by %+.3f", d)
	}
	if d := (blue1[2] - blue1[0]) - (blue0[2] - blue0[0]); d < 0.05 {
		t.Errorf("the result near the blue dot did not turn bluer: B−R changed by %+.3f", d)
	}
	// The hint layer holds exactly two dots of the training hint size
	// scaled to the sketch (5 px at 32² → 20 px at 128²), in the colors given.
	hl := eval(`(() => { const c = document.getElementById('hints'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
		let opaque = 0, other = 0; for (let i = 0; i < d.length; i += 4) { if (d[i+3] === 255) opaque++; else if (d[i+3] !== 0) other++; }
		const at = (x, y) => Array.from(d.slice((y * c.width + x) * 4, (y * c.width + x) * 4 + 4));
		return [opaque, other, ...at(40, 64), ...at(88, 64), ...at(30, 54), ...at(29, 64)]; })()`)
	if want := []float64{800, 0, 220, 30, 30, 255, 30, 30, 220, 255, 220, 30, 30, 255, 0, 0, 0, 0}; fmt.Sprint(hl) != fmt.Sprint(want) {
		t.Errorf("hint layer: opaque, other, pixels = %v, want %v", hl, want)
	}
	shot(t, ctx, "paint")

	// Download the result and the hint layer; the copied command rebuilds
	// the result byte for byte.
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
		return err
	}), chromedp.Click(chromedp.ID("dl-result")), chromedp.Click(chromedp.ID("dl-hints"))); err != nil {
		t.Fatal(err)
	}
	result := waitFile(t, filepath.Join(downloads, "1F31D.colorized.png"))
	waitFile(t, filepath.Join(downloads, "1F31D.hints.png"))
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("command")))
	if err != nil {
		t.Fatal(err)
	}
	command := strings.SplitN(strings.TrimSpace(text), "\n", 2)[0]
	args := strings.Fields(command)
	if len(args) < 4 || args[0] != "colorize" || args[1] != "infer" || !strings.Contains(command, "--hint 1F31D.hints.png") || !strings.Contains(command, "--max-side 32") {
		t.Fatalf("command %q", command)
	}
	var cli []string
	for i := 2; i < len(args); i++ {
		switch {
		case args[i] == "-o":
			i++ // inferCLI chooses the output
		case strings.HasPrefix(args[i], "1F31D."):
			cli = append(cli, filepath.Join(downloads, args[i]))
		default:
			cli = append(cli, args[i])
		}
	}
	if got := inferCLI(t, cli...); string(got) != string(result) {
		t.Errorf("%s does not reproduce the downloaded result (%d vs %d bytes)", command, len(got), len(result))
	}

	// The other tools, each followed by a new result.
	opaque := func() int {
		return int(eval(`(() => { const c = document.getElementById('hints'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
			let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] === 255) n++; return [n]; })()`)[0])
	}
	version := func() int { return int(eval(`[Number(document.getElementById('result').dataset.version)]`)[0]) }
	step := func(what string, want int, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		v := version()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		waitResult(v)
		if got := opaque(); got != want {
			t.Fatalf("after %s: %d hint pixels, want %d", what, got, want)
		}
	}
	step("undo", 400, chromedp.Click(chromedp.ID("undo")))
	step("redo", 800, chromedp.Click(chromedp.ID("redo")))
	// Eyedropper: the result's color under the click becomes the color.
	at := func(canvas string, x, y int) []float64 {
		return eval(fmt.Sprintf(`(() => { const c = document.getElementById('%s'); const r = c.getBoundingClientRect();
			return [r.left + (%d + 0.5) * r.width / c.width, r.top + (%d + 0.5) * r.height / c.height]; })()`, canvas, x, y))
	}
	p := at("result", 44, 60)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.tool[data-tool="pick"]`)), chromedp.MouseClickXY(p[0], p[1])); err != nil {
		t.Fatal(err)
	}
	picked, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => { const d = document.getElementById('result').getContext('2d').getImageData(44, 60, 1, 1).data;
		return [document.getElementById('color').value, '#' + [d[0], d[1], d[2]].map((v) => v.toString(16).padStart(2, '0')).join(''),
			document.querySelector('.tool.active').dataset.tool]; })()`))
	if err != nil || picked[0] != picked[1] || picked[2] != "dot" {
		t.Fatalf("eyedropper: color, result pixel, tool after = %v (%v)", picked, err)
	}
	// Stroke: 4 px wide from (20,110) to (100,110) covers x 18…101, y 108…111.
	setWidth := func(w int) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const b = document.getElementById('brush'); b.value = %d; b.dispatchEvent(new Event('input')); })()`, w))
	}
	a, b := at("hints", 20, 110), at("hints", 100, 110)
	step("a stroke", 800+84*4, chromedp.Click(chromedp.CSS(`.tool[data-tool="stroke"]`)), setWidth(4),
		chromedp.MouseEvent(chromedp.MousePressed, a[0], a[1], chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseMoved, (a[0]+b[0])/2, a[1], chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseMoved, b[0], b[1], chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseReleased, b[0], b[1], chromedp.ButtonLeft))
	// Eraser: 30 px centred on the red dot covers it (20 px) and nothing else.
	e := at("hints", 40, 64)
	step("erasing", 800+84*4-400, chromedp.Click(chromedp.CSS(`.tool[data-tool="eraser"]`)), setWidth(30), chromedp.MouseClickXY(e[0], e[1]))
	step("clear", 0, chromedp.Click(chromedp.ID("clear")))
	// Drop and paste open sketches too.
	for _, how := range []string{"drop", "paste"} {
		v := version()
		js := fmt.Sprintf(`(async () => {
			const c = new OffscreenCanvas(50, 40); const g = c.getContext('2d'); g.fillStyle = '#fff'; g.fillRect(0, 0, 50, 40);
			g.strokeRect(10, 10, 30, 20);
			const dt = new DataTransfer(); dt.items.add(new File([await c.convertToBlob()], 'dropped.png', { type: 'image/png' }));
			if ('%s' === 'drop') document.getElementById('sketch-box').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
			else document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
		})()`, how)
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](js, chromedp.EvalAwaitPromise)); err != nil {
			t.Fatalf("%s: %v", how, err)
		}
		waitResult(v)
		want := map[string]string{"drop": "dropped.png · 50×40", "paste": "pasted.png · 50×40"}[how]
		if info, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("sketch-info"))); err != nil || info != want {
			t.Fatalf("after a %s the sketch is %q (%v), want %q", how, info, err, want)
		}
		if w := eval(`[document.getElementById('result').width, document.getElementById('result').height]`); w[0] != 50 || w[1] != 40 {
			t.Fatalf("after a %s the result is %v", how, w)
		}
	}

	// Runs view: the finished run's curves, then the live run's growing.
	// last is the newest step a chart draws.
	last := func(chart string) int {
		return int(eval(fmt.Sprintf(`[Number(document.getElementById('%s').dataset.last || 0)]`, chart))[0])
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("tab-runs")),
		chromedp.Click(chromedp.CSS(`li[data-run="steer"]`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('chart-adv').dataset.run === 'steer' && document.getElementById('chart-val').dataset.run === 'steer' &&
			Number(document.getElementById('chart-adv').dataset.points) >= 100 &&
			Number(document.getElementById('chart-val').dataset.points) >= 6 &&
			document.querySelectorAll('#chart-val path.series').length === 2 &&
			document.querySelector('#run-state .badge.finished') !== null &&
			document.getElementById('sample').naturalWidth > 0`, chromedp.WithPollingTimeout(30*time.Second)),
	); err != nil {
		t.Fatalf("runs view of the finished run: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`li[data-run="live"]`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('chart-adv').dataset.run === 'live' &&
			document.querySelector('#run-state .badge.training') !== null &&
			Number(document.getElementById('chart-adv').dataset.points) > 0`, chromedp.WithPollingTimeout(60*time.Second)),
	); err != nil {
		t.Fatalf("runs view of the training run: %v", err)
	}
	before := last("chart-adv")
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById('chart-adv').dataset.run === 'live' && Number(document.getElementById('chart-adv').dataset.last) > %d`, before),
		chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		t.Fatalf("the live run's curve did not grow past step %d: %v", before, err)
	}
	t.Logf("live curve: up to step %d, then %d", before, last("chart-adv"))
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`li[data-run="steer"] input`)),
		chromedp.Click(chromedp.CSS(`li[data-run="live"] input`)),
		chromedp.Click(chromedp.CSS(`li[data-run="steer"]`)),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#chart-compare path.series').length === 2`, chromedp.WithPollingTimeout(30*time.Second)),
	); err != nil {
		t.Fatalf("comparison chart: %v", err)
	}
	shot(t, ctx, "runs")
}

func dist(a, b []float64) float64 {
	return math.Sqrt((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1]) + (a[2]-b[2])*(a[2]-b[2]))
}

// openPage starts headless Chromium on url; the context it returns ends
// with the test (3 minutes at most).
func openPage(t *testing.T, chromium, url string) context.Context {
	t.Helper()
	// chromedp's defaults (headless, /tmp instead of a container's small
	// /dev/shm, sRGB, no background timer throttling), as root in CI.
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1360, 860), chromedp.Flag("force-device-scale-factor", "1"))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancelTab)
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	deadline, cancelDeadline := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancelDeadline)
	return deadline
}

// serveOnLoopback serves s on 127.0.0.1 until the test ends and returns
// its page's address.
func serveOnLoopback(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.opts.Hosts = LoopbackHosts(ln.Addr())
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, ln, s, Timeouts{Read: 30 * time.Second, Write: time.Minute, Idle: time.Minute, Shutdown: 10 * time.Second})
	}()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + s.opts.Hosts[0] + "/"
}

// TestBrowserSendsTheToken: a page opened at the printed address with its
// #token= fragment calls the API with the token, and drops it from the
// address bar.
func TestBrowserSendsTheToken(t *testing.T) {
	chromium := findChromium(t)
	opts := defaultOptions(runsTree(t))
	opts.Token = "s3cret-token"
	url := serveOnLoopback(t, newServer(t, opts))
	ctx := openPage(t, chromium, url+"#token=s3cret-token")
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`document.getElementById('model').value === 'a:best' && location.hash === ''`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the page did not list the models with the token: %v", err)
	}
	open, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('token-dialog').open`))
	if err != nil || open {
		t.Fatalf("token dialog open %v (%v)", open, err)
	}
}

// shot saves a screenshot as NAME.png in $COLORIZE_SCREENSHOTS, or in the
// system's temporary folder.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("COLORIZE_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "colorize-serve-test")
	}
	os.MkdirAll(dir, 0o755)
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// waitFile waits for a finished download.
func waitFile(t *testing.T, path string) []byte {
	t.Helper()
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return b
		} else if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	t.Fatalf("no download %s", path)
	return nil
}
