package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/colorize-dev/colorize/internal/fuzzguard"
)

// TestTextFileLimits: an index.csv or split file larger than its cap is
// refused before it is read, and over-long fields, lines and records are
// refused with the file and line named.
func TestTextFileLimits(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Sparse files: the size is what counts, nothing is read.
	huge := func(name string, size int64) string {
		p := write(name, "")
		if err := os.Truncate(p, size); err != nil {
			t.Fatal(err)
		}
		return p
	}
	long := strings.Repeat("x", maxField+1)
	for name, c := range map[string]struct {
		read func() error
		want string
	}{
		"index.csv of 65 MiB": {func() error { _, err := readGroups(huge("big.csv", 65<<20)); return err },
			"big.csv: 68157440 bytes, more than the 67108864 allowed"},
		"index.csv field too long": {func() error {
			_, err := readGroups(write("long.csv", "file,base_file\na.png,"+long+"\n"))
			return err
		}, "long.csv: line 2: field 2 is 4097 bytes, more than the 4096 allowed"},
		"index.csv too many columns": {func() error {
			_, err := readGroups(write("wide.csv", "file,base_file"+strings.Repeat(",", maxColumns)+"\n"))
			return err
		}, "wide.csv: line 1 has 1026 fields"},
		"index.csv short record": {func() error { _, err := readGroups(write("short.csv", "x,file,base_file\na,b\n")); return err },
			"short.csv: line 2 has 2 fields, the header 3"},
		"split file of 17 MiB": {func() error { _, _, _, err := Split(nil, 0, huge("big.txt", 17<<20)); return err },
			"big.txt: 17825792 bytes, more than the 16777216 allowed"},
		"split file line too long": {func() error { _, _, _, err := Split(nil, 0, write("long.txt", "a.png\n"+long)); return err },
			"long.txt: line 2 is 4097 bytes"},
	} {
		var err error
		used := fuzzguard.Measure(func() { err = c.read() })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
		}
		if used > 1<<20 {
			t.Errorf("%s: allocated %d bytes", name, used)
		}
	}
}
