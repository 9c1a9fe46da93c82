package data

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Item is one training example as found on disk.
type Item struct {
	// Name identifies the example: the color file's base name ("1F600.png").
	Name string
	// Color is the path of the original image.
	Color string
	// Line is the path of the drawn line art, or "" when it is synthesised
	// from Color with XDoG.
	Line string
	// Hint is the path of a hint image (RGBA, alpha = mask), or "".
	Hint string
	// Group names the drawing the example belongs to; examples of one group
	// always land on the same side of the train/validation split.
	Group string
}

// Scan is the content of a data folder.
type Scan struct {
	Dir string
	// Paired is true for the line/ + color/ layout, false for a folder of
	// color images whose line art is synthesised.
	Paired bool
	// Items are sorted by Name.
	Items []Item
	// Unmatched lists files without a partner ("line/x.png: no color/x.*"),
	// and files shadowed by another with the same name stem.
	Unmatched []string
}

// Stem is a file name without its folder and extension; line and color files
// pair up by stem, so line/a.png matches color/a.jpg.
func Stem(name string) string {
	base := filepath.Base(name)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// IndexFile is the optional per-folder table that names each file's group
// (openmoji's index.csv: columns file and base_file).
const IndexFile = "index.csv"

// ScanDir lists the examples in dir. With line/ and color/ subfolders, line
// and color files pair by stem and hint/ files (optional) join by stem too;
// otherwise the color images are dir/color/* if that exists, else dir/* itself,
// and line art will be synthesised. Only file names are read here (hidden
// files are ignored); decoding happens later. Groups come from dir/index.csv
// when present, otherwise each example is its own group.
func ScanDir(dir string) (*Scan, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("data folder %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("data folder %s: not a folder", dir)
	}
	s := &Scan{Dir: dir}
	isDir := func(p string) bool { st, err := os.Stat(p); return err == nil && st.IsDir() }
	colorDir := dir
	if isDir(filepath.Join(dir, "color")) {
		colorDir = filepath.Join(dir, "color")
	}
	s.Paired = isDir(filepath.Join(dir, "line")) && colorDir != dir

	colors, err := listFiles(colorDir, s, "color/")
	if err != nil {
		return nil, err
	}
	if colorDir == dir {
		// A flat folder may hold the group table and split files next to the images.
		delete(colors, Stem(IndexFile))
	}
	var lines, hints map[string]string
	if s.Paired {
		if lines, err = listFiles(filepath.Join(dir, "line"), s, "line/"); err != nil {
			return nil, err
		}
	}
	if isDir(filepath.Join(dir, "hint")) {
		if hints, err = listFiles(filepath.Join(dir, "hint"), s, "hint/"); err != nil {
			return nil, err
		}
	}
	groups, err := readGroups(filepath.Join(dir, IndexFile))
	if err != nil {
		return nil, err
	}
	for stem, path := range colors {
		it := Item{Name: filepath.Base(path), Color: path, Hint: hints[stem]}
		if s.Paired {
			line, ok := lines[stem]
			if !ok {
				s.Unmatched = append(s.Unmatched, fmt.Sprintf("color/%s: no line/%s.*", it.Name, stem))
				continue
			}
			it.Line = line
		}
		it.Group = groups[it.Name]
		if it.Group == "" {
			it.Group = groups[stem]
		}
		if it.Group == "" {
			it.Group = stem
		}
		s.Items = append(s.Items, it)
	}
	for stem, path := range lines {
		if _, ok := colors[stem]; !ok {
			s.Unmatched = append(s.Unmatched, fmt.Sprintf("line/%s: no color/%s.*", filepath.Base(path), stem))
		}
	}
	for stem, path := range hints {
		if _, ok := colors[stem]; !ok {
			s.Unmatched = append(s.Unmatched, fmt.Sprintf("hint/%s: no color/%s.*", filepath.Base(path), stem))
		}
	}
	sort.Slice(s.Items, func(i, j int) bool { return s.Items[i].Name < s.Items[j].Name })
	sort.Strings(s.Unmatched)
	return s, nil
}

// listFiles maps stem → path for the regular, non-hidden files of dir. When
// two files share a stem, the first by name wins and the other is reported.
func listFiles(dir string, s *Scan, label string) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("data folder %s: %w", dir, err)
	}
	out := map[string]string{}
	for _, e := range entries { // ReadDir sorts by name
		name := e.Name()
		if strings.HasPrefix(name, ".") || !e.Type().IsRegular() && e.Type()&os.ModeSymlink == 0 {
			continue
		}
		stem := Stem(name)
		if prev, dup := out[stem]; dup {
			s.Unmatched = append(s.Unmatched, fmt.Sprintf("%s%s: same name as %s, ignored", label, name, filepath.Base(prev)))
			continue
		}
		out[stem] = filepath.Join(dir, name)
	}
	return out, nil
}

// Limits on the text files of a data folder (openmoji's index.csv of 4,000
// rows takes 400 KB; file names are at most 255 bytes on common file
// systems).
const (
	maxIndexSize = 64 << 20 // bytes of index.csv
	maxSplitSize = 16 << 20 // bytes of a split file
	maxField     = 4096     // bytes of one index.csv field or split-file line
	maxColumns   = 1024     // fields of one index.csv record
)

