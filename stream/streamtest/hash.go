package streamtest

import (
	"crypto/md5"
	"math/big"
	"testing"

	"github.com/elbstream/elbstream/stream"
)

// The suite routes with math/big on purpose: it is the slow, obvious
// reference the backends' own routing is checked against.

// hashSpaceEnd is the largest hash key, 2^128 - 1.
var hashSpaceEnd = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1))

func parseHashKey(t *testing.T, s string) *big.Int {
	t.Helper()
	k, ok := new(big.Int).SetString(s, 10)
	if !ok || k.Sign() < 0 || k.Cmp(hashSpaceEnd) > 0 {
		t.Fatalf("hash key %q is not a decimal in [0, 2^128-1]", s)
	}
	return k
}

// hashOf is the hash key Kinesis routes e by: its ExplicitHashKey, or the
// MD5 of its partition key read as a big-endian 128-bit integer.
func hashOf(t *testing.T, e stream.Entry) *big.Int {
	if e.ExplicitHashKey != "" {
		return parseHashKey(t, e.ExplicitHashKey)
	}
	sum := md5.Sum([]byte(e.PartitionKey))
	return new(big.Int).SetBytes(sum[:])
}

// contains reports whether sh's hash-key range holds k.
func contains(t *testing.T, sh stream.Shard, k *big.Int) bool {
	return parseHashKey(t, sh.HashKeyStart).Cmp(k) <= 0 && k.Cmp(parseHashKey(t, sh.HashKeyEnd)) <= 0
}

// routeOf returns the open shard whose range holds e's hash key.
func routeOf(t *testing.T, shards []stream.Shard, e stream.Entry) string {
	t.Helper()
	k := hashOf(t, e)
	for _, sh := range shards {
		if !sh.Closed() && contains(t, sh, k) {
			return sh.ID
		}
	}
	t.Fatalf("no open shard holds hash key %s", k)
	return ""
}

// checkCoverage fails t unless the open shards' ranges cover [0, 2^128-1]
// exactly once.
func checkCoverage(t *testing.T, shards []stream.Shard) {
	t.Helper()
	type span struct{ lo, hi *big.Int }
	var open []span
	for _, sh := range shards {
		if sh.Closed() {
			continue
		}
		lo, hi := parseHashKey(t, sh.HashKeyStart), parseHashKey(t, sh.HashKeyEnd)
		if lo.Cmp(hi) > 0 {
			t.Fatalf("shard %s: empty hash range [%s, %s]", sh.ID, lo, hi)
		}
		open = append(open, span{lo, hi})
	}
	if len(open) == 0 {
		t.Fatal("no open shard")
	}
	// Sort by start (few shards: insertion sort keeps this obvious).
	for i := 1; i < len(open); i++ {
		for j := i; j > 0 && open[j].lo.Cmp(open[j-1].lo) < 0; j-- {
			open[j], open[j-1] = open[j-1], open[j]
		}
	}
	next := big.NewInt(0)
	for _, s := range open {
		if s.lo.Cmp(next) != 0 {
			t.Fatalf("open shards' hash ranges: gap or overlap at %s (next range starts at %s)", next, s.lo)
		}
		next = new(big.Int).Add(s.hi, big.NewInt(1))
	}
	if new(big.Int).Sub(next, big.NewInt(1)).Cmp(hashSpaceEnd) != 0 {
		t.Fatalf("open shards' hash ranges end at %s, want 2^128-1", new(big.Int).Sub(next, big.NewInt(1)))
	}
}
