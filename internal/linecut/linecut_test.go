package linecut

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppend(t *testing.T) {
	m := func(n string) string { return Marker + n + " bytes]" }
	for _, tc := range []struct {
		name        string
		line        string
		limit, orig int
		want        string
	}{
		{"ascii", strings.Repeat("a", 100), 50, 100, strings.Repeat("a", 50-len(m("100"))) + m("100")},
		// "é" is 2 bytes: a cut inside it backs off to before it.
		{"inside a rune", "aé" + strings.Repeat("b", 60), 2 + len(m("63")), 63, "a" + m("63")},
		{"at a rune start", "aé" + strings.Repeat("b", 60), 3 + len(m("63")), 63, "aé" + m("63")},
		{"prefix held only", "abc", 10 + len(m("1000")), 1000, "abc" + m("1000")},
		{"no room for text", "abc", 5, 3, m("3")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(Append([]byte("x:"), []byte(tc.line), tc.limit, tc.orig))
			if got != "x:"+tc.want {
				t.Errorf("Append = %q, want %q", got, "x:"+tc.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Append = %q: invalid UTF-8", got)
			}
		})
	}
}

// A line cut in place keeps its own bytes in front.
func TestAppendInPlace(t *testing.T) {
	line := []byte(strings.Repeat("0123456789", 20))
	want := string(line[:100-len(Marker+"200 bytes]")]) + Marker + "200 bytes]"
	if got := string(Append(line[:0], line, 100, len(line))); got != want {
		t.Errorf("Append in place = %q, want %q", got, want)
	}
}
