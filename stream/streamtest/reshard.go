package streamtest

import (
	"math/big"
	"slices"
	"testing"

	"github.com/elbstream/elbstream/stream"
)

// testSplitAndMerge splits the only shard, merges the two children back,
// and checks the listing, the routing, and that each closed shard reads to
// its end and names its children.
func testSplitAndMerge(t *testing.T, newStream NewStream) {
	ctx := testContext(t)
	s := newStream(t, 1)
	r, ok := s.(Resharder)
	if !ok {
		t.Skip("backend cannot split or merge shards")
	}
	root := onlyShard(ctx, t, s)
	read := map[string][]stream.Record{}
	var es []stream.Entry
	var rs []stream.PutResult
	put := func(prefix string, n int) []stream.PutResult {
		batch := entries(prefix, n, spreadKeys)
		got := putAll(ctx, t, s, batch)
		es, rs = append(es, batch...), append(rs, got...)
		return got
	}
	put("before-split", 20)

	// Split in the middle of the hash space.
	mid := new(big.Int).Lsh(big.NewInt(1), 127)
	if err := r.SplitShard(ctx, root, mid.String()); err != nil {
		t.Fatalf("split %s at %s: %v", root, mid, err)
	}
	shards := listShards(ctx, t, s)
	if len(shards) != 3 {
		t.Fatalf("after a split: %d shards listed, want 3: %+v", len(shards), shards)
	}
	parent := findShard(t, shards, root)
	if !parent.Closed() {
		t.Fatalf("split parent %s still open: %+v", root, parent)
	}
	for _, res := range rs {
		if stream.CompareSequence(res.SequenceNumber, parent.EndingSequence) > 0 {
			t.Fatalf("parent's EndingSequence %s is below its record %s", parent.EndingSequence, res.SequenceNumber)
		}
	}
	var children []string
	for _, sh := range shards {
		if sh.ID == root {
			continue
		}
		if sh.ParentID != root || sh.AdjacentParentID != "" || sh.Closed() || sh.StartingSequence == "" {
			t.Fatalf("split child %+v: want open, with parent %s and no adjacent parent", sh, root)
		}
		children = append(children, sh.ID)
	}
	checkCoverage(t, shards)
	low := shards[1]
	if parseHashKey(t, low.HashKeyStart).Sign() != 0 {
		low = shards[2]
	}
	if want := new(big.Int).Sub(mid, big.NewInt(1)); parseHashKey(t, low.HashKeyEnd).Cmp(want) != 0 {
		t.Fatalf("lower child %s ends at %s, want %s", low.ID, low.HashKeyEnd, want)
	}

	// New records go to the children, by hash key.
	afterSplit := put("after-split", 40)
	for i, res := range afterSplit {
		if want := routeOf(t, shards, es[20+i]); res.ShardID != want {
			t.Fatalf("after split: entry %d went to %s, want %s", i, res.ShardID, want)
		}
	}

	// The parent reads to its end and names both children, from the trim
	// horizon and from Latest alike.
	end := readUntilEnd(ctx, t, s, root, trimHorizon, 0)
	if !slices.Equal(end.Children, children) {
		t.Fatalf("parent %s ended with children %v, want %v", root, end.Children, children)
	}
	read[root] = end.Records
	// In small batches, the end comes only after the last record.
	checkSame(t, "closed parent read 3 at a time", readUntilEnd(ctx, t, s, root, trimHorizon, 3).Records, end.Records)
	if latest := readUntilEnd(ctx, t, s, root, stream.Position{Kind: stream.Latest}, 0); len(latest.Records) != 0 ||
		!slices.Equal(latest.Children, children) {
		t.Fatalf("closed parent from latest: %d records, children %v; want none and %v",
			len(latest.Records), latest.Children, children)
	}

	// Merge the children back.
	if err := r.MergeShards(ctx, children[0], children[1]); err != nil {
		t.Fatalf("merge %s and %s: %v", children[0], children[1], err)
	}
	shards = listShards(ctx, t, s)
	if len(shards) != 4 {
		t.Fatalf("after a merge: %d shards listed, want 4: %+v", len(shards), shards)
	}
	var merged stream.Shard
	for _, sh := range shards {
		switch {
		case sh.ID == root:
		case slices.Contains(children, sh.ID):
			if !sh.Closed() {
				t.Fatalf("merged parent %s still open", sh.ID)
			}
		default:
			merged = sh
		}
	}
	if merged.ParentID != children[0] || merged.AdjacentParentID != children[1] || merged.Closed() {
		t.Fatalf("merged shard %+v: want open, parent %s, adjacent parent %s", merged, children[0], children[1])
	}
	checkCoverage(t, shards)
	for _, res := range put("after-merge", 20) {
		if res.ShardID != merged.ID {
			t.Fatalf("after merge: entry went to %s, want %s", res.ShardID, merged.ID)
		}
	}
	for _, c := range children {
		end := readUntilEnd(ctx, t, s, c, trimHorizon, 0)
		if !slices.Equal(end.Children, []string{merged.ID}) {
			t.Fatalf("child %s ended with children %v, want [%s]", c, end.Children, merged.ID)
		}
		read[c] = end.Records
	}
	read[merged.ID] = readShard(ctx, t, s, merged.ID, trimHorizon, 0).Records
	checkReadBack(t, es, rs, read)
}
