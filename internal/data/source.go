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

// readGroups reads file → group from an index.csv with "file" and
// "base_file" columns; a missing file gives an empty map.
func readGroups(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("group table %s: %w", path, err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("group table %s: %w", path, err)
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
		return nil, fmt.Errorf("group table %s: header needs columns file and base_file, got %q", path, header)
	}
	groups := map[string]string{}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("group table %s: %w", path, err)
		}
		if fileCol >= len(rec) || groupCol >= len(rec) {
			return nil, fmt.Errorf("group table %s: line %d has %d fields", path, line, len(rec))
		}
		file, group := strings.TrimSpace(rec[fileCol]), Stem(strings.TrimSpace(rec[groupCol]))
		if file != "" && group != "" {
			groups[file] = group
		}
	}
	return groups, nil
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
	raw, err := os.ReadFile(splitFile)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("split file: %w", err)
	}
	want := map[string]bool{}
	for _, l := range strings.Split(string(raw), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		want[l] = true
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
