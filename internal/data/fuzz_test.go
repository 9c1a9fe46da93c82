package data

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/colorize-dev/colorize/internal/fuzzguard"
)

// FuzzIndexCSV parses arbitrary bytes as an index.csv (seeded with the
// first rows of the shipped openmoji-mini's): no panic, no allocation beyond
// the budget.
func FuzzIndexCSV(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("..", "..", "data", "openmoji-mini", IndexFile))
	if err != nil {
		f.Fatal(err)
	}
	if i := bytes.IndexByte(b[min(len(b), 2000):], '\n'); i >= 0 {
		b = b[:min(len(b), 2000)+i+1]
	}
	f.Add(b)
	f.Add([]byte("file,group,subgroup,annotation,base_file\n1F600.png,smileys-emotion,face-smiling,grinning face,1F600.png\n" +
		"1F44B-1F3FB.png,people-body,hand-fingers-open,\"waving hand, light skin tone\",1F44B.png\n"))
	f.Add([]byte("file,base_file\n\"a\nb\",c\n"))
	f.Add([]byte("file,base_file\na\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var groups map[string]string
		var err error
		fuzzguard.Check(t, len(data), func() { groups, err = parseGroups(bytes.NewReader(data), maxIndexSize) })
		if err != nil {
			return
		}
		for file, group := range groups {
			if file == "" || group == "" || len(file) > maxField || len(group) > maxField {
				t.Fatalf("group %q of %q", group, file)
			}
		}
	})
}

// FuzzSplitFile parses arbitrary bytes as a split file: no panic, no
// allocation beyond the budget, and no name that is blank, a comment or
// longer than a field may be.
func FuzzSplitFile(f *testing.F) {
	f.Add([]byte("# validation\n1F600.png\n1F603\n\n  1F604.png  \r\n"))
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte("x"), maxField+1))
	f.Fuzz(func(t *testing.T, data []byte) {
		var names map[string]bool
		var err error
		fuzzguard.Check(t, len(data), func() { names, err = parseSplit(data) })
		if err != nil {
			return
		}
		for name := range names {
			if name == "" || name[0] == '#' || len(name) > maxField || name != string(bytes.TrimSpace([]byte(name))) {
				t.Fatalf("name %q", name)
			}
		}
	})
}
