// Command serveload is the load test of `colorize serve`: it starts the
// colorize binary's server on loopback, drives POST /api/colorize with 1, 4
// and 16 concurrent clients (by default) for a fixed time each, and prints
// latency percentiles, throughput, answers by status and the server's peak
// RSS. The single-client level runs in -rounds rounds, each right after
// timing, in this process, what `colorize infer` does for the same sketch
// (decode, model, encode), so the ratio of the two compares like with like
// on a machine whose load drifts.
//
//	go run -tags openblas ./bench/serveload -checkpoint runs/quickstart
//	go run -tags openblas ./bench/serveload -paper          # paper-size random weights
//
// It is bounded: levels × -duration, only loopback, and it stops the server
// with SIGINT at the end.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"mime/multipart"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "go4.org/unsafe/assume-no-moving-gc" // as cmd/colorize: gorgonia needs it

	"github.com/colorize-dev/colorize/internal/atomicfile"
	"github.com/colorize-dev/colorize/internal/checkpoint"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/imageio"
	"github.com/colorize-dev/colorize/internal/infer"
	"github.com/colorize-dev/colorize/internal/model"
	"github.com/colorize-dev/colorize/internal/optim"
	"github.com/colorize-dev/colorize/internal/serve/load"
)

func main() {
	bin := flag.String("bin", "bin/colorize", "the colorize binary to serve with")
	ckpt := flag.String("checkpoint", "", "checkpoint file or run folder")
	paper := flag.Bool("paper", false, "use a paper-size model (depth 7, ngf 64, ndf 64) with fresh weights instead of -checkpoint")
	levels := flag.String("clients", "1,4,16", "concurrent clients of each level")
	dur := flag.Duration("duration", 30*time.Second, "time per level")
	size := flag.Int("size", 256, "side of the square sketch")
	workers := flag.Int("workers", 1, "serve --workers")
	queue := flag.Int("queue", 16, "serve --queue")
	reps := flag.Int("reps", 10, "timed colorize infer runs per round")
	rounds := flag.Int("rounds", 3, "rounds of (infer model time, single-client load for -duration/rounds)")
	flag.Parse()
	if err := run(*bin, *ckpt, *paper, *levels, *dur, *size, *workers, *queue, *reps, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "serveload:", err)
		os.Exit(1)
	}
}

