package elblog

import (
	"math/rand/v2"
	"regexp"
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
