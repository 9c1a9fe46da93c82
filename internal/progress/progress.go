// Package progress draws a progress bar with rate and ETA for long work: it
// redraws one line in place on a terminal and prints a plain line at most
// every Interval otherwise (logs, CI).
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Bar reports progress of Total units of work.
type Bar struct {
	Out   io.Writer
	Total int
	// Label prefixes the line ("train", "prepare").
	Label string
	// Unit names the rate's unit ("it", "img").
	Unit string
	// TTY redraws in place; otherwise a line is printed every Interval.
	TTY      bool
	Interval time.Duration

	mu       sync.Mutex
	start    time.Time
	startN   int
	lastDraw time.Time
	now      func() time.Time
}

// New returns a bar that starts counting at done (for resumed work).
func New(out io.Writer, tty bool, label string, total, done int) *Bar {
	b := &Bar{Out: out, Total: total, Label: label, Unit: "it", TTY: tty, Interval: 10 * time.Second, now: time.Now}
	b.start = b.now()
	b.startN = done
	return b
}

// Update sets the amount of finished work and an extra status text, redrawing
// when enough time has passed (or always when done == Total).
func (b *Bar) Update(done int, status string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	minGap := b.Interval
	if b.TTY {
		minGap = 100 * time.Millisecond
	}
	if done < b.Total && now.Sub(b.lastDraw) < minGap {
		return
	}
	b.lastDraw = now
	line := b.line(done, status, now)
	if b.TTY {
		fmt.Fprintf(b.Out, "\r\033[K%s", line)
		if done >= b.Total {
			fmt.Fprintln(b.Out)
		}
	} else {
		fmt.Fprintln(b.Out, line)
	}
}

// Finish ends the bar's line on a terminal.
func (b *Bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.TTY && !b.lastDraw.IsZero() {
		fmt.Fprintln(b.Out)
		b.lastDraw = time.Time{}
	}
}

func (b *Bar) line(done int, status string, now time.Time) string {
	const width = 24
	frac := 0.0
	if b.Total > 0 {
		frac = float64(done) / float64(b.Total)
	}
	if frac > 1 {
		frac = 1
	}
	filled := int(frac * width)
	bar := strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
	elapsed := now.Sub(b.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(done-b.startN) / elapsed
	}
	eta := "?"
	if rate > 0 {
		eta = FormatDuration(time.Duration(float64(b.Total-done) / rate * float64(time.Second)))
	}
	unit := b.Unit
	if unit == "" {
		unit = "it"
	}
	s := fmt.Sprintf("%s %s %d/%d %5.1f%% %.2f %s/s ETA %s", b.Label, bar, done, b.Total, 100*frac, rate, unit, eta)
	if status != "" {
		s += "  " + status
	}
	return s
}

// FormatDuration renders d as 1h02m03s / 4m05s / 6s.
func FormatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h := int(d.Hours())
	m := int(d.Minutes()) % 60
	s := int(d.Seconds()) % 60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm%02ds", h, m, s)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	default:
		return fmt.Sprintf("%ds", s)
	}
}
