package streamtest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream"
)

// testTimeout bounds each subtest, so that a backend that hangs (kinesalite
// never answers some calls) fails instead of eating the package timeout.
const testTimeout = 2 * time.Minute

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// wait sleeps d or until ctx is done.
func wait(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// entries returns n entries whose data is prefix-i and whose partition key
// is key(i).
func entries(prefix string, n int, key func(i int) string) []stream.Entry {
	es := make([]stream.Entry, n)
	for i := range es {
		es[i] = stream.Entry{Data: fmt.Appendf(nil, "%s-%04d", prefix, i), PartitionKey: key(i)}
	}
	return es
}

func spreadKeys(i int) string { return fmt.Sprintf("key-%d", i) }

// putAll writes es and fails t unless every entry ends up written. Entries
// that fail with a retryable code (a real service may throttle) are put
// again on their own, a few times; results are in entry order.
func putAll(ctx context.Context, t *testing.T, s stream.Stream, es []stream.Entry) []stream.PutResult {
	t.Helper()
	results := make([]stream.PutResult, len(es))
	pending := make([]int, len(es))
	for i := range pending {
		pending[i] = i
	}
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt == 10 {
			t.Fatalf("put: %d entries still failing after %d attempts, e.g. %+v", len(pending), attempt, results[pending[0]])
		}
		if attempt > 0 {
			if err := wait(ctx, time.Duration(attempt)*100*time.Millisecond); err != nil {
				t.Fatalf("put: %v", err)
			}
		}
		batch := make([]stream.Entry, len(pending))
		for j, i := range pending {
			batch[j] = es[i]
		}
		rs, err := s.Put(ctx, batch)
		if err != nil {
			t.Fatalf("put %d entries: %v", len(batch), err)
		}
		if len(rs) != len(batch) {
			t.Fatalf("put %d entries: got %d results", len(batch), len(rs))
		}
		var again []int
		for j, i := range pending {
			results[i] = rs[j]
			if !rs[j].OK() {
				again = append(again, i)
			}
		}
		pending = again
	}
	for i, r := range results {
		if r.ShardID == "" || r.SequenceNumber == "" {
			t.Fatalf("put: entry %d: OK result without shard or sequence: %+v", i, r)
		}
	}
	return results
}

func listShards(ctx context.Context, t *testing.T, s stream.Stream) []stream.Shard {
	t.Helper()
	shards, err := s.Shards(ctx)
	if err != nil {
		t.Fatalf("shards: %v", err)
	}
	return shards
}

func shardIDs(shards []stream.Shard) []string {
	ids := make([]string, len(shards))
	for i, sh := range shards {
		ids[i] = sh.ID
	}
	return ids
}

func findShard(t *testing.T, shards []stream.Shard, id string) stream.Shard {
	t.Helper()
	for _, sh := range shards {
		if sh.ID == id {
			return sh
		}
	}
	t.Fatalf("shard %s not listed in %v", id, shardIDs(shards))
	return stream.Shard{}
}

// readResult is what readShard saw.
type readResult struct {
	Records  []stream.Record
	Ended    bool     // a batch said EndOfShard
	Children []string // that batch's ChildShards, sorted
	Batches  int
}

// readShard reads shardID from from, max records per Next, until an empty
// batch at the tip (BehindTip 0) or the end of the shard. It retries
// throttling and transient errors, and re-opens an expired iterator after
// the last record read.
func readShard(ctx context.Context, t *testing.T, s stream.Stream, shardID string, from stream.Position, max int) readResult {
	t.Helper()
	it, err := s.Iterate(ctx, shardID, from)
	if err != nil {
		t.Fatalf("iterate %s from %+v: %v", shardID, from, err)
	}
	return readIterator(ctx, t, s, it, shardID, from, max)
}

