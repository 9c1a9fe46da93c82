package fuzzguard

import "testing"

var sink []byte

func TestMeasure(t *testing.T) {
	big := Measure(func() { sink = make([]byte, Limit(100)+1) })
	if big <= Limit(100) {
		t.Errorf("allocating %d bytes measured as %d", Limit(100)+1, big)
	}
	small := Measure(func() {})
	if small > 1<<20 {
		t.Errorf("an empty function measured %d bytes", small)
	}
	sink = nil
}

func TestCheckPasses(t *testing.T) {
	Check(t, 10, func() { sink = make([]byte, 1<<10) })
	sink = nil
}
