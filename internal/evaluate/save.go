package evaluate

import (
	"image"
	"path/filepath"
	"strings"

	"github.com/colorize-dev/colorize/internal/atomicfile"
)

// savePNG writes img as PNG to path, replacing the extension with .png.
func savePNG(path string, img image.Image) error {
	path = strings.TrimSuffix(path, filepath.Ext(path)) + ".png"
	return atomicfile.WritePNG(path, img)
}