// readIterator is readShard on an open iterator; from is where it was
// opened, for re-opening it if it expires.
func readIterator(ctx context.Context, t *testing.T, s stream.Stream, it stream.Iterator, shardID string, from stream.Position, max int) readResult {
	t.Helper()
	var res readResult
	for errs := 0; ; {
		b, err := it.Next(ctx, max)
		if err != nil {
			if !stream.IsRetryable(err) || errs == 20 {
				t.Fatalf("next %s after %d records: %v", shardID, len(res.Records), err)
			}
			errs++
			if werr := wait(ctx, time.Duration(errs)*50*time.Millisecond); werr != nil {
				t.Fatalf("next %s: %v (waiting after %v)", shardID, werr, err)
			}
			if stream.IsExpiredIterator(err) {
				at := from
				if n := len(res.Records); n > 0 {
					at = stream.After(res.Records[n-1].SequenceNumber)
				}
				var err error
				if it, err = s.Iterate(ctx, shardID, at); err != nil {
					t.Fatalf("re-open expired iterator on %s: %v", shardID, err)
				}
			}
			continue
		}
		errs = 0
		res.Batches++
		if max > 0 && len(b.Records) > max {
			t.Fatalf("next %s with max %d returned %d records", shardID, max, len(b.Records))
		}
		if b.BehindTip < 0 {
			t.Fatalf("next %s: negative BehindTip %v", shardID, b.BehindTip)
		}
		res.Records = append(res.Records, b.Records...)
		if b.EndOfShard {
			res.Ended = true
			res.Children = slices.Sorted(slices.Values(b.ChildShards))
			return res
		}
		if len(b.ChildShards) > 0 {
			t.Fatalf("next %s: ChildShards %v without EndOfShard", shardID, b.ChildShards)
		}
		if len(b.Records) == 0 {
			if b.BehindTip == 0 {
				return res
			}
			if err := wait(ctx, 50*time.Millisecond); err != nil {
				t.Fatalf("next %s: %v while %v behind the tip", shardID, err, b.BehindTip)
			}
		}
	}
}

// readUntilEnd reads a closed shard, max records per Next, until
// EndOfShard, polling through empty batches.
func readUntilEnd(ctx context.Context, t *testing.T, s stream.Stream, shardID string, from stream.Position, max int) readResult {
	t.Helper()
	var all readResult
	for range 50 {
		res := readShard(ctx, t, s, shardID, from, max)
		all.Records = append(all.Records, res.Records...)
		all.Batches += res.Batches
		if res.Ended {
			all.Ended, all.Children = true, res.Children
			return all
		}
		if n := len(all.Records); n > 0 {
			from = stream.After(all.Records[n-1].SequenceNumber)
		}
		if err := wait(ctx, 100*time.Millisecond); err != nil {
			break
		}
	}
	t.Fatalf("closed shard %s: no EndOfShard after reading %d records", shardID, len(all.Records))
	return all
}

// readAll reads every listed shard from the trim horizon to its tip.
func readAll(ctx context.Context, t *testing.T, s stream.Stream) map[string][]stream.Record {
	t.Helper()
	out := map[string][]stream.Record{}
	for _, sh := range listShards(ctx, t, s) {
		out[sh.ID] = readShard(ctx, t, s, sh.ID, stream.Position{Kind: stream.TrimHorizon}, 0).Records
	}
	return out
}

// checkIncreasing fails t unless the records' sequence numbers strictly
// increase.
func checkIncreasing(t *testing.T, shardID string, recs []stream.Record) {
	t.Helper()
	for i := 1; i < len(recs); i++ {
		if stream.CompareSequence(recs[i-1].SequenceNumber, recs[i].SequenceNumber) >= 0 {
			t.Fatalf("shard %s: record %d has sequence %s, not above record %d's %s",
				shardID, i, recs[i].SequenceNumber, i-1, recs[i-1].SequenceNumber)
		}
	}
}

// bySequence indexes what Put reported per shard: sequence → entry index.
func bySequence(results []stream.PutResult) map[string]map[string]int {
	m := map[string]map[string]int{}
	for i, r := range results {
		if m[r.ShardID] == nil {
			m[r.ShardID] = map[string]int{}
		}
		m[r.ShardID][r.SequenceNumber] = i
	}
	return m
}

// checkReadBack fails t unless the records read from every shard are
// exactly the entries written (by the sequence numbers Put returned), with
// their data and partition keys, in sequence order.
func checkReadBack(t *testing.T, es []stream.Entry, results []stream.PutResult, read map[string][]stream.Record) {
	t.Helper()
	want := bySequence(results)
	seen := 0
	for shardID, recs := range read {
		checkIncreasing(t, shardID, recs)
		for _, r := range recs {
			i, ok := want[shardID][r.SequenceNumber]
			if !ok {
				t.Fatalf("shard %s: read record %s (%q) that no Put reported", shardID, r.SequenceNumber, r.Data)
			}
			delete(want[shardID], r.SequenceNumber)
			if string(r.Data) != string(es[i].Data) || r.PartitionKey != es[i].PartitionKey {
				t.Fatalf("shard %s: record %s is %q/%q, want entry %d %q/%q",
					shardID, r.SequenceNumber, r.PartitionKey, r.Data, i, es[i].PartitionKey, es[i].Data)
			}
			seen++
		}
	}
	if seen != len(es) {
		for shardID, m := range want {
			for seq, i := range m {
				t.Fatalf("read %d records, want %d: entry %d (%s %s) missing", seen, len(es), i, shardID, seq)
			}
		}
		t.Fatalf("read %d records, want %d", seen, len(es))
	}
}
