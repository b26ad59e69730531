package dynamodb

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/checkpoint"
)

// orderKey sorts as stream.CompareSequence orders, sentinels aside.
func TestOrderKeyMatchesCompareSequence(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	num := func() string {
		var b strings.Builder
		for range rng.IntN(3) {
			b.WriteByte('0')
		}
		n := 1 + rng.IntN(60)
		for range n {
			b.WriteByte(byte('0' + rng.IntN(10)))
		}
		return b.String()
	}
	for range 20000 {
		a, b := num(), num()
		ka, err := orderKey(a)
		if err != nil {
			t.Fatal(err)
		}
		kb, _ := orderKey(b)
		if got, want := strings.Compare(ka, kb), stream.CompareSequence(a, b); got != want {
			t.Fatalf("%s vs %s: keys compare %d, numbers %d", a, b, got, want)
		}
	}
	start, _ := orderKey(checkpoint.TrimHorizon)
	latest, _ := orderKey(checkpoint.Latest)
	end, _ := orderKey(checkpoint.ShardEnd)
	low, _ := orderKey("0")
	high, _ := orderKey(strings.Repeat("9", 129))
	if !(start == latest && start < low && high < end) {
		t.Fatalf("sentinel order: %q %q %q %q %q", start, latest, low, high, end)
	}
}
