package fid

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// python is Debian's interpreter, the one with python3-torch, numpy and
// scipy; the first python3 on PATH may be another.
const python = "/usr/bin/python3"

var (
	torchOnce sync.Once
	torchErr  error
)

// needTorch skips the test when Debian's python3 with torch, numpy and scipy
// is missing (CI installs them, so there the test runs).
func needTorch(t testing.TB) {
	t.Helper()
	torchOnce.Do(func() {
		if _, err := os.Stat(python); err != nil {
			torchErr = err
			return
		}
		out, err := exec.Command(python, "-c", "import torch, numpy, scipy").CombinedOutput()
		if err != nil {
			torchErr = &exec.Error{Name: string(bytes.TrimSpace(out)), Err: err}
		}
	})
	if torchErr != nil {
		t.Skipf("reference needs %s with torch, numpy and scipy (apt-get install python3-torch python3-scipy): %v", python, torchErr)
	}
}

// runPy runs testdata/NAME.py with args and returns its standard output.
func runPy(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	needTorch(t)
	cmd := exec.Command(python, append([]string{filepath.Join("testdata", name)}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	return out
}
