package kinesis_test

import (
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/kinesis/kinesistest"
)

// TestReadAcrossResharding writes records, splits the shard, writes more,
// merges the children, writes more, then reads the stream the way a
// consumer does — Ready shards first, each with a Reader to its end — and
// checks that every record is read exactly once and that every shard's
// records come after all of its parents'.
func TestReadAcrossResharding(t *testing.T) {
	s := kinesistest.NewStream(t, 1)
	ctx := ctxT(t)

	put := func(phase string, n int) {
		t.Helper()
		res, err := s.Put(ctx, entries(n, phase))
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if !r.OK() {
				t.Fatalf("put %s %d: %+v", phase, i, r)
			}
		}
	}
	shardIDs := func() []string {
		t.Helper()
		shards, err := s.Shards(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, sh := range shards {
			ids = append(ids, sh.ID)
		}
		return ids
	}

	put("before", 50)
	root := shardIDs()[0]
	half := new(big.Int).Lsh(big.NewInt(1), 127).String()
	if err := s.SplitShard(ctx, root, half); err != nil {
		t.Fatal(err)
	}
	put("split", 50)
	ids := shardIDs()
	if len(ids) != 3 {
		t.Fatalf("after the split: shards %v, want 3", ids)
	}
	left, right := ids[1], ids[2]
	if err := s.MergeShards(ctx, left, right); err != nil {
		t.Fatal(err)
	}
	put("merged", 50)

	shards, err := s.Shards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(shards) != 4 {
		t.Fatalf("after the merge: %d shards, want 4", len(shards))
	}
	merged := shards[3]
	if merged.ParentID != left || merged.AdjacentParentID != right || merged.Closed() {
		t.Fatalf("merged shard %+v, want open with parents %s and %s", merged, left, right)
	}
	for _, sh := range shards[:3] {
		if !sh.Closed() {
			t.Errorf("shard %s is open after resharding", sh.ID)
		}
	}

	type read struct {
		shard string
		at    int // position in the whole read
	}
	reads := map[string][]read{} // data → where it was read
	at := 0
	finished := map[string]bool{}
	children := map[string][]string{} // from EndOfShard
	for round := 0; ; round++ {
		if round > len(shards) {
			t.Fatalf("still reading after %d rounds", round)
		}
		ready := stream.Ready(shards, func(id string) bool { return finished[id] })
		if len(ready) == 0 {
			break
		}
		// Newest shards first: any order among ready shards is valid, and
		// this one would expose a child offered before its parents.
		slices.Reverse(ready)
		for _, sh := range ready {
			r := &stream.Reader{Stream: s, ShardID: sh.ID, PollInterval: 10 * time.Millisecond, MaxRecords: 20}
			for {
				b, err := r.Next(ctx)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("read %s: %v", sh.ID, err)
				}
				for _, rec := range b.Records {
					reads[string(rec.Data)] = append(reads[string(rec.Data)], read{sh.ID, at})
					at++
				}
				if b.EndOfShard {
					children[sh.ID] = b.ChildShards
				}
				if !sh.Closed() && len(b.Records) == 0 {
					break // the open shard's tip: everything was written before
				}
			}
			finished[sh.ID] = true
		}
	}

	want := map[string]string{root: fmt.Sprint([]string{left, right}), left: fmt.Sprint([]string{merged.ID}), right: fmt.Sprint([]string{merged.ID})}
	for id, w := range want {
		if got := fmt.Sprint(children[id]); got != w {
			t.Errorf("children of %s at its end: %s, want %s", id, got, w)
		}
	}

	// Every record exactly once.
	for _, phase := range []string{"before", "split", "merged"} {
		for _, e := range entries(50, phase) {
			if n := len(reads[string(e.Data)]); n != 1 {
				t.Errorf("%s read %d times, want once", e.Data, n)
			}
		}
	}
	if len(reads) != 150 {
		t.Errorf("read %d distinct records, want 150", len(reads))
	}

	// Parents before children: the last read of a parent precedes the
	// first read of each child.
	span := map[string][2]int{} // shard → first and last read position
	for _, rs := range reads {
		for _, r := range rs {
			sp, ok := span[r.shard]
			if !ok {
				sp = [2]int{r.at, r.at}
			}
			sp[0], sp[1] = min(sp[0], r.at), max(sp[1], r.at)
			span[r.shard] = sp
		}
	}
	for _, sh := range shards {
		if _, ok := span[sh.ID]; !ok {
			t.Errorf("no record read from %s", sh.ID)
			continue
		}
		for _, p := range []string{sh.ParentID, sh.AdjacentParentID} {
			if p != "" && span[p][1] > span[sh.ID][0] {
				t.Errorf("%s read from position %d, before its parent %s ended at %d", sh.ID, span[sh.ID][0], p, span[p][1])
			}
		}
	}
	// Each phase landed where the topology says.
	for data, rs := range reads {
		phase := data[:len(data)-5]
		var allowed []string
		switch phase {
		case "before":
			allowed = []string{root}
		case "split":
			allowed = []string{left, right}
		case "merged":
			allowed = []string{merged.ID}
		}
		if !slices.Contains(allowed, rs[0].shard) {
			t.Errorf("%s read from %s, want one of %v", data, rs[0].shard, allowed)
		}
	}
}
