package imageio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pngDeclaring returns a PNG signature and IHDR chunk declaring w×h RGBA
// pixels, followed by a small IDAT of zlib'd zeros: a few hundred bytes that
// claim as much memory as the header says.
func pngDeclaring(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		c := crc32.NewIEEE()
		c.Write([]byte(typ))
		c.Write(data)
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, c.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// peakRSSKiB is this process's peak resident set (VmHWM), in KiB.
func peakRSSKiB(t testing.TB) int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	t.Skip("no VmHWM")
	return 0
}

// TestHugeHeaderRefusedQuicklyWithBoundedMemory decodes a 50 000 × 50 000
// PNG header (10 GB of RGBA if it were decoded) in a child process and
// checks the error, the time and the child's peak RSS.
func TestHugeHeaderRefusedQuicklyWithBoundedMemory(t *testing.T) {
	if path := os.Getenv("IMAGEIO_DECODE_CHILD"); path != "" {
		_, _, err := Decode(path)
		fmt.Printf("ERR %v\nRSS %d\n", err, peakRSSKiB(t))
		return
	}
	path := filepath.Join(t.TempDir(), "huge.png")
	if err := os.WriteFile(path, pngDeclaring(50000, 50000), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHugeHeaderRefusedQuicklyWithBoundedMemory$")
	cmd.Env = append(os.Environ(), "IMAGEIO_DECODE_CHILD="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	elapsed := time.Since(start)
	var rss int
	var msg string
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "RSS "); ok {
			rss, _ = strconv.Atoi(v)
		}
		if v, ok := strings.CutPrefix(line, "ERR "); ok {
			msg = v
		}
	}
	t.Logf("refused in %v, child peak RSS %d KiB: %s", elapsed, rss, msg)
	for _, want := range []string{path, "50000×50000", "limits.max_pixels"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}
	// The test binary itself is some tens of MiB; decoding would need 10 GB.
	if rss == 0 || rss > 256<<10 {
		t.Errorf("peak RSS %d KiB, want under 256 MiB", rss)
	}
}

func TestBudgetIsConfigurableAndHeadersAreChecked(t *testing.T) {
	defer SetMaxPixels(MaxPixels())
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 40, 30)))
	SetMaxPixels(1200)
	if _, _, err := DecodeReader(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatalf("40×30 at a budget of 1200: %v", err)
	}
	SetMaxPixels(1199)
	_, _, err := DecodeReader(bufio.NewReader(bytes.NewReader(buf.Bytes()))) // not a seeker: buffered
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Width != 40 || tl.Height != 30 {
		t.Fatalf("err = %v, want TooLargeError 40×30", err)
	}
	// Overflowing products are refused, not wrapped around.
	if err := CheckSize(image.Config{Width: 1 << 40, Height: 1 << 40}, "png"); !errors.As(err, &tl) {
		t.Errorf("2^80 pixels: %v", err)
	}
	if err := CheckSize(image.Config{Width: 0, Height: 5}, "png"); err == nil {
		t.Error("empty image accepted")
	}
	// Within the budget, a header that promises more data than follows is
	// an error, not a hang or a giant allocation.
	SetMaxPixels(DefaultMaxPixels)
	if _, _, err := DecodeReader(bytes.NewReader(pngDeclaring(4000, 4000))); err == nil {
		t.Error("a PNG with 16 MP declared and 9 bytes of data decoded")
	}
}
