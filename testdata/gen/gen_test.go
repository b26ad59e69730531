package gen

import (
	"bytes"
	"testing"
)

func TestDeterministic(t *testing.T) {
	for _, f := range Formats {
		a := Object(f, 42, 200, Options{Messy: 0.5})
		b := Object(f, 42, 200, Options{Messy: 0.5})
		if !bytes.Equal(a, b) {
			t.Errorf("%v: same seed, different output", f)
		}
		if c := Object(f, 43, 200, Options{Messy: 0.5}); bytes.Equal(a, c) {
			t.Errorf("%v: different seeds, same output", f)
		}
		if n := bytes.Count(a, []byte("\n")); n != 200 {
			t.Errorf("%v: %d lines, want 200", f, n)
		}
	}
}
