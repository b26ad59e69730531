package elblog

import (
	"encoding/binary"
	"math/rand/v2"
	"regexp"
	"strconv"
	"testing"
)

// runEnds are bytes that end a run of digits: every kind, from the
// bytes next to '0' and '9' to the top bit set and the bytes whose SWAR
// sums carry (0xba and up).
var runEnds = []byte{0, 1, ' ', '"', '-', '.', '/', ':', ';', 'A', 'a', 0x7f, 0x80, 0xa0, 0xb9, 0xba, 0xc6, 0xcf, 0xd0, 0xff}

// TestDigitRun compares digitRun with a byte loop: runs of every length
// 0-8, ended by every byte there is, followed by digits or not.
func TestDigitRun(t *testing.T) {
	check := func(b []byte) {
		t.Helper()
		w := binary.LittleEndian.Uint64(b)
		want := 0
		for want < 8 && b[want]-'0' <= 9 {
			want++
		}
		d, x := digitRun(w)
		if d != want {
			t.Fatalf("digitRun(%q) = %d, want %d", b, d, want)
		}
		for i := range want {
			if byte(x>>(8*i)) != b[i]-'0' {
				t.Fatalf("digitRun(%q): byte %d of t is %d, want %d", b, i, byte(x>>(8*i)), b[i]-'0')
			}
		}
	}
	for d := 0; d <= 8; d++ {
		for c := range 256 {
			for _, rest := range []string{"99999999", "00000000", "12345678", "\xff\xff\xff\xff\xff\xff\xff\xff", "        "} {
				b := []byte("98765432" + rest)[:8]
				copy(b, "90817263"[:d])
				if d < 8 {
					b[d] = byte(c)
					copy(b[d+1:], rest)
				}
				check(b)
			}
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		var b [8]byte
		for i := range b {
			if r.IntN(4) == 0 {
				b[i] = byte(r.IntN(256))
			} else {
				b[i] = '0' + byte(r.IntN(10))
			}
		}
		check(b[:])
	}
}

// TestDigitsValue checks digitsValue against parseUint for every number of
// 1-4 digits at every length (leading zeros), and others up to 99999999,
// with any bytes after the digits.
func TestDigitsValue(t *testing.T) {
	check := func(s string, after byte) {
		t.Helper()
		b := []byte(s + "\xff\xff\xff\xff\xff\xff\xff\xff")[:8]
		if len(s) < 8 {
			b[len(s)] = after
		}
		d, x := digitRun(binary.LittleEndian.Uint64(b))
		if d != len(s) {
			t.Fatalf("digitRun(%q) = %d", b, d)
		}
		want, _ := parseUint([]byte(s))
		if v := digitsValue(x, d); v != want {
			t.Fatalf("digitsValue(%q, %d) = %d, want %d", b, d, v, want)
		}
	}
	for v := range 10000 {
		for l := len(strconv.Itoa(v)); l <= 8; l++ {
			s := strconv.Itoa(v)
			for len(s) < l {
				s = "0" + s
			}
			check(s, runEnds[v%len(runEnds)])
		}
	}
	for _, s := range []string{"99999999", "9999999", "00000000", "00000001", "10000000", "12345678", "87654321", "90000009"} {
		for _, c := range runEnds {
			check(s, c)
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 100000 {
		s := strconv.Itoa(r.IntN(100000000))
		check(s[:1+r.IntN(len(s))], runEnds[r.IntN(len(runEnds))])
	}
}

// secondsRE is validate's kSeconds for a decimal, as a regular expression,
// with the space after it: the integer part, the point and its digits.
var secondsRE = regexp.MustCompile(`^(0*)(\d{1,18})(\.\d+)? `)

// secondsAt reads the decimal at the start of b as fusedHTTP does: the
// first 8 bytes with secondsIn, then the 9th or secondsLong. It reports
// whether b starts with a decimal and a space, and its length and z.
func secondsAt(b []byte) (e, z int, ok bool) {
	e, z = secondsIn(binary.LittleEndian.Uint64(b))
	if e == 0 || e == 8 && b[8] != ' ' {
		e, z = secondsLong(b)
	}
	return e, z, e > 0 && e < len(b) && b[e] == ' '
}

func checkSeconds(t *testing.T, s string) {
	t.Helper()
	b := []byte(s + " x")
	if b[0]-'0' > 9 || len(b) < 9 {
		return // secondsIn's callers check the first byte; and 8 bytes
	}
	e, z, ok := secondsAt(b)
	m := secondsRE.FindSubmatch(b)
	want := m != nil
	if want && len(m[1]) == len(m[1])+len(m[2]) { // all zeros: keep one
		m[1], m[2] = m[1][1:], m[1][:1]
	}
	if want && len(m[1])+len(m[2]) > 18 {
		want = false
	}
	if ok != want {
		t.Fatalf("secondsAt(%q) ok = %v, want %v", b, ok, want)
	}
	if ok {
		if we, wz := len(m[0])-1, len(m[1]); e != we || z != wz {
			t.Fatalf("secondsAt(%q) = %d, %d; want %d, %d", b, e, z, we, wz)
		}
	}
	// secondsLong alone agrees where the field is a decimal.
	if e2, z2 := secondsLong(b); ok && (e2 != e || z2 != z) {
		t.Fatalf("secondsLong(%q) = %d, %d; want %d, %d", b, e2, z2, e, z)
	}
}

// TestSecondsIn compares secondsIn (with secondsLong behind it, as
// fusedHTTP calls them) with a regular expression: every string of up to
// 9 bytes of digits, points, spaces and a letter, and decimals of every
// length around 8 and 18 digits, followed by every kind of byte.
func TestSecondsIn(t *testing.T) {
	alphabet := []byte("07. a")
	var gen func(prefix []byte)
	gen = func(prefix []byte) {
		checkSeconds(t, string(prefix))
		if len(prefix) == 9 {
			return
		}
		for _, c := range alphabet {
			gen(append(prefix, c))
		}
	}
	gen(nil)
	for _, s := range []string{"0.000086", "0.012", "1.5", "12345678", "1234567.8", "0000000.0", "00000000", "000000000",
		"0", "00", "10", "100.001", "123456789012345678", "1234567890123456789", "000000000000000000000001.5",
		"123456789012345678.123456789", "0.", "0..1", "1.2.3", ".5", "5.", "0.0000000000001"} {
		for _, c := range runEnds {
			checkSeconds(t, s+string(c)+"12345678")
			checkSeconds(t, s+string(c))
		}
		checkSeconds(t, s)
	}
	r := rand.New(rand.NewPCG(7, 8))
	for range 200000 {
		b := make([]byte, 1+r.IntN(24))
		for i := range b {
			switch r.IntN(8) {
			case 0:
				b[i] = runEnds[r.IntN(len(runEnds))]
			case 1:
				b[i] = '.'
			default:
				b[i] = '0' + byte(r.IntN(10))
			}
		}
		checkSeconds(t, string(b))
	}
}
