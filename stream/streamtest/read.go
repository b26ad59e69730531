package streamtest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream"
)

var trimHorizon = stream.Position{Kind: stream.TrimHorizon}

// onlyShard returns the id of the stream's single shard.
func onlyShard(ctx context.Context, t *testing.T, s stream.Stream) string {
	t.Helper()
	shards := listShards(ctx, t, s)
	if len(shards) != 1 {
		t.Fatalf("want 1 shard, got %d", len(shards))
	}
	return shards[0].ID
}

// checkSame fails t unless got and want are the same records (by sequence
// number and data), in the same order.
func checkSame(t *testing.T, what string, got, want []stream.Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: read %d records, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i].SequenceNumber != want[i].SequenceNumber || string(got[i].Data) != string(want[i].Data) {
			t.Fatalf("%s: record %d is %s %q, want %s %q", what, i,
				got[i].SequenceNumber, got[i].Data, want[i].SequenceNumber, want[i].Data)
		}
	}
}

// testOrdering checks that records come back in sequence order and that a
// later put's records follow an earlier put's on every shard.
func testOrdering(t *testing.T, newStream NewStream) {
	const puts, perPut = 5, 40
	ctx := testContext(t)
	s := newStream(t, 2)
	var es []stream.Entry
	var rs []stream.PutResult
	for p := range puts {
		batch := entries(fmt.Sprintf("put%d", p), perPut, func(i int) string {
			if i%2 == 0 {
				return "ordered" // half of every put shares one key, so one shard gets them all
			}
			return spreadKeys(i)
		})
		es = append(es, batch...)
		rs = append(rs, putAll(ctx, t, s, batch)...)
	}
	read := readAll(ctx, t, s)
	checkReadBack(t, es, rs, read)
	for shardID, recs := range read {
		last := -1
		for _, r := range recs {
			var p, i int
			if _, err := fmt.Sscanf(string(r.Data), "put%d-%d", &p, &i); err != nil {
				t.Fatalf("unexpected record %q", r.Data)
			}
			if p < last {
				t.Fatalf("shard %s: a record of put %d read after one of put %d", shardID, p, last)
			}
			last = p
		}
	}
}

// testTrimHorizon checks reading from the oldest record, in small
// batches, by two independent iterators.
func testTrimHorizon(t *testing.T, newStream NewStream) {
	ctx := testContext(t)
	s := newStream(t, 1)
	shardID := onlyShard(ctx, t, s)
	es := entries("horizon", 30, spreadKeys)
	rs := putAll(ctx, t, s, es)

	first := readShard(ctx, t, s, shardID, trimHorizon, 7)
	checkReadBack(t, es, rs, map[string][]stream.Record{shardID: first.Records})
	if first.Batches < 5 {
		t.Fatalf("read 30 records 7 at a time in %d batches", first.Batches)
	}
	// The log is replayable: a second reader sees the same records.
	checkSame(t, "second reader", readShard(ctx, t, s, shardID, trimHorizon, 0).Records, first.Records)
}

// testLatest checks that an iterator opened at Latest sees only what is
// put after it was opened.
func testLatest(t *testing.T, newStream NewStream) {
	ctx := testContext(t)
	s := newStream(t, 1)
	shardID := onlyShard(ctx, t, s)
	putAll(ctx, t, s, entries("before", 10, spreadKeys))

	latest := stream.Position{Kind: stream.Latest}
	it, err := s.Iterate(ctx, shardID, latest)
	if err != nil {
		t.Fatalf("iterate latest: %v", err)
	}
	if got := readIterator(ctx, t, s, it, shardID, latest, 0); len(got.Records) != 0 {
		t.Fatalf("latest before any new put: read %d records, e.g. %q", len(got.Records), got.Records[0].Data)
	}
	after := entries("after", 10, spreadKeys)
	rs := putAll(ctx, t, s, after)
	got := readIterator(ctx, t, s, it, shardID, latest, 0)
	checkReadBack(t, after, rs, map[string][]stream.Record{shardID: got.Records})
}

// testAtSequence and testAfterSequence check starting at and after
// sequence numbers Put returned, against a full read.
func testAtSequence(t *testing.T, newStream NewStream) { testFromSequence(t, newStream, stream.At, 0) }
func testAfterSequence(t *testing.T, newStream NewStream) {
	testFromSequence(t, newStream, stream.After, 1)
}

func testFromSequence(t *testing.T, newStream NewStream, pos func(string) stream.Position, skip int) {
	ctx := testContext(t)
	s := newStream(t, 1)
	shardID := onlyShard(ctx, t, s)
	putAll(ctx, t, s, entries("seq-a", 10, spreadKeys))
	putAll(ctx, t, s, entries("seq-b", 10, spreadKeys))
	all := readShard(ctx, t, s, shardID, trimHorizon, 0).Records
	if len(all) != 20 {
		t.Fatalf("read %d records, want 20", len(all))
	}
	for _, k := range []int{0, 7, 10, 19} {
		seq := all[k].SequenceNumber
		got := readShard(ctx, t, s, shardID, pos(seq), 0).Records
		checkSame(t, fmt.Sprintf("from %+v", pos(seq)), got, all[k+skip:])
	}
}

