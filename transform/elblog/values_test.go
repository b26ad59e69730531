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
