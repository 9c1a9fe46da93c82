package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestBarRateAndETA(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Unix(0, 0)
	b := New(&buf, false, "train", 100, 0)
	b.now = func() time.Time { return clock }
	b.start = clock
	clock = clock.Add(10 * time.Second)
	b.Update(20, "loss 0.5")
	got := buf.String()
	for _, want := range []string{"train", "20/100", "20.0%", "2.00 it/s", "ETA 40s", "loss 0.5"} {
		if !strings.Contains(got, want) {
			t.Errorf("line %q lacks %q", got, want)
		}
	}
	// A second update within Interval is suppressed on a non-terminal...
	buf.Reset()
	clock = clock.Add(time.Second)
	b.Update(22, "")
	if buf.Len() != 0 {
		t.Errorf("printed too often: %q", buf.String())
	}
	// ...but the final one is always shown.
	b.Update(100, "")
	if !strings.Contains(buf.String(), "100/100") {
		t.Errorf("final update missing: %q", buf.String())
	}
}

func TestResumedBarCountsOnlyNewWork(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Unix(0, 0)
	b := New(&buf, true, "train", 100, 50)
	b.now = func() time.Time { return clock }
	b.start = clock
	clock = clock.Add(5 * time.Second)
	b.Update(60, "")
	if !strings.Contains(buf.String(), "2.00 it/s") || !strings.HasPrefix(buf.String(), "\r") {
		t.Fatalf("got %q", buf.String())
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		6 * time.Second: "6s", 245 * time.Second: "4m05s", 3723 * time.Second: "1h02m03s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("%v: got %s want %s", d, got, want)
		}
	}
}
