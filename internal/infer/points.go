package infer

import (
	"fmt"
	"image/color"
	"strconv"
	"strings"
)

// ParsePoints parses "x,y,#rrggbb x,y,#rrggbb …" (spaces or semicolons
// between points).
func ParsePoints(s string) ([]Point, error) {
	var pts []Point
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ';' || r == '\t' }) {
		parts := strings.Split(f, ",")
		if len(parts) != 3 {
			return nil, fmt.Errorf("hint point %q: want x,y,#rrggbb", f)
		}
		x, err1 := strconv.Atoi(parts[0])
		y, err2 := strconv.Atoi(parts[1])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("hint point %q: x and y must be whole pixel numbers", f)
		}
		c, err := parseHex(parts[2])
		if err != nil {
			return nil, fmt.Errorf("hint point %q: %w", f, err)
		}
		pts = append(pts, Point{X: x, Y: y, Color: c})
	}
	return pts, nil
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
