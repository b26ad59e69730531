package local_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/local"
)

func TestReopenKeepsRecordsAndShardCount(t *testing.T) {
	dir := t.TempDir()
	s, err := local.Open(dir, local.Options{Shards: 3})
	if err != nil {
		t.Fatal(err)
	}
	first := mustPut(t, s, entriesWithKey("first", "k", 20))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A different count is refused; 0 takes the stored one.
	if _, err := local.Open(dir, local.Options{Shards: 4}); !errors.Is(err, local.ErrInvalidArgument) {
		t.Fatalf("reopen with 4 shards: %v, want ErrInvalidArgument", err)
	}
	s = openDir(t, dir, local.Options{})
	shards, err := s.Shards(context.Background())
	if err != nil || len(shards) != 3 {
		t.Fatalf("reopened: %d shards, %v", len(shards), err)
	}
	second := mustPut(t, s, entriesWithKey("second", "k", 20))
	if second[0].ShardID != first[0].ShardID ||
		stream.CompareSequence(second[0].SequenceNumber, first[19].SequenceNumber) <= 0 {
		t.Fatalf("after reopen: %+v does not follow %+v", second[0], first[19])
	}
	got := datas(readAll(t, s, first[0].ShardID, trimHorizon))
	if len(got) != 40 || got[0] != "first-0" || got[39] != "second-19" {
		t.Fatalf("after reopen read %d records: %v", len(got), got)
	}
	// Same count explicitly is fine.
	s.Close()
	openDir(t, dir, local.Options{Shards: 3})
}

