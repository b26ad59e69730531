package local_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/local"
)

// clock is a hand-moved clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func openDir(t testing.TB, dir string, opts local.Options) *local.Stream {
	t.Helper()
	s, err := local.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func entriesWithKey(prefix, key string, n int) []stream.Entry {
	es := make([]stream.Entry, n)
	for i := range es {
		es[i] = stream.Entry{Data: fmt.Appendf(nil, "%s-%d", prefix, i), PartitionKey: key}
	}
	return es
}

// mustPut puts es and fails t unless every entry was written.
func mustPut(t testing.TB, s stream.Stream, es []stream.Entry) []stream.PutResult {
	t.Helper()
	rs, err := s.Put(context.Background(), es)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if !r.OK() {
			t.Fatalf("entry %d: %s: %s", i, r.ErrorCode, r.ErrorMessage)
		}
	}
	return rs
}

// readAll reads shardID from from until an empty batch or the shard's end.
func readAll(t testing.TB, s stream.Stream, shardID string, from stream.Position) []stream.Record {
	t.Helper()
	ctx := context.Background()
	it, err := s.Iterate(ctx, shardID, from)
	if err != nil {
		t.Fatal(err)
	}
	var recs []stream.Record
	for {
		b, err := it.Next(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, b.Records...)
		if len(b.Records) == 0 || b.EndOfShard {
			return recs
		}
	}
}

func datas(recs []stream.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Data)
	}
	return out
}

var trimHorizon = stream.Position{Kind: stream.TrimHorizon}

const shard0 = "shardId-000000000000"
