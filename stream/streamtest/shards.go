package streamtest

import (
	"fmt"
	"math/big"
	"slices"
	"testing"

	"github.com/elbstream/elbstream/stream"
)

func testLimits(t *testing.T, newStream NewStream) {
	l := newStream(t, 1).Limits()
	if l.MaxRecordBytes <= 0 || l.MaxPutEntries <= 0 || l.MaxPutBytes <= 0 || l.MaxPartitionKey <= 0 {
		t.Fatalf("limits %+v: every limit must be positive", l)
	}
	if l.MaxPutBytes < l.MaxRecordBytes {
		t.Fatalf("limits %+v: a put cannot hold one record of the largest size", l)
	}
	if l.MaxPutEntries > stream.DefaultMaxPutEntries || l.MaxPartitionKey > stream.DefaultMaxPartitionKey {
		t.Fatalf("limits %+v: looser than Kinesis's (%d entries, %d-byte keys)", l,
			stream.DefaultMaxPutEntries, stream.DefaultMaxPartitionKey)
	}
}

// testShards checks the listing of a new stream: n open original shards,
// sorted by id, splitting the hash space evenly as CreateStream does.
func testShards(t *testing.T, newStream NewStream) {
	const n = 3
	ctx := testContext(t)
	s := newStream(t, n)
	shards := listShards(ctx, t, s)
	if len(shards) != n {
		t.Fatalf("new stream with %d shards lists %d: %+v", n, len(shards), shards)
	}
	if ids := shardIDs(shards); !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != n {
		t.Fatalf("shard ids %v: want %d distinct ids in order", ids, n)
	}
	step := new(big.Int).Div(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(n))
	for i, sh := range shards {
		if sh.Closed() || sh.ParentID != "" || sh.AdjacentParentID != "" {
			t.Fatalf("shard %d of a new stream: %+v, want open without parents", i, sh)
		}
		if sh.StartingSequence == "" {
			t.Fatalf("shard %s has no StartingSequence", sh.ID)
		}
		wantStart := new(big.Int).Mul(step, big.NewInt(int64(i)))
		if got := parseHashKey(t, sh.HashKeyStart); got.Cmp(wantStart) != 0 {
			t.Fatalf("shard %s starts at hash key %s, want %s (the space split evenly)", sh.ID, got, wantStart)
		}
	}
	checkCoverage(t, shards)

	// Listing again changes nothing.
	if again := listShards(ctx, t, s); !slices.Equal(again, shards) {
		t.Fatalf("second listing %+v differs from the first %+v", again, shards)
	}
}

// testRouting checks that entries land on the shard whose hash-key range
// holds MD5(PartitionKey), or their ExplicitHashKey.
func testRouting(t *testing.T, newStream NewStream) {
	ctx := testContext(t)
	s := newStream(t, 4)
	shards := listShards(ctx, t, s)

	es := entries("route", 64, spreadKeys)
	// One entry per shard pinned by ExplicitHashKey to each range's two
	// ends, with a partition key that MD5-routes elsewhere.
	for i, sh := range shards {
		other := shards[(i+1)%len(shards)]
		key := keyRoutedTo(t, other)
		es = append(es,
			stream.Entry{Data: fmt.Appendf(nil, "explicit-start-%d", i), PartitionKey: key, ExplicitHashKey: sh.HashKeyStart},
			stream.Entry{Data: fmt.Appendf(nil, "explicit-end-%d", i), PartitionKey: key, ExplicitHashKey: sh.HashKeyEnd})
	}
	results := putAll(ctx, t, s, es)
	for i, r := range results {
		if want := routeOf(t, shards, es[i]); r.ShardID != want {
			t.Fatalf("entry %d (key %q, explicit %q) went to %s, want %s",
				i, es[i].PartitionKey, es[i].ExplicitHashKey, r.ShardID, want)
		}
	}
	checkReadBack(t, es, results, readAll(ctx, t, s))
}

// keyRoutedTo finds a partition key whose MD5 falls in sh's range.
func keyRoutedTo(t *testing.T, sh stream.Shard) string {
	t.Helper()
	for i := range 10000 {
		k := fmt.Sprintf("probe-%d", i)
		if contains(t, sh, hashOf(t, stream.Entry{PartitionKey: k})) {
			return k
		}
	}
	t.Fatalf("no partition key routes to %s", sh.ID)
	return ""
}
