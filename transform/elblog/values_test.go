package elblog

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestIsTimestampMutations compares isTimestamp with a regular expression
// on every single-byte change of valid timestamps, at every position.
func TestIsTimestampMutations(t *testing.T) {
	re := regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?Z?$`)
	r := rand.New(rand.NewPCG(1, 2))
	bytes := []byte("0123456789-:TZ. \x00\x7f\x80\xff/;,")
	for _, base := range []string{"2018-07-02T22:23:00.186641Z", "2018-12-20T02:59:40", "2024-02-29T23:59:60Z", "1999-10-31T00:00:00.1"} {
		for i := 0; i <= len(base); i++ {
			for _, c := range bytes {
				for _, s := range []string{base[:i] + string(c) + base[min(i+1, len(base)):], base[:i] + string(c) + base[i:], base[:i]} {
					ok, z := isTimestamp([]byte(s))
					if want := re.MatchString(s); ok != want || (ok && z != (s[len(s)-1] == 'Z')) {
						t.Errorf("isTimestamp(%q) = %v, %v; want %v", s, ok, z, want)
					}
				}
			}
		}
	}
	for range 100000 {
		b := []byte("2018-07-02T22:23:00.186641Z")
		b[r.IntN(len(b))] = byte(r.IntN(256))
		ok, _ := isTimestamp(b)
		if want := re.Match(b); ok != want {
			t.Errorf("isTimestamp(%q) = %v, want %v", b, ok, want)
		}
	}
}

// TestIPv4PortMutations compares ipv4Port with a regular expression on
// every single-byte change, insertion and cut of valid addresses. ipv4Port
// may decline what the general path accepts, but what it accepts must be a
// dotted-decimal address without leading zeros and a port up to 65535.
func TestIPv4PortMutations(t *testing.T) {
	re := regexp.MustCompile(`^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d):(\d{1,5})$`)
	chars := []byte("0123456789.: -\x00\xff[]a")
	check := func(s string) {
		n, port, ok := ipv4Port([]byte(s))
		m := re.FindStringSubmatch(s)
		want := m != nil
		if want {
			p, _ := parseUint([]byte(m[4]))
			want = p <= 65535
		}
		if ok != want {
			t.Errorf("ipv4Port(%q) ok = %v, want %v", s, ok, want)
			return
		}
		if ok {
			c := len(s) - len(m[4]) - 1
			if p, _ := parseUint([]byte(m[4])); n != c || port != p {
				t.Errorf("ipv4Port(%q) = %d, %d; want %d, %d", s, n, port, c, p)
			}
		}
	}
	for _, base := range []string{"192.168.131.39:2817", "10.0.0.1:80", "255.255.255.255:65535", "1.22.133.4:0"} {
		for i := 0; i <= len(base); i++ {
			for _, c := range chars {
				check(base[:i] + string(c) + base[min(i+1, len(base)):])
				check(base[:i] + string(c) + base[i:])
			}
			check(base[:i])
		}
	}
}

// TestTimestampMicros checks isTimestampMicros against isTimestamp on
// AWS's 27-byte form and every one-byte change of it.
func TestTimestampMicros(t *testing.T) {
	for _, ts := range []string{"2024-03-01T12:34:56.123456Z", "1999-12-31T23:59:60.000000Z", "2024-01-01T00:00:00.999999Z"} {
		if !isTimestampMicros([]byte(ts)) {
			t.Errorf("%s: not accepted", ts)
		}
		for i := range len(ts) {
			for c := range 256 {
				b := []byte(ts)
				b[i] = byte(c)
				ok, hasZ := isTimestamp(b)
				if got := isTimestampMicros(b); got != (ok && hasZ) {
					t.Fatalf("%q: isTimestampMicros %v, isTimestamp %v", b, got, ok)
				}
			}
		}
	}
	for _, ts := range []string{"2024-03-01T12:34:56.12345Z", "2024-03-01T12:34:56.1234567", "2024-03-01T12:34:56Z"} {
		if isTimestampMicros([]byte(ts)) {
			t.Errorf("%s: accepted", ts)
		}
	}
}

// TestStampMatchesOld compares isTimestampMicros and isTimestamp with the
// byte-by-byte versions they replaced (oldref_test.go): every pair of
// values 00-99 of every two fields (the others valid), all 65536 byte pairs
// in every field, every byte at every position, every pair of positions
// with bytes around the digits and separators, and every length.
func TestStampMatchesOld(t *testing.T) {
	check := func(b []byte) {
		t.Helper()
		if got, want := isTimestampMicros(b), oldIsTimestampMicros(b); got != want {
			t.Fatalf("isTimestampMicros(%q) = %v, old %v", b, got, want)
		}
		for n := range len(b) + 1 { // and the general form, cut anywhere
			ok, z := isTimestamp(b[:n])
			wok, wz := oldIsTimestamp(b[:n])
			if ok != wok || z != wz {
				t.Fatalf("isTimestamp(%q) = %v, %v; old %v, %v", b[:n], ok, z, wok, wz)
			}
		}
	}
	const base = "2024-03-01T12:34:56.123456Z"
	fields := []int{5, 8, 11, 14, 17} // month, day, hour, minute, second
	b := []byte(base)
	for i, f := range fields {
		for _, g := range fields[i+1:] {
			for x := range 100 {
				for y := range 100 {
					copy(b, base)
					b[f], b[f+1] = '0'+byte(x/10), '0'+byte(x%10)
					b[g], b[g+1] = '0'+byte(y/10), '0'+byte(y%10)
					check(b)
				}
			}
		}
		for x := range 65536 {
			copy(b, base)
			b[f], b[f+1] = byte(x), byte(x>>8)
			check(b)
		}
	}
	some := []byte("\x00\x01 ,-./09:;@TZ[\x7f\x80\xaf\xb0\xb9\xba\xff")
	for _, s := range []string{base, "1999-12-31T23:59:60.000000Z", "0000-01-01T00:00:00.999999Z", "9999-10-31T20:50:59.000009Z"} {
		for i := range len(s) {
			for c := range 256 {
				copy(b, s)
				b[i] = byte(c)
				check(b)
			}
			for j := i + 1; j < len(s); j++ {
				for _, c := range some {
					for _, d := range some {
						copy(b, s)
						b[i], b[j] = c, d
						check(b)
					}
				}
			}
		}
	}
	long := []byte(base + "Z0123456789")
	for n := range len(long) + 1 {
		check(long[:n])
		if n >= 19 {
			check(append([]byte(base[:19]), long[19:n]...))
		}
	}
	for _, s := range []string{"2024-03-01T12:34:56.123456789Z", "2024-03-01T12:34:56.1234567890Z", "2024-03-01T12:34:56.Z", "2024-03-01T12:34:56ZZ", "2024-03-01T12:34:56"} {
		check([]byte(s))
	}
}

// TestStampWord checks stampWord on every byte value at every position,
// for a digit and for a separator.
func TestStampWord(t *testing.T) {
	for _, tc := range []struct {
		pat, hi byte
		want    func(c byte) bool
	}{
		{'0', 9, func(c byte) bool { return c >= '0' && c <= '9' }},
		{'-', 0, func(c byte) bool { return c == '-' }},
		{'Z', 0, func(c byte) bool { return c == 'Z' }},
	} {
		for k := range 8 {
			for c := range 256 {
				// The other bytes are valid digits (7) or the worst
				// neighbours for carries and borrows (0xff, 0x00).
				for _, other := range []uint64{7, 0xff, 0x00} {
					w, pat, hi := other*ones, uint64(zeros), uint64(9*ones)
					if other == 7 {
						w = '7' * ones
					}
					shift := 8 * k
					w = w&^(0xff<<shift) | uint64(c)<<shift
					pat = pat&^(0xff<<shift) | uint64(tc.pat)<<shift
					hi = hi&^(0xff<<shift) | uint64(tc.hi)<<shift
					got := stampWord(w, pat, hi)&(0x80<<shift) == 0
					if got != tc.want(byte(c)) {
						t.Fatalf("stampWord(%#x, %q at byte %d): ok %v", w, tc.pat, k, got)
					}
				}
			}
		}
	}
}

// TestIPv4EndMatchesOld compares ipv4End with the byte-by-byte version it
// replaced (oldref_test.go) on every part 0-999 and 0000-0999 at every
// place, leading zeros, missing and extra parts, wrong separators, one-byte
// changes, and every cut: each address at the end of its buffer (with
// capacity after it holding a valid continuation, which must not be read)
// and inside a longer line.
func TestIPv4EndMatchesOld(t *testing.T) {
	check := func(addr string) {
		t.Helper()
		for _, sep := range []byte{':', ' '} {
			for _, tail := range []string{"", ":", " ", ":1234 x", " 80 y", "255.255.255.255 1"} {
				for _, lead := range []string{"", "x ", "1.1.1.1 "} {
					s := lead + addr + tail
					// cap beyond len: a byte there would complete the address
					full := []byte(s + string(sep) + "9" + string(sep) + "12345678901234567890")
					line := full[:len(s)]
					got, gok := ipv4End(line, len(lead), sep)
					want, wok := oldIPv4End(line, len(lead), sep)
					if got != want || gok != wok {
						t.Fatalf("ipv4End(%q, %d, %q) = %d, %v; old %d, %v", line, len(lead), sep, got, gok, want, wok)
					}
				}
			}
		}
	}
	parts := make([]string, 0, 2100)
	for v := range 1000 {
		parts = append(parts, strconv.Itoa(v))
	}
	for v := range 1000 { // leading zeros and four digits
		parts = append(parts, fmt.Sprintf("%02d", v), fmt.Sprintf("%03d", v), fmt.Sprintf("%04d", v))
	}
	parts = append(parts, "", "-1", "1a", "a", "1.", ".1", "12345", "2555", "25 5", "\x00", "\xff", "2:5")
	for _, base := range [][4]string{{"192", "168", "131", "39"}, {"1", "2", "3", "4"}, {"255", "255", "255", "255"}, {"10", "0", "0", "1"}} {
		for k := range 4 {
			for _, p := range parts {
				a := base
				a[k] = p
				addr := a[0] + "." + a[1] + "." + a[2] + "." + a[3]
				check(addr)
				if k == 3 || len(p) != 3 { // cut everywhere
					for n := 0; n < len(addr); n++ {
						check(addr[:n])
					}
				}
			}
		}
		addr := base[0] + "." + base[1] + "." + base[2] + "." + base[3]
		for _, s := range []string{addr + ".5", base[0] + "." + base[1] + "." + base[2], addr + "..", "." + addr, strings.ReplaceAll(addr, ".", ":"), strings.Replace(addr, ".", "..", 1)} {
			for n := 0; n <= len(s); n++ {
				check(s[:n])
			}
		}
		for i := 0; i <= len(addr); i++ {
			for c := range 256 {
				check(addr[:i] + string(rune(c)) + addr[min(i+1, len(addr)):])
				check(addr[:i] + string([]byte{byte(c)}) + addr[i:])
			}
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := "0123456789012345678901234567890123456789...: \x00"
	for range 200000 {
		b := make([]byte, r.IntN(18))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		check(string(b))
	}
}

// TestIPv4Part covers ipv4Part's edges (part lengths, bounds, leading
// zeros, the byte after the part), then every word of 4 bytes from an
// alphabet of digits, separators and high bytes.
func TestIPv4Part(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want byte
		n    int
	}{
		{"0.xx", '.', 1},
		{"9:xx", ':', 1},
		{"00.x", '.', 0},
		{"01.x", '.', 0},
		{"10.x", '.', 2},
		{"99 x", ' ', 2},
		{"100.", '.', 3},
		{"099.", '.', 0},
		{"199.", '.', 3},
		{"249.", '.', 3},
		{"250.", '.', 3},
		{"255.", '.', 3},
		{"256.", '.', 0},
		{"260.", '.', 0},
		{"300.", '.', 0},
		{"999.", '.', 0},
		{"1234", '.', 0},
		{".123", '.', 0},
		{"1:23", '.', 0},
		{"12. ", ' ', 0},
		{"1\x00\x00\x00", 0, 1}, // why sep must not be 0
		{"\xb1.xx", '.', 0},
		{"1\xae.x", '.', 0},
		{"/.xx", '.', 0},
		{":.xx", '.', 0},
		{"1-xx", '.', 0}, // the byte after: one below want
		{"1/xx", '.', 0}, // and one above
		{"10-x", '.', 0},
		{"10/x", '.', 0},
		{"100-", '.', 0},
		{"255/", '.', 0},
		{"25 5", ' ', 2},
		{"", '.', 0},
	} {
		n, d := ipv4Part(binary.LittleEndian.Uint32([]byte(tc.in+"\x00\x00\x00\x00")), tc.want)
		if d > ipv4Span[n] {
			n = 0
		}
		if n != tc.n {
			t.Errorf("ipv4Part(%q, %q): %d digits, want %d", tc.in, tc.want, n, tc.n)
		}
	}
	// Every word of these bytes, against the rules spelt out.
	const alphabet = "0123456789.: /-\x00\x80\xb0\xff"
	b := make([]byte, 4)
	for x := range len(alphabet) * len(alphabet) * len(alphabet) * len(alphabet) {
		for k := range b {
			b[k] = alphabet[x%len(alphabet)]
			x /= len(alphabet)
		}
		for _, want := range []byte{'.', ':', ' '} {
			digits := 0
			for digits < 4 && b[digits]-'0' <= 9 {
				digits++
			}
			v, _ := strconv.Atoi(string(b[:min(digits, 3)]))
			ok := digits >= 1 && digits <= 3 && b[digits] == want && (digits == 1 || b[0] != '0') && v <= 255
			n, d := ipv4Part(binary.LittleEndian.Uint32(b), want)
			if got := d <= ipv4Span[n]; got != ok || (ok && n != digits) {
				t.Fatalf("ipv4Part(%q, %q) = %d, %v; want %d, %v", b, want, n, got, digits, ok)
			}
		}
	}
}