func TestSecondOpenIsRefused(t *testing.T) {
	dir := t.TempDir()
	openDir(t, dir, local.Options{Shards: 1})
	_, err := local.Open(dir, local.Options{LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, local.ErrInUse) || !strings.Contains(err.Error(), "local://"+dir+" is in use by another process") {
		t.Fatalf("second open: %v, want ErrInUse naming local://%s", err, dir)
	}
}

// Entries of one put that land on one shard keep entry order (Kinesis does
// not promise this; the local stream does).
func TestEntryOrderWithinPut(t *testing.T) {
	s := openTemp(t, local.Options{Shards: 2})
	rs := mustPut(t, s, entriesWithKey("e", "same", 300))
	got := datas(readAll(t, s, rs[0].ShardID, trimHorizon))
	for i, d := range got {
		if d != fmt.Sprintf("e-%d", i) {
			t.Fatalf("record %d is %q", i, d)
		}
	}
}

func TestRetention(t *testing.T) {
	clk := newClock()
	dir := t.TempDir()
	s := openDir(t, dir, local.Options{Shards: 1, Retention: time.Hour, Now: clk.Now})
	old := mustPut(t, s, entriesWithKey("old", "k", 5))
	clk.Add(time.Hour + time.Second)
	mustPut(t, s, entriesWithKey("new", "k", 5))

	// Expired records are invisible at once, to every position.
	want := []string{"new-0", "new-1", "new-2", "new-3", "new-4"}
	if got := datas(readAll(t, s, shard0, trimHorizon)); !slices.Equal(got, want) {
		t.Fatalf("trim horizon after retention: %v", got)
	}
	if got := datas(readAll(t, s, shard0, stream.At(old[2].SequenceNumber))); !slices.Equal(got, want) {
		t.Fatalf("at an expired sequence: %v", got)
	}

	// Trim deletes them from the file: a longer retention does not bring
	// them back.
	if err := s.Trim(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openDir(t, dir, local.Options{Retention: 1000 * time.Hour, Now: clk.Now})
	if got := datas(readAll(t, s, shard0, trimHorizon)); !slices.Equal(got, want) {
		t.Fatalf("after trim and reopen with longer retention: %v", got)
	}
}

func TestClosedShardPassesRetention(t *testing.T) {
	clk := newClock()
	s := openTemp(t, local.Options{Shards: 1, Retention: time.Hour, Now: clk.Now})
	ctx := context.Background()
	mustPut(t, s, entriesWithKey("parent", "k", 3))
	if err := s.SplitShard(ctx, shard0, "1000"); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Hour + time.Second)
	shards, err := s.Shards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range shards {
		if sh.ID == shard0 {
			t.Fatalf("closed shard past retention still listed: %+v", sh)
		}
		if sh.ParentID != shard0 {
			t.Fatalf("child %+v lost its parent id", sh)
		}
	}
	if _, err := s.Iterate(ctx, shard0, trimHorizon); !errors.Is(err, stream.ErrShardNotFound) {
		t.Fatalf("iterate expired shard: %v", err)
	}
	if err := s.Trim(); err != nil {
		t.Fatal(err)
	}
	if shards, _ := s.Shards(ctx); len(shards) != 2 {
		t.Fatalf("after trim: %d shards", len(shards))
	}
}

func TestAtTimestampExact(t *testing.T) {
	clk := newClock()
	s := openTemp(t, local.Options{Shards: 1, Now: clk.Now})
	start := clk.Now()
	for i := range 5 {
		mustPut(t, s, entriesWithKey(fmt.Sprint("t", i), "k", 2))
		clk.Add(time.Millisecond)
	}
	cases := []struct {
		at   time.Time
		want []string
	}{
		{time.Time{}, []string{"t0-0", "t0-1", "t1-0", "t1-1", "t2-0", "t2-1", "t3-0", "t3-1", "t4-0", "t4-1"}},
		{start.Add(2 * time.Millisecond), []string{"t2-0", "t2-1", "t3-0", "t3-1", "t4-0", "t4-1"}},
		{start.Add(2*time.Millisecond + 1), []string{"t2-1", "t3-0", "t3-1", "t4-0", "t4-1"}}, // the second entry arrived 1ns later
		{start.Add(2*time.Millisecond + 2), []string{"t3-0", "t3-1", "t4-0", "t4-1"}},
		{start.Add(time.Hour), nil}, // after everything, even in the future
	}
	for _, c := range cases {
		if got := datas(readAll(t, s, shard0, stream.Since(c.at))); !slices.Equal(got, c.want) {
			t.Errorf("since %v: %v, want %v", c.at.Sub(start), got, c.want)
		}
	}
	// An iterator at a future time sees records that arrive by then.
	it, err := s.Iterate(context.Background(), shard0, stream.Since(start.Add(time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Second)
	mustPut(t, s, entriesWithKey("later", "k", 1))
	b, err := it.Next(context.Background(), 0)
	if err != nil || len(b.Records) != 1 || string(b.Records[0].Data) != "later-0" {
		t.Fatalf("future iterator: %v %v", datas(b.Records), err)
	}
}

func TestClockSteppingBack(t *testing.T) {
	clk := newClock()
	s := openTemp(t, local.Options{Shards: 1, Now: clk.Now})
	mustPut(t, s, entriesWithKey("a", "k", 3))
	clk.Add(-time.Hour)
	mustPut(t, s, entriesWithKey("b", "k", 3))
	recs := readAll(t, s, shard0, trimHorizon)
	for i := 1; i < len(recs); i++ {
		if stream.CompareSequence(recs[i-1].SequenceNumber, recs[i].SequenceNumber) >= 0 ||
			recs[i].ArrivalTime.Before(recs[i-1].ArrivalTime) {
			t.Fatalf("record %d (%s at %v) does not follow record %d (%s at %v)", i,
				recs[i].SequenceNumber, recs[i].ArrivalTime, i-1, recs[i-1].SequenceNumber, recs[i-1].ArrivalTime)
		}
	}
}

func TestBehindTip(t *testing.T) {
	clk := newClock()
	s := openTemp(t, local.Options{Shards: 1, Now: clk.Now})
	clk.Add(time.Second) // past the shard's creation
	for i := range 4 {
		mustPut(t, s, entriesWithKey(fmt.Sprint("r", i), "k", 1))
		clk.Add(time.Second)
	}
	it, err := s.Iterate(context.Background(), shard0, trimHorizon)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []time.Duration{3 * time.Second, 2 * time.Second, time.Second, 0, 0} {
		b, err := it.Next(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if b.BehindTip != want {
			t.Fatalf("behind tip %v, want %v", b.BehindTip, want)
		}
	}
}

func TestThrottleWrites(t *testing.T) {
	clk := newClock()
	s := openTemp(t, local.Options{Shards: 1, Now: clk.Now, Throttle: &local.Throttle{WriteRecords: 10, WriteBytes: 1000}})
	ctx := context.Background()
	count := func(rs []stream.PutResult) (ok, throttled int) {
		for _, r := range rs {
			switch {
			case r.OK():
				ok++
			case r.ErrorCode == stream.ErrCodeThrottled && strings.Contains(r.ErrorMessage, "Rate exceeded for shard "+shard0):
				throttled++
			default:
				t.Fatalf("unexpected result %+v", r)
			}
		}
		return ok, throttled
	}
	rs, err := s.Put(ctx, entriesWithKey("a", "k", 25))
	if ok, th := count(rs); err != nil || ok != 10 || th != 15 {
		t.Fatalf("25 records at 10/s: %d ok, %d throttled, %v", ok, th, err)
	}
	if got := len(readAll(t, s, shard0, trimHorizon)); got != 10 {
		t.Fatalf("%d records written, want 10", got)
	}
	clk.Add(500 * time.Millisecond) // half the bucket back
	rs, _ = s.Put(ctx, entriesWithKey("b", "k", 10))
	if ok, th := count(rs); ok != 5 || th != 5 {
		t.Fatalf("after 0.5s: %d ok, %d throttled", ok, th)
	}

	clk.Add(time.Hour)
	big := []stream.Entry{{Data: make([]byte, 399), PartitionKey: "k"}}
	big = append(big, big[0], big[0]) // 3 × 400 bytes against 1000 bytes/s
	rs, _ = s.Put(ctx, big)
	if ok, th := count(rs); ok != 2 || th != 1 {
		t.Fatalf("1200 bytes at 1000 B/s: %d ok, %d throttled", ok, th)
	}
}

func TestThrottleReads(t *testing.T) {
	clk := newClock()
	s := openTemp(t, local.Options{Shards: 1, Now: clk.Now, Throttle: &local.Throttle{ReadCalls: 2, ReadBytes: 100}})
	ctx := context.Background()
	mustPut(t, s, []stream.Entry{{Data: make([]byte, 499), PartitionKey: "k"}})
	it, err := s.Iterate(ctx, shard0, trimHorizon)
	if err != nil {
		t.Fatal(err)
	}
	next := func() error { _, err := it.Next(ctx, 0); return err }
	if err := next(); err != nil { // reads 500 bytes: overdraws 100 B/s by 400
		t.Fatal(err)
	}
	if err := next(); !stream.IsThrottled(err) {
		t.Fatalf("read while in debt: %v, want throttled", err)
	}
	clk.Add(3 * time.Second)
	if err := next(); !stream.IsThrottled(err) {
		t.Fatalf("read after 3s of a 4s debt: %v, want throttled", err)
	}
	clk.Add(time.Second)
	if err := next(); err != nil {
		t.Fatalf("read after the debt is paid: %v", err)
	}
	// Calls: 2 per second, shared by all iterators of the shard.
	clk.Add(time.Hour)
	other, _ := s.Iterate(ctx, shard0, trimHorizon)
	if err := next(); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Next(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := next(); !stream.IsThrottled(err) {
		t.Fatalf("third call in a second: %v, want throttled", err)
	}
}

func TestInjectedReadFaults(t *testing.T) {
	s := openTemp(t, local.Options{Shards: 1})
	mustPut(t, s, entriesWithKey("r", "k", 3))
	ctx := context.Background()
	it, err := s.Iterate(ctx, shard0, trimHorizon)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := it.Next(ctx, 1); err != nil || string(b.Records[0].Data) != "r-0" {
		t.Fatal(err)
	}
	s.InjectReadFaults(func(string) error { return stream.ErrExpiredIterator })
	if _, err := it.Next(ctx, 1); !stream.IsExpiredIterator(err) {
		t.Fatalf("injected: %v", err)
	}
	s.InjectReadFaults(nil)
	if b, err := it.Next(ctx, 0); err != nil || !slices.Equal(datas(b.Records), []string{"r-1", "r-2"}) {
		t.Fatalf("after the fault the iterator goes on where it was: %v %v", datas(b.Records), err)
	}
}

func TestClosed(t *testing.T) {
	s, err := local.Open(t.TempDir(), local.Options{Shards: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	it, err := s.Iterate(ctx, shard0, trimHorizon)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if _, err := s.Put(ctx, entriesWithKey("x", "k", 1)); !errors.Is(err, local.ErrClosed) {
		t.Fatalf("put after close: %v", err)
	}
	if _, err := it.Next(ctx, 0); !errors.Is(err, local.ErrClosed) {
		t.Fatalf("next after close: %v", err)
	}
	if _, err := s.Shards(ctx); !errors.Is(err, local.ErrClosed) {
		t.Fatalf("shards after close: %v", err)
	}
}

func TestInvalidReshard(t *testing.T) {
	s := openTemp(t, local.Options{Shards: 3})
	ctx := context.Background()
	shards, _ := s.Shards(ctx)
	for _, err := range []error{
		s.SplitShard(ctx, shards[1].ID, shards[1].HashKeyStart), // child below would be empty
		s.SplitShard(ctx, shards[1].ID, shards[2].HashKeyStart), // outside the shard
		s.SplitShard(ctx, shards[1].ID, "x"),
		s.MergeShards(ctx, shards[0].ID, shards[2].ID), // not adjacent
	} {
		if !errors.Is(err, local.ErrInvalidArgument) {
			t.Errorf("got %v, want ErrInvalidArgument", err)
		}
	}
	if err := s.SplitShard(ctx, "shardId-000000000042", "1"); !errors.Is(err, stream.ErrShardNotFound) {
		t.Errorf("split unknown shard: %v", err)
	}
	if err := s.MergeShards(ctx, shards[1].ID, shards[0].ID); err != nil { // either order
		t.Fatal(err)
	}
	if err := s.SplitShard(ctx, shards[1].ID, "1"); !errors.Is(err, local.ErrInvalidArgument) {
		t.Errorf("split a closed shard: %v", err)
	}
}

// Readers tail the stream while writers write: every reader sees every
// record once, in order. Run with -race.
func TestTailWhileWriting(t *testing.T) {
	const writers, puts, perPut = 4, 20, 25
	s := openTemp(t, local.Options{Shards: 1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	total := writers * puts * perPut
	var wg sync.WaitGroup
	seen := make([][]stream.Record, 3)
	for r := range seen {
		wg.Go(func() {
			it, err := s.Iterate(ctx, shard0, trimHorizon)
			if err != nil {
				t.Error(err)
				return
			}
			for len(seen[r]) < total && ctx.Err() == nil {
				b, err := it.Next(ctx, 100)
				if err != nil {
					t.Error(err)
					return
				}
				seen[r] = append(seen[r], b.Records...)
			}
		})
	}
	for w := range writers {
		wg.Go(func() {
			for p := range puts {
				if _, err := s.Put(ctx, entriesWithKey(fmt.Sprintf("w%d-p%d", w, p), "k", perPut)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	want := readAll(t, s, shard0, trimHorizon)
	if len(want) != total {
		t.Fatalf("%d records in the shard, want %d", len(want), total)
	}
	for r, got := range seen {
		if !slices.Equal(datas(got), datas(want)) {
			t.Fatalf("reader %d saw %d records, not the shard's %d in order", r, len(got), len(want))
		}
	}
}

func TestOptionsFromQuery(t *testing.T) {
	good, err := local.OptionsFromQuery(url.Values{"shards": {"8"}, "retention": {"2h"}, "max-record-bytes": {"2097152"}, "throttle": {"true"}})
	if err != nil || good.Shards != 8 || good.Retention != 2*time.Hour || good.MaxRecordBytes != 2<<20 || good.Throttle == nil {
		t.Fatalf("got %+v, %v", good, err)
	}
	for _, q := range []string{"shards=0", "shards=x", "retention=-1h", "retention=1", "max-record-bytes=0", "throttle=maybe", "shard=4"} {
		v, _ := url.ParseQuery(q)
		if _, err := local.OptionsFromQuery(v); err == nil {
			t.Errorf("%s: no error", q)
		}
	}
}

func TestMaxRecordBytes(t *testing.T) {
	s := openTemp(t, local.Options{Shards: 1, MaxRecordBytes: 2 << 20})
	l := s.Limits()
	if l.MaxRecordBytes != 2<<20 || l.MaxPutBytes != 20<<20 {
		t.Fatalf("limits %+v", l)
	}
	mustPut(t, s, []stream.Entry{{Data: make([]byte, 2<<20-1), PartitionKey: "k"}})
	if _, err := s.Put(context.Background(), []stream.Entry{{Data: make([]byte, 2<<20), PartitionKey: "k"}}); !errors.Is(err, local.ErrInvalidArgument) {
		t.Fatalf("over the record limit: %v", err)
	}
}