// openCapped opens path and refuses it when it holds more than max bytes,
// before reading any; what it returns reads at most max+1 bytes, for files
// whose size the file system does not know.
func openCapped(path string, max int64) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && st.Mode().IsRegular() && st.Size() > max {
		err = fmt.Errorf("%d bytes, more than the %d allowed", st.Size(), max)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, max+1), f}, nil
}

// readGroups reads file → group from an index.csv with "file" and
// "base_file" columns; a missing file gives an empty map.
func readGroups(path string) (map[string]string, error) {
	r, err := openCapped(path, maxIndexSize)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("group table %s: %w", path, err)
	}
	defer r.Close()
	groups, err := parseGroups(bufio.NewReader(r), maxIndexSize)
	if err != nil {
		return nil, fmt.Errorf("group table %s: %w", path, err)
	}
	return groups, nil
}

// parseGroups reads the CSV text of an index.csv holding at most max bytes.
func parseGroups(in io.Reader, max int64) (map[string]string, error) {
	counted := &countingReader{r: in}
	r := csv.NewReader(counted)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	check := func(line int, rec []string) error {
		if counted.n > max {
			return fmt.Errorf("more than the %d bytes allowed", max)
		}
		if len(rec) > maxColumns {
			return fmt.Errorf("line %d has %d fields, more than the %d allowed", line, len(rec), maxColumns)
		}
		for i, f := range rec {
			if len(f) > maxField {
				return fmt.Errorf("line %d: field %d is %d bytes, more than the %d allowed", line, i+1, len(f), maxField)
			}
		}
		return nil
	}
	header, err := r.Read()
	if err != nil {
		return nil, err
	}
	if err := check(1, header); err != nil {
		return nil, err
	}
	fileCol, groupCol := -1, -1
	for i, h := range header {
		switch strings.TrimSpace(h) {
		case "file":
			fileCol = i
		case "base_file":
			groupCol = i
		}
	}
	if fileCol < 0 || groupCol < 0 {
		return nil, fmt.Errorf("header needs columns file and base_file, got %q", header)
	}
	groups := map[string]string{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := r.FieldPos(0)
		if err := check(line, rec); err != nil {
			return nil, err
		}
		if fileCol >= len(rec) || groupCol >= len(rec) {
			return nil, fmt.Errorf("line %d has %d fields, the header %d", line, len(rec), len(header))
		}
		file, group := strings.TrimSpace(rec[fileCol]), Stem(strings.TrimSpace(rec[groupCol]))
		if file != "" && group != "" {
			groups[file] = group
		}
	}
	if counted.n > max {
		return nil, fmt.Errorf("more than the %d bytes allowed", max)
	}
	return groups, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// readSplit reads the names of a split file.
func readSplit(path string) (map[string]bool, error) {
	r, err := openCapped(path, maxSplitSize)
	if err != nil {
		return nil, fmt.Errorf("split file %s: %w", path, err)
	}
	defer r.Close()
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("split file %s: %w", path, err)
	}
	if len(raw) > maxSplitSize {
		return nil, fmt.Errorf("split file %s: more than the %d bytes allowed", path, maxSplitSize)
	}
	want, err := parseSplit(raw)
	if err != nil {
		return nil, fmt.Errorf("split file %s: %w", path, err)
	}
	return want, nil
}

// parseSplit reads the names of a split file: one per line, blank lines and
// lines starting with # ignored.
func parseSplit(raw []byte) (map[string]bool, error) {
	want := map[string]bool{}
	for i, l := range strings.Split(string(raw), "\n") {
		if len(l) > maxField {
			return nil, fmt.Errorf("line %d is %d bytes, more than the %d a name may have", i+1, len(l), maxField)
		}
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		want[l] = true
	}
	return want, nil
}

// Split divides items into training and validation examples. With a split
// file (one name per line, a file name or its stem; blank lines and lines
// starting with # ignored), the listed examples are validation; names that
// match nothing are returned in unknown. Otherwise a group is validation when
// a hash of its name falls below valFraction: the split depends on nothing but
// the group names, so it is the same on every run and machine, a new file
// never moves an old one, and a group never straddles the split.
func Split(items []Item, valFraction float64, splitFile string) (train, val []Item, unknown []string, err error) {
	if splitFile == "" {
		for _, it := range items {
			if unitHash("split\x00"+it.Group) < valFraction {
				val = append(val, it)
			} else {
				train = append(train, it)
			}
		}
		return train, val, nil, nil
	}
	want, err := readSplit(splitFile)
	if err != nil {
		return nil, nil, nil, err
	}
	used := map[string]bool{}
	for _, it := range items {
		key := ""
		if want[it.Name] {
			key = it.Name
		} else if want[Stem(it.Name)] {
			key = Stem(it.Name)
		}
		if key != "" {
			used[key] = true
			val = append(val, it)
		} else {
			train = append(train, it)
		}
	}
	for name := range want {
		if !used[name] {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	return train, val, unknown, nil
}
