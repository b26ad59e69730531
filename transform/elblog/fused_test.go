package elblog

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/elbstream/elbstream/testdata/gen"
)

// TestFusedMatchesSplit checks that wherever the fused path takes a line it
// leaves what split and validate would: the same fields, quotes, presence,
// extra text and typed values. Lines: AWS's examples and the hard cases,
// generated lines (clean and messy), and every one-byte mutation of some.
func TestFusedMatchesSplit(t *testing.T) {
	var lines [][]byte
	for _, dir := range []string{"clb", "alb", "albconn"} {
		logs, _ := filepath.Glob(filepath.Join("..", "..", "testdata", dir, "*.log"))
		if len(logs) == 0 {
			t.Fatalf("no example logs for %s", dir)
		}
		for _, name := range logs {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			for l := range bytes.Lines(b) {
				lines = append(lines, trimEOL(l))
			}
		}
	}
	var mutate [][]byte
	for _, f := range []gen.Format{gen.CLB, gen.ALB, gen.ALBConnection} {
		clean := gen.New(f, 7, gen.Options{}).Lines(512)
		taken := 0
		var e Encoder
		for _, l := range clean {
			if e.f.fused(l, formatOf(f)) {
				taken++
			}
		}
		// The point of the fused path: it takes the common lines.
		if taken < len(clean)*9/10 {
			t.Errorf("%v: the fused path took %d of %d generated lines", f, taken, len(clean))
		}
		lines = append(lines, clean...)
		lines = append(lines, gen.New(f, 8, gen.Options{Messy: 1}).Lines(256)...)
		mutate = append(mutate, clean[:24]...)
		mutate = append(mutate, gen.New(f, 9, gen.Options{Messy: 1}).Lines(8)...)
	}
	for _, l := range mutate {
		for i := range l {
			for _, c := range []byte(` -"019x:.`) {
				m := bytes.Clone(l)
				m[i] = c
				lines = append(lines, m)
			}
			lines = append(lines, append(bytes.Clone(l[:i]), l[i+1:]...), bytes.Clone(l[:i]))
		}
	}
	checked := 0
	for _, l := range lines {
		for _, f := range []Format{CLB, ALB, ALBConnection} {
			if compareFused(t, l, f) {
				checked++
			}
		}
	}
	t.Logf("%d lines, %d taken by the fused path", len(lines), checked)
}

func formatOf(f gen.Format) Format {
	switch f {
	case gen.CLB:
		return CLB
	case gen.ALB:
		return ALB
	}
	return ALBConnection
}

// compareFused compares the fused path on line with split and validate,
// both with the line's bitmaps (marks.go) and without, and reports
// whether the fused path took the line.
func compareFused(t *testing.T, line []byte, f Format) bool {
	t.Helper()
	took := compareFusedMarked(t, line, f, false)
	if compareFusedMarked(t, line, f, true) != took {
		t.Errorf("%v %q: the fused path took the line with bitmaps or without, not both", f, line)
	}
	return took
}

func compareFusedMarked(t *testing.T, line []byte, f Format, marked bool) bool {
	t.Helper()
	var fused, general Encoder
	if marked {
		fused.f.m.mark(line)
		general.f.m.mark(line)
	}
	if !fused.f.fused(line, f) {
		return false
	}
	if err := general.splitValidate(line, f); err != nil {
		t.Errorf("%v %q (bitmaps %v): fused took it, the general path says %v", f, line, marked, err)
		return true
	}
	a, b := &fused.f, &general.f
	if a.n != b.n || a.quoted != b.quoted || a.present != b.present || a.quotes != b.quotes || !bytes.Equal(a.extra, b.extra) {
		t.Errorf("%v %q:\nfused   n %d quoted %b present %b quotes %d extra %q\ngeneral n %d quoted %b present %b quotes %d extra %q",
			f, line, a.n, a.quoted, a.present, a.quotes, a.extra, b.n, b.quoted, b.present, b.quotes, b.extra)
		return true
	}
	for i := range a.n {
		if !bytes.Equal(a.v[i], b.v[i]) {
			t.Errorf("%v %q: field %d fused %q, general %q", f, line, i, a.v[i], b.v[i])
		}
		if kinds[f][i] == kAny || a.present&(1<<i) == 0 {
			continue
		}
		if a.num[i] != b.num[i] || !bytes.Equal(a.dig[i], b.dig[i]) || !bytes.Equal(a.aux[i], b.aux[i]) {
			t.Errorf("%v %q: field %d fused num %d dig %q aux %q, general num %d dig %q aux %q",
				f, line, i, a.num[i], a.dig[i], a.aux[i], b.num[i], b.dig[i], b.aux[i])
		}
	}
	return true
}
