package local

import (
	"math/big"
	"strings"
	"testing"

	"github.com/elbstream/elbstream/stream"
)

// parseHashKey is checked against math/big, the slow obvious reference.
func TestParseHashKey(t *testing.T) {
	max := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1))
	for _, s := range []string{
		"0", "1", "9", "10", "18446744073709551615", "18446744073709551616",
		"170141183460469231731687303715884105727", "170141183460469231731687303715884105728",
		max.String(), new(big.Int).Add(max, big.NewInt(1)).String(), "999999999999999999999999999999999999999",
		"", "-1", "+1", "1a", " 1", "0001", strings.Repeat("9", 40),
	} {
		checkParseHashKey(t, s, max)
	}
}

func FuzzParseHashKey(f *testing.F) {
	max := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1))
	for _, s := range []string{"0", max.String(), "340282366920938463463374607431768211456", "12ab"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkParseHashKey(t, s, max) })
}

func checkParseHashKey(t *testing.T, s string, max *big.Int) {
	t.Helper()
	got, err := parseHashKey(s)
	want, ok := new(big.Int).SetString(s, 10)
	ok = ok && len(s) <= 39 && s[0] >= '0' && s[0] <= '9' && want.Sign() >= 0 && want.Cmp(max) <= 0
	switch {
	case ok && err != nil:
		t.Fatalf("parseHashKey(%q): %v, want %s", s, err, want)
	case !ok && err == nil:
		t.Fatalf("parseHashKey(%q) = %s, want an error", s, got)
	case ok && got.big().Cmp(want) != 0:
		t.Fatalf("parseHashKey(%q) = %s", s, got)
	}
}

// evenSplit must give CreateStream's ranges: floor(2^128/n) wide, the last
// shard taking the remainder.
func TestEvenSplit(t *testing.T) {
	want := [][2]string{
		{"0", "113427455640312821154458202477256070484"},
		{"113427455640312821154458202477256070485", "226854911280625642308916404954512140969"},
		{"226854911280625642308916404954512140970", "340282366920938463463374607431768211455"},
	}
	for i, r := range evenSplit(3) {
		if r[0].String() != want[i][0] || r[1].String() != want[i][1] {
			t.Fatalf("shard %d: [%s, %s], want %v", i, r[0], r[1], want[i])
		}
	}
}

func TestSequenceRoundTrip(t *testing.T) {
	cases := []struct{ key, index uint64 }{{1, 0}, {1767225600123456789, 7}, {^uint64(0), 999999999999}}
	for _, c := range cases {
		seq := formatSequence(c.key, c.index)
		key, index, err := parseSequence(seq)
		if err != nil || key != c.key || index != c.index {
			t.Fatalf("parseSequence(%q) = %d, %d, %v; want %d, %d", seq, key, index, err, c.key, c.index)
		}
		if len(seq) != decimalLen(c.key)+seqIndexDigits {
			t.Fatalf("sequence %q: length %d", seq, len(seq))
		}
	}
	// Sequence order is (key, index) order, compared as Kinesis compares.
	ordered := []string{formatSequence(9, 5), formatSequence(10, 0), formatSequence(10, 1), formatSequence(1e18, 0)}
	for i := 1; i < len(ordered); i++ {
		if stream.CompareSequence(ordered[i-1], ordered[i]) >= 0 {
			t.Fatalf("%s does not sort before %s", ordered[i-1], ordered[i])
		}
	}
	for _, bad := range []string{"", "123", "000000000000", "x00000000000001", "1-000000000001", "+1000000000000"} {
		if _, _, err := parseSequence(bad); err == nil {
			t.Fatalf("parseSequence(%q): no error", bad)
		}
	}
}
