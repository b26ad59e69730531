package consumer

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream"
)

// TestStartAtLatestReadsChildrenWhole: a consumer started at Latest skips
// what the stream held before it started, and reads everything after: the
// shard is split while its batch is being processed, and what is written to
// the children before the consumer takes them is delivered too (a LATEST
// iterator on the children skipped it).
func TestStartAtLatestReadsChildrenWhole(t *testing.T) {
	e := newEnv(t, 1)
	rec := newRecorder()
	var mu sync.Mutex
	observed := false
	cfg := e.config("c")
	cfg.Drain = false
	cfg.StartAt = stream.Position{Kind: stream.Latest}
	cfg.Observe = func(shard string, b stream.Batch) { mu.Lock(); observed = true; mu.Unlock() }
	blocked, unblock := make(chan struct{}), make(chan struct{})
	var once sync.Once
	process := func(ctx context.Context, shard string, b stream.Batch) (string, error) {
		once.Do(func() { close(blocked); <-unblock })
		return rec.process(ctx, shard, b)
	}
	before := e.put(t, 5, spread)     // before the start: not wanted
	time.Sleep(10 * time.Millisecond) // so that the start is later, even at millisecond precision
	cancel, done := runAsync(cfg, process)
	defer cancel()
	eventually(t, "shard read", func() bool { mu.Lock(); defer mu.Unlock(); return observed })
	want := e.put(t, 10, spread) // on the parent, after Latest
	<-blocked                    // the consumer is processing the parent's batch
	if err := e.stream.SplitShard(context.Background(), "shardId-000000000000", "170141183460469231731687303715884105728"); err != nil {
		t.Fatal(err)
	}
	want = append(want, e.put(t, 100, spread)...) // on the children
	close(unblock)
	eventually(t, "children leased", func() bool {
		cps, _ := e.store.List(context.Background(), "c")
		n := 0
		for _, cp := range cps {
			if cp.Owner != "" && cp.ShardID != "shardId-000000000000" {
				n++
			}
		}
		return n == 2
	})
	more := e.put(t, 10, spread)
	want = append(want, more...)
	eventually(t, "later records", func() bool {
		for _, d := range more {
			if rec.count(d) == 0 {
				return false
			}
		}
		return true
	})
	cancel()
	if err := wait(t, done); err != nil {
		t.Fatal(err)
	}
	missing := 0
	for _, d := range want {
		if rec.count(d) == 0 {
			missing++
		}
	}
	for _, d := range before {
		if rec.count(d) != 0 {
			t.Errorf("a record written before the consumer started at Latest was delivered")
			break
		}
	}
	t.Logf("wanted %d, delivered %d distinct, missing %d", len(want), len(rec.counts), missing)
	if missing > 0 {
		t.Fatalf("%d records written to the children after the split were never delivered", missing)
	}
}
