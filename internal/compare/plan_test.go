package compare

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/colorize-dev/colorize/internal/config"
)

// TestPlanIsSelfContained: a plan written from a relative data folder names
// absolute paths, so its commands run from any working directory, and its
// collect command carries the evaluation's hint axis and image cap.
func TestPlanIsSelfContained(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	cfg := tinyConfig(t, 4)
	cfg.Data.Dir = "data/mine"
	cfg.Data.SplitFile = "val.txt"
	opts := Options{Config: cfg, Seeds: 2, Out: "cmp", HintCounts: []int{0, 4, 16}}
	opts.Eval.MaxImages = 7
	n, err := WritePlan("plan.sh", opts, "/usr/bin/colorize")
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("plan has %d runs, want 4 (2 seeds × 2 arms)", n)
	}
	real, _ := filepath.EvalSymlinks(dir) // t.TempDir may sit behind a link
	written, err := config.Load(filepath.Join(dir, "cmp", ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	for key, got := range map[string]string{"data.dir": written.Data.Dir, "data.split_file": written.Data.SplitFile} {
		if !filepath.IsAbs(got) || !(strings.HasPrefix(got, dir) || strings.HasPrefix(got, real)) {
			t.Errorf("%s in the plan's configuration is %q, want an absolute path under %s", key, got, dir)
		}
	}
	text, err := os.ReadFile("plan.sh")
	if err != nil {
		t.Fatal(err)
	}
	var collect string
	for _, line := range strings.Split(string(text), "\n") {
		if strings.HasSuffix(line, "--collect") {
			collect = line
		}
	}
	if !strings.Contains(collect, " --hints 0,4,16") || !strings.Contains(collect, " --max-eval 7") {
		t.Errorf("collect command %q lacks the hint axis or the image cap", collect)
	}
}
