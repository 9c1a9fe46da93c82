package infer

import (
	"fmt"
	"strings"
	"testing"

	"github.com/colorize-dev/colorize/internal/fuzzguard"
)

// TestPointLimits: too many points, a 10^6-point string, coordinates out of
// range and points outside the sketch are errors that say which point and
// what is allowed; a long string is refused before it is parsed.
func TestPointLimits(t *testing.T) {
	million := strings.Repeat("1,2,#ff0000 ", 1000000)
	var err error
	used := fuzzguard.Measure(func() { _, err = ParsePoints(million) })
	if err == nil || !strings.Contains(err.Error(), "at most 4096 points") {
		t.Errorf("10^6 points: error %v", err)
	}
	if used > 1<<20 {
		t.Errorf("10^6 points: parsing allocated %d bytes before refusing", used)
	}
	if _, err := ParsePoints(strings.Repeat("1,2,#ff0000;", MaxPoints+1)); err == nil || !strings.Contains(err.Error(), "more than 4096") {
		t.Errorf("4097 points: error %v", err)
	}
	if pts, err := ParsePoints(strings.Repeat("1,2,#ff0000;", MaxPoints)); err != nil || len(pts) != MaxPoints {
		t.Errorf("4096 points: %d, %v", len(pts), err)
	}
	for in, want := range map[string]string{
		"1,2,#ff0000 3,99999999999999999999,#000000": `hint point 2 "3,99999999999999999999,#000000": y "99999999999999999999" is not a whole pixel number`,
		"1048576,0,#000000":                          "x 1048576 is outside [0, 1048576)",
		"-1,0,#000000":                               "x -1 is outside",
		"1,2,#ff00zz":                                `color "#ff00zz"`,
	} {
		if _, err := ParsePoints(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one containing %q", in, err, want)
		}
	}
	c, err := Open(tinyCheckpoint(t, 5, 4, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Colorize(Request{Sketch: sketch(40, 20), Points: []Point{{X: 1, Y: 1}, {X: 5, Y: 20}}})
	if err == nil || !strings.Contains(err.Error(), "hint point 2 (5,20) is outside the 40x20 sketch: x must be in [0, 39], y in [0, 19]") {
		t.Errorf("point below the sketch: error %v", err)
	}
}

// FuzzHintPoints parses arbitrary --hint-points text: no panic, no
// allocation beyond the budget, and what parses is within the limits and
// prints back to text that parses the same.
func FuzzHintPoints(f *testing.F) {
	for _, s := range []string{"40,30,#e02020 80,60,#2060e0", "1,2,#ff8000 3,4,#0000FF;5,6,#000001", "", " ;\t", "0,0,ffffff", "1,2", "1048575,1048575,#000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var pts []Point
		var err error
		fuzzguard.Check(t, len(s), func() { pts, err = ParsePoints(s) })
		if err != nil {
			return
		}
		if len(pts) > MaxPoints {
			t.Fatalf("%d points", len(pts))
		}
		var text []string
		for _, p := range pts {
			if p.X < 0 || p.Y < 0 || p.X >= MaxCoord || p.Y >= MaxCoord || p.Color.A != 255 {
				t.Fatalf("point %+v", p)
			}
			text = append(text, fmt.Sprintf("%d,%d,#%02x%02x%02x", p.X, p.Y, p.Color.R, p.Color.G, p.Color.B))
		}
		again, err := ParsePoints(strings.Join(text, " "))
		if err != nil || len(again) != len(pts) {
			t.Fatalf("printed points do not parse back: %v", err)
		}
		for i := range pts {
			if again[i] != pts[i] {
				t.Fatalf("point %d: %+v parsed back as %+v", i, pts[i], again[i])
			}
		}
	})
}
