package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/colorize-dev/colorize/internal/fuzzguard"
)

// FuzzConfigYAML loads arbitrary bytes as a config file (seeded with the
// configs the repository ships): no panic, no allocation beyond the budget,
// and what loads is valid.
func FuzzConfigYAML(f *testing.F) {
	shipped, err := filepath.Glob(filepath.Join("..", "..", "configs", "*.yaml"))
	if err != nil || len(shipped) == 0 {
		f.Fatalf("no shipped configs found: %v", err)
	}
	for _, p := range shipped {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("train: &t {lr: 0.1}\neval: *t\n"))
	f.Add([]byte("data:\n  size: 1e400\nmodel: {depth: 99999999999999999999}\n"))
	f.Add([]byte("? [a, b]\n: 1\n"))
	f.Add([]byte("%YAML 1.2\n---\n!!map {seed: !!str 1}\n"))
	path := filepath.Join(f.TempDir(), "c.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var cfg Config
		var err error
		fuzzguard.Check(t, len(data), func() { cfg, err = Load(path) })
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("Load returned an invalid config: %v", err)
		}
	})
}
