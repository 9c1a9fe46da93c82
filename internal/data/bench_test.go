package data

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchFolder links the first n openmoji128 pairs into a temporary paired
// folder, or writes synthetic
// 128×128 pairs when openmoji128 is absent.
func benchFolder(b *testing.B, n int) string {
	root, ok := findOpenmoji()
	dir := b.TempDir()
	if !ok {
		pairedFixture(b, dir, 64, 128, 128)
		return dir
	}
	entries, err := os.ReadDir(filepath.Join(root, "color"))
	if err != nil {
		b.Fatal(err)
	}
	for _, sub := range []string{"line", "color"} {
		os.Mkdir(filepath.Join(dir, sub), 0o755)
	}
	for i, e := range entries {
		if i == n || !strings.HasSuffix(e.Name(), ".png") {
			break
		}
		for _, sub := range []string{"line", "color"} {
			if err := os.Symlink(filepath.Join(root, sub, e.Name()), filepath.Join(dir, sub, e.Name())); err != nil {
				b.Fatal(err)
			}
		}
	}
	return dir
}

// BenchmarkLoader measures images per second through Loader.Next with batch
// 4 and the default augmentation and hints, at 128² and 256² (openmoji's
// 128² images enlarged at Open for the latter): cached (decoded once at
// Open) and uncached (PNG decoding of line and color on every use).
func BenchmarkLoader(b *testing.B) {
	dir := benchFolder(b, 256)
	for _, size := range []int{128, 256} {
		for _, cache := range []bool{true, false} {
			name := fmt.Sprintf("%d/cached", size)
			if !cache {
				name = fmt.Sprintf("%d/uncached", size)
			}
			b.Run(name, func(b *testing.B) {
				cfg := testConfig(dir, size, 0)
				cfg.Data.Cache = cache
				d, err := Open(cfg, Options{})
				if err != nil {
					b.Fatal(err)
				}
				l, err := d.Train(1, 4)
				if err != nil {
					b.Fatal(err)
				}
				defer l.Close()
				if _, err := l.Next(); err != nil { // start the workers
					b.Fatal(err)
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := l.Next(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(4*b.N)/b.Elapsed().Seconds(), "img/s")
			})
		}
	}
}