func run(bin, ckpt string, paper bool, levels string, dur time.Duration, size, workers, queue, reps, rounds int) error {
	tmp, err := os.MkdirTemp("", "serveload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if paper {
		ckpt = filepath.Join(tmp, "paper.safetensors")
		if err := paperModel(ckpt); err != nil {
			return err
		}
	}
	if ckpt == "" {
		return errors.New("give -checkpoint or -paper")
	}
	var clients []int
	for _, f := range strings.Split(levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 256 {
			return fmt.Errorf("-clients %q: want counts from 1 to 256", levels)
		}
		clients = append(clients, n)
	}
	sketch, err := makeSketch(size)
	if err != nil {
		return err
	}
	points := fmt.Sprintf("%d,%d,#e02020 %d,%d,#2060e0 %d,%d,#f0c020", size/3, size/2, 2*size/3, size/2, size/2, size/4)

	fmt.Printf("machine: %d cores (GOMAXPROCS %d), %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), cpuName())
	fmt.Printf("date:    %s\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Printf("load:    %s\n", loadavg())
	fmt.Printf("model:   %s; sketch %d², 3 hint points; serve --workers %d --queue %d\n\n", ckpt, size, workers, queue)

	c, err := infer.Open(ckpt)
	if err != nil {
		return err
	}
	defer c.Close()

	srv, url, err := startServer(bin, ckpt, filepath.Join(tmp, "runs"), workers, queue)
	if err != nil {
		return err
	}
	defer srv.Process.Kill()
	body, ct, err := form(sketch, points)
	if err != nil {
		return err
	}
	req := load.Request{URL: url + "api/colorize", Body: body, ContentType: ct}
	// One request first: the model loads and the 256² graph is built.
	if r := load.Run(context.Background(), req, 1, time.Millisecond); r.Statuses[200] != 1 {
		return fmt.Errorf("warm-up request: statuses %v", r.Statuses)
	}

	type row struct {
		res  load.Result
		peak int
	}
	var rows []row
	var ratios []float64
	fmt.Println("| round | infer: decode + model + encode (median) | model alone | serve, 1 client: p50 | p95 | p50 / infer |")
	fmt.Println("|---|---|---|---|---|---|")
	single := load.Result{Clients: 1, Statuses: map[int]int{}}
	for r := 1; r <= rounds; r++ {
		tm, err := modelTime(c, sketch, points, reps)
		if err != nil {
			return err
		}
		res := load.Run(context.Background(), req, 1, dur/time.Duration(rounds))
		ratio := float64(res.Percentile(50)) / float64(tm.full)
		ratios = append(ratios, ratio)
		fmt.Printf("| %d | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.2f |\n", r, ms(tm.full), ms(tm.model), ms(res.Percentile(50)), ms(res.Percentile(95)), ratio)
		single.Latencies = append(single.Latencies, res.Latencies...)
		single.Duration += res.Duration
		for k, v := range res.Statuses {
			single.Statuses[k] += v
		}
		single.RetryAfterMissing += res.RetryAfterMissing
	}
	sort.Float64s(ratios)
	fmt.Printf("\nsingle client p50 / infer, median round: %.2f\n\n", ratios[len(ratios)/2])
	sort.Slice(single.Latencies, func(i, j int) bool { return single.Latencies[i] < single.Latencies[j] })
	peak, _ := peakRSS(srv.Process.Pid)
	rows = append(rows, row{single, peak})
	for _, n := range clients {
		if n == 1 {
			continue
		}
		res := load.Run(context.Background(), req, n, dur)
		peak, _ := peakRSS(srv.Process.Pid)
		rows = append(rows, row{res, peak})
		fmt.Fprintf(os.Stderr, "%d clients: %v\n", n, res.Statuses)
	}
	srv.Process.Signal(os.Interrupt)
	waitErr := make(chan error, 1)
	go func() { waitErr <- srv.Wait() }()
	select {
	case err := <-waitErr:
		if err != nil {
			return fmt.Errorf("server exit: %w", err)
		}
	case <-time.After(30 * time.Second):
		return errors.New("the server did not stop within 30 s of SIGINT")
	}

	fmt.Println("| clients | requests (200) | 503 | other errors | throughput | p50 | p95 | server peak RSS |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Printf("| %d | %d | %d | %d | %.2f/s | %.1f ms | %.1f ms | %d MiB |\n",
			r.res.Clients, r.res.Statuses[200], r.res.Statuses[503], r.res.Failed(), r.res.Throughput(),
			ms(r.res.Percentile(50)), ms(r.res.Percentile(95)), r.peak>>10)
	}
	for _, r := range rows {
		if r.res.Failed() > 0 || r.res.RetryAfterMissing > 0 {
			return fmt.Errorf("%d clients: %d failed answers, %d 503s without Retry-After (%v)", r.res.Clients, r.res.Failed(), r.res.RetryAfterMissing, r.res.Statuses)
		}
	}
	return nil
}

type times struct{ full, model time.Duration }

// modelTime times what `colorize infer` does per sketch once its model is
// loaded and its graph built: decode, colorize, encode the PNG.
func modelTime(c *infer.Colorizer, sketch []byte, points string, reps int) (times, error) {
	pts, err := infer.ParsePoints(points)
	if err != nil {
		return times{}, err
	}
	var full, model []time.Duration
	for i := -1; i < reps; i++ { // a warm-up run (the first builds the graph)
		t0 := time.Now()
		img, _, err := imageio.DecodeReader(bytes.NewReader(sketch))
		if err != nil {
			return times{}, err
		}
		t1 := time.Now()
		out, err := c.Colorize(infer.Request{Sketch: img, Points: pts, MaxSide: config.Default().Serve.MaxSide})
		if err != nil {
			return times{}, err
		}
		t2 := time.Now()
		if _, err := atomicfile.EncodePNG(out); err != nil {
			return times{}, err
		}
		if i >= 0 {
			full = append(full, time.Since(t0))
			model = append(model, t2.Sub(t1))
		}
	}
	return times{median(full), median(model)}, nil
}

func median(d []time.Duration) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// startServer runs `colorize serve` on a free loopback port and returns
// once it prints its address.
func startServer(bin, ckpt, runs string, workers, queue int) (*exec.Cmd, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--runs", runs, "--checkpoint", ckpt,
		"--workers", strconv.Itoa(workers), "--models", strconv.Itoa(max(workers, 2)), "--queue", strconv.Itoa(queue), "--log-level", "warn")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the test
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("start %s: %w", bin, err)
	}
	re := regexp.MustCompile(`open (http://\S+/)`)
	lines := bufio.NewScanner(out)
	found := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if m := re.FindStringSubmatch(lines.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case url := <-found:
		return cmd, url, nil
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		return nil, "", errors.New("the server printed no address within 60 s")
	}
}

// peakRSS reads the process's peak resident set (VmHWM) in KiB.
func peakRSS(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			return strconv.Atoi(f[1])
		}
	}
	return 0, errors.New("no VmHWM")
}

// makeSketch scales an openmoji line drawing to size² (nearest neighbour).
func makeSketch(size int) ([]byte, error) {
	src, _, err := imageio.Decode("data/openmoji-mini/line/1F31D.png")
	if err != nil {
		return nil, fmt.Errorf("%w (run from the repository root)", err)
	}
	dst := image.NewGray(image.Rect(0, 0, size, size))
	b := src.Bounds()
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			dst.Set(x, y, src.At(b.Min.X+x*b.Dx()/size, b.Min.Y+y*b.Dy()/size))
		}
	}
	var buf bytes.Buffer
	err = png.Encode(&buf, dst)
	return buf.Bytes(), err
}

func form(sketch []byte, points string) ([]byte, string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, err := mw.CreateFormFile("sketch", "sketch.png")
	if err != nil {
		return nil, "", err
	}
	w.Write(sketch)
	mw.WriteField("points", points)
	err = mw.Close()
	return buf.Bytes(), mw.FormDataContentType(), err
}

// paperModel writes the paper's networks at 128² with fresh weights.
func paperModel(path string) error {
	cfg := config.Default()
	m, err := model.New(config.ModelConfig{Depth: cfg.Model.Depth, NGF: cfg.Model.NGF, NDF: cfg.Model.NDF, DLayers: cfg.Model.DLayers, Dropout: cfg.Model.Dropout}, cfg.Seed)
	if err != nil {
		return err
	}
	return checkpoint.Save(path, &checkpoint.State{Meta: checkpoint.Meta{Config: cfg}, Model: m, OptG: optim.NewAdam(1, 0, 0), OptD: optim.NewAdam(1, 0, 0)})
}

func cpuName() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return "load average " + strings.Join(strings.Fields(string(b))[:3], " ")
}
