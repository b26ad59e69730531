package elblog

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestMarksAsmIsVEXOnly keeps legacy-SSE instructions out of the AVX2
// kernel. One such instruction touching an X register while the upper
// halves of the Y registers are dirty (MOVQ AX, X2 after VPBROADCASTB into
// Y1) cost about 350 ns a call on an AMD EPYC family 25 model 1 (Zen 3)
// host, where the whole kernel takes about 30 ns for 640 bytes: see
// marks_amd64.s.
func TestMarksAsmIsVEXOnly(t *testing.T) {
	f, err := os.Open("marks_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vecReg := regexp.MustCompile(`\b[XY](1[0-5]|[0-9])\b`)
	s := bufio.NewScanner(f)
	for n := 1; s.Scan(); n++ {
		line := strings.TrimSpace(s.Text())
		if i := strings.Index(line, "//"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		op, _, _ := strings.Cut(line, " ")
		if line == "" || strings.HasSuffix(op, ":") || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "TEXT") {
			continue
		}
		if vecReg.MatchString(line) && !strings.HasPrefix(op, "V") {
			t.Errorf("marks_amd64.s:%d: %q is not VEX-encoded: use the V form (VMOVD, …)", n, line)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
}
