package forward

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/checkpoint"
	"github.com/elbstream/elbstream/stream/local"
)

// clock is a hand-moved clock for the local stream's arrival times.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// Hash keys that pick the first and the last shard of a 2-shard stream.
const (
	lowHashKey  = "0"
	highHashKey = "340282366920938463463374607431768211455"
)

func putAt(t *testing.T, s *local.Stream, c *clock, at time.Time, hashKey string, data string) {
	t.Helper()
	c.set(at)
	res, err := s.Put(context.Background(), []stream.Entry{{Data: []byte(data), PartitionKey: "pk", ExplicitHashKey: hashKey}})
	if err != nil || !res[0].OK() {
		t.Fatalf("put: %v %+v", err, res)
	}
}

// readFrom returns the data of the first record readable from pos, or "".
func readFrom(t *testing.T, s stream.Stream, shardID string, pos stream.Position) string {
	t.Helper()
	rec, ok, _, err := firstRecord(context.Background(), s, shardID, pos)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return ""
	}
	r := &stream.Reader{Stream: s, ShardID: shardID, From: stream.At(rec.SequenceNumber), MaxRecords: 1}
	b, err := r.Next(context.Background())
	if err != nil || len(b.Records) == 0 {
		t.Fatalf("read at %s: %v", rec.SequenceNumber, err)
	}
	return string(b.Records[0].Data)
}

// resumeAt is where a consumer whose checkpoint is seq starts reading: the
// data of its first record, or "" when there is nothing to read.
func resumeAt(t *testing.T, s stream.Stream, shardID, seq string) string {
	t.Helper()
	switch seq {
	case checkpoint.ShardEnd:
		return ""
	case checkpoint.TrimHorizon:
		return readFrom(t, s, shardID, stream.Position{Kind: stream.TrimHorizon})
	}
	return readFrom(t, s, shardID, stream.After(seq))
}

func TestResolveTimeResumesAtFirstRecordAtOrAfter(t *testing.T) {
	c := &clock{}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c.set(t0)
	s, err := local.Open(t.TempDir(), local.Options{Shards: 2, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Shard 0: records every 10s from t0; shard 1: one record at t0+45s.
	for i := range 10 {
		putAt(t, s, c, t0.Add(time.Duration(i)*10*time.Second), lowHashKey, fmt.Sprint("low-", i))
	}
	putAt(t, s, c, t0.Add(45*time.Second), highHashKey, "high-0")
	c.set(t0.Add(time.Hour))
	shards, err := s.Shards(context.Background())
	if err != nil || len(shards) != 2 {
		t.Fatal(shards, err)
	}
	low, high := shards[0], shards[1]

	for _, tc := range []struct {
		name       string
		at         time.Duration
		shard      stream.Shard
		wantResume string // "" = nothing left to read
		wantSeq    string // a sentinel, or "" for a sequence number
	}{
		{"between records", 35 * time.Second, low, "low-4", ""},
		{"exactly at a record", 40 * time.Second, low, "low-4", ""},
		{"just after a record", 40*time.Second + time.Nanosecond, low, "low-5", ""},
		{"before everything", -time.Minute, low, "low-0", checkpoint.TrimHorizon},
		{"at the first record", 0, low, "low-0", checkpoint.TrimHorizon},
		{"after everything", 10 * time.Minute, low, "", ""},
		{"far back, other shard", 44 * time.Second, high, "high-0", checkpoint.TrimHorizon},
		{"after the only record", 46 * time.Second, high, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := t0.Add(tc.at)
			res, err := ResolveTime(context.Background(), s, tc.shard, at)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantSeq != "" && res.Sequence != tc.wantSeq {
				t.Errorf("checkpoint %q, want %s", res.Sequence, tc.wantSeq)
			}
			if got := resumeAt(t, s, tc.shard.ID, res.Sequence); got != tc.wantResume {
				t.Errorf("checkpoint %q resumes at %q, want %q", res.Sequence, got, tc.wantResume)
			}
			// The same record an AT_TIMESTAMP iterator finds first.
			if got := readFrom(t, s, tc.shard.ID, stream.Since(at)); got != tc.wantResume {
				t.Errorf("AT_TIMESTAMP finds %q, the test expects %q", got, tc.wantResume)
			}
		})
	}
}

func TestResolveTimeAcrossSplit(t *testing.T) {
	c := &clock{}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c.set(t0)
	s, err := local.Open(t.TempDir(), local.Options{Shards: 1, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 5 {
		putAt(t, s, c, t0.Add(time.Duration(i)*10*time.Second), lowHashKey, fmt.Sprint("parent-", i))
	}
	c.set(t0.Add(45 * time.Second))
	shards, _ := s.Shards(context.Background())
	if err := s.SplitShard(context.Background(), shards[0].ID, "170141183460469231731687303715884105728"); err != nil {
		t.Fatal(err)
	}
	for i := 5; i < 10; i++ {
		putAt(t, s, c, t0.Add(time.Duration(i)*10*time.Second), lowHashKey, fmt.Sprint("child-", i))
	}
	c.set(t0.Add(time.Hour))
	plan, err := ResolveRewind(context.Background(), s, RewindTarget{Time: t0.Add(65 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 3 {
		t.Fatalf("plan %+v, want parent and two children", plan)
	}
	want := map[string]string{}
	for _, sh := range mustShards(t, s) {
		switch {
		case sh.ParentID == "":
			want[sh.ID] = ""
		case sh.HashKeyStart == "0":
			want[sh.ID] = "child-7"
		default:
			want[sh.ID] = ""
		}
	}
	for _, p := range plan {
		if got := resumeAt(t, s, p.ShardID, p.Sequence); got != want[p.ShardID] {
			t.Errorf("%s: checkpoint %q resumes at %q, want %q", p.ShardID, p.Sequence, got, want[p.ShardID])
		}
	}
	if plan[0].Sequence != checkpoint.ShardEnd {
		t.Errorf("parent, wholly before the time: %q, want SHARD_END", plan[0].Sequence)
	}
}

func mustShards(t *testing.T, s stream.Stream) []stream.Shard {
	t.Helper()
	shards, err := s.Shards(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return shards
}