// testAtTimestamp checks starting at an arrival time: records that arrived
// at or after it, none before.
func testAtTimestamp(t *testing.T, newStream NewStream) {
	ctx := testContext(t)
	s := newStream(t, 1)
	shardID := onlyShard(ctx, t, s)
	start := time.Now()
	putAll(ctx, t, s, entries("early", 10, spreadKeys))
	early := readShard(ctx, t, s, shardID, trimHorizon, 0).Records
	lastEarly := early[len(early)-1].ArrivalTime
	// Kinesis stamps arrival in milliseconds: let the clock move on well
	// past the early records before putting the late ones.
	for time.Since(lastEarly) < 50*time.Millisecond {
		if err := wait(ctx, 10*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	putAll(ctx, t, s, entries("late", 10, spreadKeys))
	all := readShard(ctx, t, s, shardID, trimHorizon, 0).Records
	late := all[len(early):]
	firstLate := late[0].ArrivalTime
	if !firstLate.After(lastEarly) {
		t.Fatalf("records put 50ms apart arrived at %v and %v", lastEarly, firstLate)
	}
	// Only timestamps at or before an existing record: kinesalite never
	// answers GetShardIterator AT_TIMESTAMP when no record follows it, and
	// rejects timestamps in the future.
	for _, c := range []struct {
		name string
		at   time.Time
		want []stream.Record
	}{
		{"before everything", start.Add(-time.Second), all},
		{"first early record", early[0].ArrivalTime, all},
		{"between early and late", lastEarly.Add(firstLate.Sub(lastEarly) / 2), late},
		{"first late record", firstLate, late},
	} {
		checkSame(t, c.name, readShard(ctx, t, s, shardID, stream.Since(c.at), 0).Records, c.want)
	}
}

// openErr returns the error of opening an iterator at from or of its first
// Next (a backend may open lazily).
func openErr(ctx context.Context, s stream.Stream, shardID string, from stream.Position) error {
	it, err := s.Iterate(ctx, shardID, from)
	if err != nil {
		return err
	}
	_, err = it.Next(ctx, 1)
	return err
}

func testInvalidPosition(t *testing.T, newStream NewStream) {
	ctx := testContext(t)
	s := newStream(t, 2)
	shards := listShards(ctx, t, s)
	es := []stream.Entry{
		{Data: []byte("a"), PartitionKey: "a", ExplicitHashKey: shards[0].HashKeyStart},
		{Data: []byte("b"), PartitionKey: "b", ExplicitHashKey: shards[1].HashKeyStart},
	}
	rs := putAll(ctx, t, s, es)
	for _, c := range []struct {
		name string
		pos  stream.Position
	}{
		{"sequence of another shard", stream.At(rs[1].SequenceNumber)},
		{"after a sequence of another shard", stream.After(rs[1].SequenceNumber)},
		{"sequence not a number", stream.At("12ab")},
		{"empty sequence", stream.At("")},
		{"unknown kind", stream.Position{Kind: stream.PositionKind(99)}},
	} {
		err := openErr(ctx, s, shards[0].ID, c.pos)
		if !errors.Is(err, stream.ErrInvalidPosition) {
			t.Errorf("%s: got %v, want ErrInvalidPosition", c.name, err)
		}
	}
}

func testUnknownShard(t *testing.T, newStream NewStream) {
	ctx := testContext(t)
	s := newStream(t, 1)
	err := openErr(ctx, s, "shardId-000000009999", trimHorizon)
	if !errors.Is(err, stream.ErrShardNotFound) {
		t.Fatalf("iterate an unknown shard: got %v, want ErrShardNotFound", err)
	}
}

// testTimestamps checks arrival times: set, plausible, non-decreasing
// within a shard.
func testTimestamps(t *testing.T, newStream NewStream) {
	// The slack allows for a service clock apart from ours and for
	// kinesalite, which stamps in milliseconds.
	const slack = 5 * time.Second
	ctx := testContext(t)
	s := newStream(t, 2)
	before := time.Now()
	for p := range 3 {
		putAll(ctx, t, s, entries(fmt.Sprintf("time%d", p), 20, spreadKeys))
	}
	after := time.Now()
	for shardID, recs := range readAll(ctx, t, s) {
		for i, r := range recs {
			if r.ArrivalTime.Before(before.Add(-slack)) || r.ArrivalTime.After(after.Add(slack)) {
				t.Fatalf("shard %s record %d arrived at %v, not between %v and %v", shardID, i, r.ArrivalTime, before, after)
			}
			if i > 0 && r.ArrivalTime.Before(recs[i-1].ArrivalTime) {
				t.Fatalf("shard %s: record %d arrived at %v, before record %d at %v",
					shardID, i, r.ArrivalTime, i-1, recs[i-1].ArrivalTime)
			}
		}
	}
}

// testNextMax checks that Next never returns more than asked.
func testNextMax(t *testing.T, newStream NewStream) {
	ctx := testContext(t)
	s := newStream(t, 1)
	shardID := onlyShard(ctx, t, s)
	es := entries("max", 25, spreadKeys)
	rs := putAll(ctx, t, s, es)
	for _, max := range []int{1, 4} {
		got := readShard(ctx, t, s, shardID, trimHorizon, max) // fails on batches over max
		checkReadBack(t, es, rs, map[string][]stream.Record{shardID: got.Records})
	}
}

// testEmptyShard checks reading a shard with no records: an empty batch at
// the tip, not the end of the shard.
func testEmptyShard(t *testing.T, newStream NewStream) {
	ctx := testContext(t)
	s := newStream(t, 1)
	shardID := onlyShard(ctx, t, s)
	for _, from := range []stream.Position{trimHorizon, {Kind: stream.Latest}} {
		it, err := s.Iterate(ctx, shardID, from)
		if err != nil {
			t.Fatalf("iterate %+v: %v", from, err)
		}
		b, err := it.Next(ctx, 0)
		if err != nil {
			t.Fatalf("next %+v: %v", from, err)
		}
		if len(b.Records) != 0 || b.EndOfShard || b.BehindTip != 0 {
			t.Fatalf("empty shard from %+v: %d records, end %v, behind %v", from, len(b.Records), b.EndOfShard, b.BehindTip)
		}
	}
}
