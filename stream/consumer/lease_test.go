package consumer

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream/checkpoint"
	cplocal "github.com/elbstream/elbstream/stream/checkpoint/local"
)

// slowAcquire makes each Acquire take a while, so that a checkpoint can
// queue up behind a renewal in progress.
type slowAcquire struct {
	checkpoint.Store
	delay time.Duration
}

func (s slowAcquire) Acquire(ctx context.Context, consumer, shard, owner string, ttl time.Duration) (checkpoint.Checkpoint, error) {
	time.Sleep(s.delay)
	return s.Store.Acquire(ctx, consumer, shard, owner, ttl)
}

// TestRenewalThatFindsARewindStopsWrites: the renewal that finds the
// checkpoint rewound has taken the lease again to do so; a checkpoint
// waiting behind it must not then move the checkpoint forward over the
// rewind.
func TestRenewalThatFindsARewindStopsWrites(t *testing.T) {
	store, err := cplocal.Open(filepath.Join(t.TempDir(), "checkpoints.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	const ttl = 30 * time.Second
	cp, err := store.Acquire(ctx, "c", "shard-0", "me", ttl)
	if err != nil {
		t.Fatal(err)
	}
	l := newShardLease(ctx, slowAcquire{store, 50 * time.Millisecond}, cp, "me", ttl, time.Now(), t.Logf)
	if err := l.set("100"); err != nil {
		t.Fatal(err)
	}
	if err := store.Rewind(ctx, "c", "shard-0", "50"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var renewErr, setErr error
	wg.Go(func() { renewErr = l.renew() })
	time.Sleep(10 * time.Millisecond) // the renewal holds the lease's lock
	wg.Go(func() { setErr = l.set("200") })
	wg.Wait()
	if renewErr == nil {
		t.Error("the renewal did not notice the rewind")
	}
	got, err := store.Get(ctx, "c", "shard-0")
	if err != nil {
		t.Fatal(err)
	}
	if got.Sequence != "50" || setErr == nil {
		t.Fatalf("checkpoint %q after the rewind to 50 (set: %v): a write went over the rewind", got.Sequence, setErr)
	}
}
