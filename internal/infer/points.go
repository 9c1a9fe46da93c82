package infer

import (
	"fmt"
	"image/color"
	"strconv"
	"strings"
)

// Limits on hint points: far more than a person places by hand, and far
// fewer than would make painting them slow.
const (
	// MaxPoints is the most hint points one request may have.
	MaxPoints = 4096
	// MaxCoord bounds a point's coordinates (sketches are smaller).
	MaxCoord = 1 << 20
	// maxPointsText bounds the text ParsePoints reads: MaxPoints points of
	// the longest form "1048575,1048575,#rrggbb", with a separator each.
	maxPointsText = MaxPoints * 24
)

// ParsePoints parses "x,y,#rrggbb x,y,#rrggbb …" (spaces, tabs or
// semicolons between points). x and y count pixels from the sketch's
// top-left corner and must lie in [0, MaxCoord); whether they are inside the
// sketch is checked when it is known (Colorize). More than MaxPoints points
// are an error, found before they are parsed.
func ParsePoints(s string) ([]Point, error) {
	if len(s) > maxPointsText {
		return nil, fmt.Errorf("hint points: %d characters, more than %d points can take (at most %d points)", len(s), maxPointsText, MaxPoints)
	}
	isSep := func(r rune) bool { return r == ' ' || r == ';' || r == '\t' }
	var pts []Point
	for rest := strings.TrimLeftFunc(s, isSep); rest != ""; rest = strings.TrimLeftFunc(rest, isSep) {
		end := strings.IndexFunc(rest, isSep)
		if end < 0 {
			end = len(rest)
		}
		f := rest[:end]
		rest = rest[end:]
		if len(pts) == MaxPoints {
			return nil, fmt.Errorf("hint points: more than %d", MaxPoints)
		}
		p, err := parsePoint(f)
		if err != nil {
			return nil, fmt.Errorf("hint point %d %q: %w", len(pts)+1, f, err)
		}
		pts = append(pts, p)
	}
	return pts, nil
}

func parsePoint(f string) (Point, error) {
	parts := strings.Split(f, ",")
	if len(parts) != 3 {
		return Point{}, fmt.Errorf("want x,y,#rrggbb")
	}
	var xy [2]int
	for i, name := range []string{"x", "y"} {
		v, err := strconv.Atoi(parts[i])
		if err != nil {
			return Point{}, fmt.Errorf("%s %q is not a whole pixel number", name, parts[i])
		}
		if v < 0 || v >= MaxCoord {
			return Point{}, fmt.Errorf("%s %d is outside [0, %d)", name, v, MaxCoord)
		}
		xy[i] = v
	}
	c, err := parseHex(parts[2])
	if err != nil {
		return Point{}, err
	}
	return Point{X: xy[0], Y: xy[1], Color: c}, nil
}

func parseHex(s string) (color.RGBA, error) {
	h := strings.TrimPrefix(s, "#")
	if len(h) != 6 {
		return color.RGBA{}, fmt.Errorf("color %q: want #rrggbb", s)
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return color.RGBA{}, fmt.Errorf("color %q: want #rrggbb", s)
	}
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}, nil
}
