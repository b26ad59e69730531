package elblog

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/elbstream/elbstream/testdata/gen"
)

// marksScalar is what mark computes, byte by byte: the reference.
func marksScalar(line []byte) (sp, qt []bool, clean bool, quotes int) {
	sp, qt = make([]bool, len(line)), make([]bool, len(line))
	clean = true
	for i, c := range line {
		sp[i], qt[i] = c == ' ', c == '"'
		if qt[i] {
			quotes++
		}
		if c < 0x20 || c > 0x7e || c == '\\' {
			clean = false
		}
	}
	return sp, qt, clean, quotes
}

func checkMarks(t *testing.T, line []byte) {
	t.Helper()
	var m marks
	// Bits from an earlier, longer line must not leak into this one.
	long := bytes.Repeat([]byte(`" `), maxMarked/2)
	if ok, _, _ := m.mark(long); !ok {
		t.Fatal("mark(long line) = not ok")
	}
	ok, clean, quotes := m.mark(line)
	if !ok {
		t.Fatalf("mark(%d bytes) = not ok", len(line))
	}
	sp, qt, wantClean, wantQuotes := marksScalar(line)
	if clean != wantClean || (clean && quotes != wantQuotes) {
		t.Fatalf("len %d: clean, quotes = %v, %d; want %v, %d\n%q", len(line), clean, quotes, wantClean, wantQuotes, line)
	}
	for i := range line {
		if got := m.bm[0][i>>6]>>(i&63)&1 == 1; got != sp[i] {
			t.Fatalf("len %d: space bit %d = %v, want %v\n%q", len(line), i, got, sp[i], line)
		}
		if got := m.bm[1][i>>6]>>(i&63)&1 == 1; got != qt[i] {
			t.Fatalf("len %d: quote bit %d = %v, want %v\n%q", len(line), i, got, qt[i], line)
		}
	}
	// Every index up to len(line) has a word, and bits past the line are 0.
	for i := len(line); i < (len(line)+64)&^63 && i>>6 < markWords; i++ {
		if m.bm[0][i>>6]>>(i&63)&1 != 0 || m.bm[1][i>>6]>>(i&63)&1 != 0 {
			t.Fatalf("len %d: bit %d past the line is set", len(line), i)
		}
	}
	// end and endSlow find what fieldEnd finds, from every position.
	for j := 0; j <= len(line); j++ {
		for _, c := range []byte{' ', '"'} {
			got := m.end(j, c)
			if got < 0 {
				got = m.endSlow(line, j, c)
			}
			if want := fieldEnd(line, j, c); got != want {
				t.Fatalf("len %d: end(%d, %q) = %d, want %d\n%q", len(line), j, c, got, want, line)
			}
		}
	}
}

// TestMarksMatchScalar holds the vector bitmaps to a byte-by-byte
// reference: every length around the block size, bytes of every class
// (spaces, quotes, printable, backslashes, control bytes, DEL, bytes from
// 0x80 up) in every position, and the longest line marked.
func TestMarksMatchScalar(t *testing.T) {
	if !useMarks {
		t.Skip("no vector implementation on this CPU or build (marks_other.go)")
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte{' ', ' ', '"', 'a', 'z', '0', '~', '!', '\\', 0x00, 0x1f, 0x7f, 0x80, 0xff, 0xc3}
	clean := []byte{' ', '"', 'a', '-', '0', '~', '/'}
	for n := 1; n <= 300; n++ {
		for range 4 {
			line := make([]byte, n)
			for i := range line {
				line[i] = clean[r.IntN(len(clean))]
			}
			checkMarks(t, line)
			line[r.IntN(n)] = alphabet[r.IntN(len(alphabet))]
			checkMarks(t, line)
		}
	}
	for _, n := range []int{maxMarked - 64, maxMarked - 1, maxMarked} {
		line := bytes.Repeat([]byte(`a "b c`), n/6+1)[:n]
		checkMarks(t, line)
	}
	// A line too long to mark: no bitmaps, and none left from the line
	// before, so end sends the caller to fieldEnd.
	var m marks
	m.mark(bytes.Repeat([]byte(`" `), 100))
	long := bytes.Repeat([]byte(`a "`), maxMarked/3+1)
	if ok, _, _ := m.mark(long); ok {
		t.Fatal("a line longer than maxMarked was marked")
	}
	for j := range 300 {
		if got := m.end(j, ' '); got != -1 {
			t.Fatalf("unmarked line: end(%d) = %d, want -1", j, got)
		}
	}
	for _, f := range gen.Formats {
		for _, l := range gen.New(f, 7, gen.Options{Messy: 0.5}).Lines(64) {
			checkMarks(t, l)
		}
	}
}

// TestPrintableMatchesScalar holds printable, the portable clean check, to
// a byte loop: every byte value at every position of lines of 0 to 40
// bytes, two bad bytes at once, and long random lines.
func TestPrintableMatchesScalar(t *testing.T) {
	want := func(b []byte) bool {
		for _, c := range b {
			if c < 0x20 || c > 0x7e {
				return false
			}
		}
		return true
	}
	check := func(b []byte) {
		t.Helper()
		if got := printable(b); got != want(b) {
			t.Fatalf("printable(%q) = %v", b, got)
		}
	}
	for n := 0; n <= 40; n++ {
		line := bytes.Repeat([]byte{'a'}, n)
		check(line)
		for i := range n {
			for c := range 256 {
				line[i] = byte(c)
				check(line)
				if i > 0 { // a bad byte after another, whose borrow or carry must not hide it
					line[i-1] = 0x7f
					check(line)
					line[i-1] = 0x20
					check(line)
					line[i-1] = 'a'
				}
			}
			line[i] = 'a'
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		line := make([]byte, r.IntN(300))
		for i := range line {
			line[i] = byte(0x20 + r.IntN(0x5f))
		}
		if len(line) > 0 && r.IntN(2) == 0 {
			line[r.IntN(len(line))] = byte(r.IntN(256))
		}
		check(line)
	}
}
