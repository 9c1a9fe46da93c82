package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/colorize-dev/colorize/internal/fuzzguard"
)

func writeYAML(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "run.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultsAreValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if cfg != Default() {
		t.Fatalf("Load(\"\") = %+v, want defaults", cfg)
	}
}

func TestFileOverridesDefaults(t *testing.T) {
	p := writeYAML(t, "train:\n  lr: 2.0e-4\n  loss: l1\nmodel:\n  ngf: 8\n")
	cfg, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Train.LR != 2e-4 || cfg.Train.Loss != "l1" || cfg.Model.NGF != 8 {
		t.Fatalf("got %+v", cfg)
	}
	if cfg.Train.Beta2 != Default().Train.Beta2 {
		t.Fatalf("unset key changed: beta2 = %g", cfg.Train.Beta2)
	}
}

func TestPrecedenceFileEnvFlag(t *testing.T) {
	p := writeYAML(t, "train:\n  steps: 10\n  batch: 2\n")
	t.Setenv("COLORIZE_TRAIN_STEPS", "20")
	t.Setenv("COLORIZE_TRAIN_BATCH", "3")
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.Int("steps", 0, "")
	if err := fs.Parse([]string{"--steps", "30"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(p, FlagBinding{Key: "train.steps", Flag: fs.Lookup("steps")})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Train.Steps != 30 {
		t.Errorf("flag should win: steps = %d", cfg.Train.Steps)
	}
	if cfg.Train.Batch != 3 {
		t.Errorf("env should beat file: batch = %d", cfg.Train.Batch)
	}
}

func TestUnsetFlagDoesNotOverride(t *testing.T) {
	p := writeYAML(t, "train:\n  steps: 10\n")
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.Int("steps", 999, "")
	cfg, err := Load(p, FlagBinding{Key: "train.steps", Flag: fs.Lookup("steps")})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Train.Steps != 10 {
		t.Fatalf("steps = %d, want the file's 10", cfg.Train.Steps)
	}
}

func TestErrorsNameKeyAndSource(t *testing.T) {
	cases := []struct {
		name, yaml string
		env        [2]string
		want       []string
	}{
		{"unknown key", "train:\n  lrate: 0.1\n", [2]string{}, []string{"train.lrate", "unknown key"}},
		{"unknown section", "trian:\n  lr: 0.1\n", [2]string{}, []string{"trian", "unknown key"}},
		{"wrong type", "train:\n  lr: fast\n", [2]string{}, []string{"train.lr", "number"}},
		{"float for int", "train:\n  batch: 2.5\n", [2]string{}, []string{"train.batch", "integer"}},
		{"bool type", "data:\n  cache: 3\n", [2]string{}, []string{"data.cache", "true or false"}},
		{"out of range", "train:\n  beta2: 1.5\n", [2]string{}, []string{"train.beta2", "1.5"}},
		{"bad loss", "train:\n  loss: l2\n", [2]string{}, []string{"train.loss", "l2"}},
		{"size vs depth", "data:\n  size: 96\nmodel:\n  depth: 7\n", [2]string{}, []string{"data.size", "128"}},
		{"section as scalar", "train: 3\n", [2]string{}, []string{"train", "section"}},
		{"bad env value", "", [2]string{"COLORIZE_TRAIN_LR", "abc"}, []string{"COLORIZE_TRAIN_LR", "train.lr"}},
		{"unknown env", "", [2]string{"COLORIZE_TRAIN_LRATE", "1"}, []string{"COLORIZE_TRAIN_LRATE", "COLORIZE_TRAIN_LR,"}},
		{"unknown env section", "", [2]string{"COLORIZE_TRAINING_LR", "1"}, []string{"COLORIZE_TRAINING_LR", "known sections: "}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := ""
			if tc.yaml != "" {
				p = writeYAML(t, tc.yaml)
				tc.want = append(tc.want, p)
			}
			if tc.env[0] != "" {
				t.Setenv(tc.env[0], tc.env[1])
			}
			_, err := Load(p)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Fatalf("err = %v", err)
	}
}

func TestEnvName(t *testing.T) {
	if got := EnvName("train.lr"); got != "COLORIZE_TRAIN_LR" {
		t.Fatal(got)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	c := Default()
	c.Train.LR = 3e-4
	c.Data.Dir = "some/dir"
	c.Model.InferDropout = true
	got, err := FromJSON(c.JSON())
	if err != nil {
		t.Fatal(err)
	}
	if got != c {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, c)
	}
	if _, err := FromJSON(`{"train.nope": 1}`); err == nil {
		t.Fatal("unknown stored key accepted")
	}
}

func TestYAMLLoadsBack(t *testing.T) {
	c := Default()
	c.Train.Loss = "l1"
	c.Hints.NoneProb = 0.25
	got, err := Load(writeYAML(t, c.YAML()))
	if err != nil {
		t.Fatal(err)
	}
	if got != c {
		t.Fatalf("YAML round trip:\n got %+v\nwant %+v", got, c)
	}
}

// TestUntrustedFiles: an oversized file, YAML aliases (a billion laughs
// would expand a few hundred bytes into gigabytes) and absurd nesting are
// refused with the file named, without allocating more than the text needs.
func TestUntrustedFiles(t *testing.T) {
	laughs := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 'b'; i <= 'j'; i++ {
		prev := string(i - 1)
		laughs += fmt.Sprintf("%c: &%c [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n", i, i, prev, prev, prev, prev, prev, prev, prev, prev, prev, prev)
	}
	for name, c := range map[string]struct {
		body string
		want string
	}{
		"2 MiB":          {"seed: 1\n" + strings.Repeat("# padding\n", 2<<20/10), "larger than 1048576 bytes"},
		"billion laughs": {laughs, "line 2: YAML alias *a: aliases are not allowed"},
		"merge key":      {"base: &b {lr: 0.1}\ntrain:\n  <<: *b\n", "line 3: YAML alias *b"},
		"deep nesting":   {strings.Repeat("[", 100000) + strings.Repeat("]", 100000), "not valid YAML"},
		"not a mapping":  {"- 1\n- 2\n", "not a mapping of sections"},
	} {
		p := writeYAML(t, c.body)
		var err error
		used := fuzzguard.Measure(func() { _, err = Load(p) })
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v, want one naming the file and containing %q", name, err, c.want)
		}
		if limit := uint64(64*len(c.body) + 16<<20); used > limit {
			t.Errorf("%s: %d bytes of YAML allocated %d", name, len(c.body), used)
		}
	}
	if _, err := Load(writeYAML(t, "")); err != nil {
		t.Errorf("an empty file: %v", err)
	}
}

func TestServeKeysAndTheSecretToken(t *testing.T) {
	t.Setenv("COLORIZE_SERVE_TOKEN", "s3cret") // not a key, and not an error
	t.Setenv("COLORIZE_SERVE_WORKERS", "2")
	t.Setenv("COLORIZE_SERVE_MODELS", "3")
	cfg, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Serve.Workers != 2 || cfg.Serve.Models != 3 || cfg.Serve.Addr != "127.0.0.1:7860" {
		t.Fatalf("serve = %+v", cfg.Serve)
	}
	if strings.Contains(cfg.JSON(), "s3cret") || strings.Contains(cfg.YAML(), "s3cret") {
		t.Fatal("the token reached the stored configuration")
	}
	t.Setenv("COLORIZE_SERVE_MODELS", "1")
	if _, err := Load(""); err == nil || !strings.Contains(err.Error(), "serve.models") {
		t.Fatalf("fewer models than workers: err = %v", err)
	}
}
