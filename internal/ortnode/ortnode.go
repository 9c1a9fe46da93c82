// Package ortnode runs ONNX models with ONNX Runtime for Node.js
// (onnxruntime-node, CPU execution provider) in a child process. It is the
// real runtime that colorize's tests check exported models against, and the
// one its benchmarks time.
//
// The runtime is installed by scripts/ort-install (`make test-deps`) into
// .cache/ort at the repository root, or into $COLORIZE_ORT_DIR; node comes
// from PATH. Inputs and outputs travel as raw little-endian float32 files.
package ortnode

import (
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Program is the Node.js program Run executes (node run.cjs ORT_DIR
// JOB.json; see its header), for tests that drive it from another language.
//
//go:embed run.cjs
var Program []byte

// Runtime is a node binary and an onnxruntime-node installation.
type Runtime struct {
	Node string // the node executable
	Dir  string // the folder holding node_modules/onnxruntime-node
}

// Find locates node and the onnxruntime-node installation.
func Find() (*Runtime, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("node not found (Debian: apt-get install nodejs npm): %w", err)
	}
	dir := os.Getenv("COLORIZE_ORT_DIR")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "..", ".cache", "ort")
	}
	pkg := filepath.Join(dir, "node_modules", "onnxruntime-node", "package.json")
	if _, err := os.Stat(pkg); err != nil {
		return nil, fmt.Errorf("onnxruntime-node is not installed in %s (run scripts/ort-install): %w", dir, err)
	}
	return &Runtime{Node: node, Dir: dir}, nil
}

// Require returns the runtime for a test. Where it is missing the test is
// skipped, except in CI (CI=true), where it fails: CI installs the runtime.
func Require(t testing.TB) *Runtime {
	t.Helper()
	rt, err := Find()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but ONNX Runtime is unavailable: %v", err)
		}
		t.Skipf("ONNX Runtime unavailable (make test-deps installs it): %v", err)
	}
	return rt
}

// Input is one tensor fed to the model's first input.
type Input struct {
	Data []float32
	Dims []int
}

// Job says how to run a model.
type Job struct {
	Model string
	// Levels are the graph optimization levels to load the model with, each
	// a session of its own: "disabled", "basic", "extended" or "all".
	Levels []string
	// Threads is the intra-op thread count (0: ONNX Runtime's default).
	Threads int
	// Repeat runs each input this many times (at least once), for timing.
	Repeat int
	Inputs []Input
}

// Result is what the sessions of a job returned.
type Result struct {
	Sessions []Session
}

// Session is one optimization level's load of the model.
type Session struct {
	Level string
	// LoadMs is the time to create the session (load, optimize).
	LoadMs float64
	// InputShapes and OutputShapes are the model's declared shapes as ONNX
	// Runtime reports them: numbers, or the names of symbolic dimensions.
	InputShapes, OutputShapes [][]any
	Outputs                   []Output // one per input
}

// Output is the model's first output for one input.
type Output struct {
	Data []float32
	Dims []int
	Ms   []float64 // the time of each repetition
}

// Run runs job and returns its results.
func (rt *Runtime) Run(job Job) (*Result, error) {
	if len(job.Levels) == 0 {
		return nil, errors.New("ortnode: no optimization level given")
	}
	dir, err := os.MkdirTemp("", "ortnode-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	type run struct {
		Input  string `json:"input"`
		Dims   []int  `json:"dims"`
		Output string `json:"output"`
	}
	spec := struct {
		Model   string   `json:"model"`
		Levels  []string `json:"levels"`
		Threads int      `json:"threads"`
		Repeat  int      `json:"repeat"`
		Runs    []run    `json:"runs"`
	}{Model: job.Model, Levels: job.Levels, Threads: job.Threads, Repeat: job.Repeat}
	for i, in := range job.Inputs {
		r := run{Input: filepath.Join(dir, fmt.Sprintf("in%d.f32", i)), Dims: in.Dims, Output: filepath.Join(dir, fmt.Sprintf("out%d.f32", i))}
		if err := os.WriteFile(r.Input, floatBytes(in.Data), 0o600); err != nil {
			return nil, err
		}
		spec.Runs = append(spec.Runs, r)
	}
	jobFile, prog := filepath.Join(dir, "job.json"), filepath.Join(dir, "run.cjs")
	js, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(jobFile, js, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(prog, Program, 0o600); err != nil {
		return nil, err
	}
	var stderr strings.Builder
	cmd := exec.Command(rt.Node, prog, rt.Dir, jobFile)
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("onnxruntime-node on %s: %w: %s", job.Model, err, strings.TrimSpace(stderr.String()))
	}
	var raw struct {
		Sessions []struct {
			Level           string
			LoadMs          float64
			Inputs, Outputs []struct{ Shape []any }
			Runs            []struct {
				Output string
				Dims   []int
				Ms     []float64
			}
		}
	}
	if err := json.Unmarshal(stdout, &raw); err != nil {
		return nil, fmt.Errorf("onnxruntime-node: bad result %q: %w", stdout, err)
	}
	res := &Result{}
	for _, s := range raw.Sessions {
		sess := Session{Level: s.Level, LoadMs: s.LoadMs}
		for _, v := range s.Inputs {
			sess.InputShapes = append(sess.InputShapes, v.Shape)
		}
		for _, v := range s.Outputs {
			sess.OutputShapes = append(sess.OutputShapes, v.Shape)
		}
		for _, r := range s.Runs {
			b, err := os.ReadFile(r.Output)
			if err != nil {
				return nil, err
			}
			sess.Outputs = append(sess.Outputs, Output{Data: bytesFloat(b), Dims: r.Dims, Ms: r.Ms})
		}
		res.Sessions = append(res.Sessions, sess)
	}
	return res, nil
}

func floatBytes(x []float32) []byte {
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func bytesFloat(b []byte) []float32 {
	x := make([]float32, len(b)/4)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return x
}
