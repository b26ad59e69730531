package ingest

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

type line struct {
	text string
	pos  int64
	orig int
}

func readLines(t *testing.T, r io.Reader, maxLine int, start int64) ([]line, int64) {
	t.Helper()
	lr := NewLineReader(r, maxLine, start)
	var got []line
	for lr.Scan() {
		got = append(got, line{string(lr.Bytes()), lr.Pos(), lr.Truncated()})
	}
	if err := lr.Err(); err != nil {
		t.Fatalf("Err: %v", err)
	}
	return got, lr.Next()
}

// referenceLines splits in the slowest obvious way.
func referenceLines(in string, maxLine int, start int64) []line {
	var out []line
	pos := start
	for len(in) > 0 {
		text, rest, found := strings.Cut(in, "\n")
		n := len(text)
		if found {
			n++
		}
		text = strings.TrimSuffix(text, "\r")
		l := line{text: text, pos: pos}
		if len(text) > maxLine {
			marker := TruncationMarker + strconv.Itoa(len(text)) + " bytes]"
			keep := maxLine - len(marker)
			for keep > 0 && !utf8.RuneStart(text[keep]) {
				keep--
			}
			l = line{text: text[:keep] + marker, pos: pos, orig: len(text)}
		}
		out = append(out, l)
		pos += int64(n)
		in = rest
	}
	return out
}

func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		name string
		in   string
		want []line
	}{
		{"empty", "", nil},
		{"one LF", "a\n", []line{{"a", 0, 0}}},
		{"no final newline", "a\nbc", []line{{"a", 0, 0}, {"bc", 2, 0}}},
		{"CRLF", "a\r\nbc\r\n", []line{{"a", 0, 0}, {"bc", 3, 0}}},
		{"CR at end without LF", "a\r", []line{{"a", 0, 0}}},
		{"lone CR inside", "a\rb\n", []line{{"a\rb", 0, 0}}},
		{"empty lines", "\n\r\n\nx\n", []line{{"", 0, 0}, {"", 1, 0}, {"", 3, 0}, {"x", 4, 0}}},
		{"too long", long + "\nok\n", []line{{long[:256-len(TruncationMarker+"300 bytes]")] + TruncationMarker + "300 bytes]", 0, 300}, {"ok", 301, 0}}},
		{"too long CRLF", long + "\r\nok", []line{{long[:256-len(TruncationMarker+"300 bytes]")] + TruncationMarker + "300 bytes]", 0, 300}, {"ok", 302, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, next := readLines(t, strings.NewReader(tt.in), 256, 0)
			if !equalLines(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if next != int64(len(tt.in)) {
				t.Errorf("Next() = %d at end, want %d", next, len(tt.in))
			}
		})
	}
}

func equalLines(a, b []line) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestLineReaderDifferential compares LineReader with referenceLines on
// random input: short and very long lines (longer than the reader's
// buffer), LF and CRLF, multi-byte runes at the cut, reads of one byte at a
// time.
func TestLineReaderDifferential(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"a", "é", "€", "𝄞", "\r", " ", "GET https://example.com/ HTTP/1.1"}
	for iter := range 300 {
		var b strings.Builder
		for range rng.IntN(20) {
			n := rng.IntN(40)
			if rng.IntN(6) == 0 {
				n = rng.IntN(3000) // well past the 4 KiB buffer at times
			}
			for range n {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
			if rng.IntN(3) == 0 {
				b.WriteString("\r\n")
			} else {
				b.WriteString("\n")
			}
		}
		if rng.IntN(2) == 0 {
			b.WriteString("tail without newline")
		}
		in := b.String()
		maxLine := 256 + rng.IntN(2000)
		start := int64(rng.IntN(1000))
		want := referenceLines(in, maxLine, start)
		var r io.Reader = strings.NewReader(in)
		if iter%3 == 0 {
			r = iotest.OneByteReader(r)
		}
		got, next := readLines(t, r, maxLine, start)
		if !equalLines(got, want) {
			t.Fatalf("iteration %d, max %d: lines differ\n got %+v\nwant %+v", iter, maxLine, got, want)
		}
		if next != start+int64(len(in)) {
			t.Fatalf("iteration %d: Next() = %d, want %d", iter, next, start+int64(len(in)))
		}
		for _, l := range got {
			if len(l.text) > maxLine {
				t.Fatalf("iteration %d: line of %d bytes exceeds the limit %d", iter, len(l.text), maxLine)
			}
		}
	}
}

func TestLineReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("one\ntwo\nparti"), iotest.ErrReader(boom))
	lr := NewLineReader(r, 0, 0)
	var got []string
	for lr.Scan() {
		got = append(got, string(lr.Bytes()))
	}
	if !errors.Is(lr.Err(), boom) {
		t.Errorf("Err() = %v, want %v", lr.Err(), boom)
	}
	// The partial line before the error is not a line.
	if strings.Join(got, ",") != "one,two" {
		t.Errorf("lines = %q, want one, two", got)
	}
	if lr.Next() != 8 {
		t.Errorf("Next() = %d, want 8 (after the last whole line)", lr.Next())
	}
}

func TestLineReaderBoundedMemory(t *testing.T) {
	// A 50 MB line without a newline must not be buffered whole.
	const size = 50 << 20
	r := io.LimitReader(repeatReader('z'), size)
	lr := NewLineReader(r, 1024, 0)
	if !lr.Scan() {
		t.Fatalf("no line: %v", lr.Err())
	}
	if lr.Truncated() != size || len(lr.Bytes()) > 1024 {
		t.Errorf("Truncated() = %d, len = %d", lr.Truncated(), len(lr.Bytes()))
	}
	if !bytes.HasSuffix(lr.Bytes(), []byte(TruncationMarker+strconv.Itoa(size)+" bytes]")) {
		t.Errorf("no marker: %q", lr.Bytes()[len(lr.Bytes())-60:])
	}
	if lr.Scan() {
		t.Error("a second line")
	}
}

type repeatReader byte

func (c repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

func BenchmarkLineReader(b *testing.B) {
	var buf bytes.Buffer
	for i := 0; buf.Len() < 8<<20; i++ {
		buf.WriteString(`https 2024-05-01T00:05:01.123456Z app/my-alb/50dc6c495c0c9188 203.0.113.9:5532 10.0.1.23:80 0.000 0.013 0.000 200 200 312 2861 "GET https://shop.example.com:443/cart?id=`)
		buf.WriteString(strconv.Itoa(i))
		buf.WriteString(` HTTP/1.1" "Mozilla/5.0 (X11; Linux x86_64)" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2024-05-01T00:05:01.110000Z "forward" "-" "-" "10.0.1.23:80" "200" "-" "-"` + "\n")
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		lr := NewLineReader(bytes.NewReader(data), 0, 0)
		for lr.Scan() {
		}
	}
}
