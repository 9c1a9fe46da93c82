package modelio

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"github.com/colorize-dev/colorize/internal/atomicfile"
)

// sheetGap is the white space between tiles, in pixels; examples are
// separated by twice as much.
const sheetGap = 2

// Sheet lays out the examples of b as a contact sheet: for each example the
// tiles line | hints | output | original side by side (output only when
// output, [N,3,H,W] in [-1, 1], is not nil), perRow examples per row. The hint
// tile shows the hint colors over a faded copy of the line art.
func Sheet(b *Batch, output []float32, perRow int) (*image.RGBA, error) {
	if perRow < 1 {
		perRow = 1
	}
	hw := b.H * b.W
	if output != nil && len(output) != b.N*3*hw {
		return nil, fmt.Errorf("sheet: output has %d values, want %d×3×%d×%d", len(output), b.N, b.H, b.W)
	}
	tiles := 3
	if output != nil {
		tiles = 4
	}
	groupW := tiles*b.W + (tiles-1)*sheetGap
	cols := min(perRow, max(1, b.N))
	rows := (b.N + cols - 1) / cols
	W := cols*groupW + (cols+1)*2*sheetGap
	H := rows*b.H + (rows+1)*2*sheetGap
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	for i := 0; i < b.N; i++ {
		line, hint, orig := b.Example(i)
		x0 := 2*sheetGap + (i%cols)*(groupW+2*sheetGap)
		y0 := 2*sheetGap + (i/cols)*(b.H+2*sheetGap)
		put := func(tile int, px func(j int) color.RGBA) {
			for y := 0; y < b.H; y++ {
				for x := 0; x < b.W; x++ {
					img.SetRGBA(x0+tile*(b.W+sheetGap)+x, y0+y, px(y*b.W+x))
				}
			}
		}
		rgb := func(t []float32) func(int) color.RGBA {
			return func(j int) color.RGBA {
				return color.RGBA{ToByte(t[j]), ToByte(t[hw+j]), ToByte(t[2*hw+j]), 255}
			}
		}
		put(0, func(j int) color.RGBA { v := ToByte(line[j]); return color.RGBA{v, v, v, 255} })
		put(1, func(j int) color.RGBA {
			if hint[3*hw+j] >= 0.5 {
				return color.RGBA{ToByte(hint[j]), ToByte(hint[hw+j]), ToByte(hint[2*hw+j]), 255}
			}
			v := 191 + ToByte(line[j])/4 // line art faded to a light gray
			return color.RGBA{v, v, v, 255}
		})
		tile := 2
		if output != nil {
			put(tile, rgb(output[i*3*hw:(i+1)*3*hw]))
			tile++
		}
		put(tile, rgb(orig))
	}
	return img, nil
}

// WriteSheet writes the contact sheet of b (see Sheet) as a PNG file at
// path, atomically.
func WriteSheet(path string, b *Batch, output []float32, perRow int) error {
	img, err := Sheet(b, output, perRow)
	if err != nil {
		return err
	}
	return atomicfile.WritePNG(path, img)
}
