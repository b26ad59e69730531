package consumer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/elbstream/elbstream/internal/testenv"
	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/checkpoint"
	cpdynamodb "github.com/elbstream/elbstream/stream/checkpoint/dynamodb"
)

// brownoutStore fails every Set for a while, as a store in a brownout does
// (5xx, timeouts), then recovers.
type brownoutStore struct {
	checkpoint.Store
	mu    sync.Mutex
	until time.Time
	fails int
}

func (s *brownoutStore) Set(ctx context.Context, consumer, shard, owner, seq string) error {
	s.mu.Lock()
	if s.until.IsZero() {
		s.until = time.Now().Add(3 * time.Second) // longer than the lease's headroom
	}
	bad := time.Now().Before(s.until)
	if bad {
		s.fails++
	}
	s.mu.Unlock()
	if bad {
		return errors.New("operation error DynamoDB: UpdateItem, https response error StatusCode: 500, InternalServerError")
	}
	return s.Store.Set(ctx, consumer, shard, owner, seq)
}

// TestCheckpointBrownoutDropsTheShardNotTheConsumer: checkpoints that keep
// failing until the lease ends drop the shard, which is taken again once
// the store answers and read from its last checkpoint; Run goes on and
// drains, every record processed (at least once).
func TestCheckpointBrownoutDropsTheShardNotTheConsumer(t *testing.T) {
	e := newEnv(t, 1)
	want := e.put(t, 50, spread)
	rec := newRecorder()
	cfg := e.config("c")
	bs := &brownoutStore{Store: e.store}
	cfg.Checkpoints = bs
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := Run(ctx, cfg, rec.process); err != nil {
		t.Fatalf("Run = %v after %d failed checkpoints: a store brownout stopped the consumer", err, bs.fails)
	}
	if bs.fails == 0 {
		t.Fatal("no checkpoint failed: the test tested nothing")
	}
	for _, d := range want {
		if rec.count(d) == 0 {
			t.Fatalf("record %s not processed", d)
		}
	}
}

// hangingSet's Set hangs, once hang is set, until the caller gives up (a
// slow DynamoDB UpdateItem, the SDK retrying inside the call); its other
// calls answer at once.
type hangingSet struct {
	checkpoint.Store
	hang atomic.Bool
}

func (s *hangingSet) Set(ctx context.Context, consumer, shard, owner, seq string) error {
	if s.hang.Load() {
		<-ctx.Done()
		return fmt.Errorf("operation error DynamoDB: UpdateItem: %w", ctx.Err())
	}
	return s.Store.Set(ctx, consumer, shard, owner, seq)
}

// TestHangingCheckpointEndsTheLeaseInTime: a Checkpoint whose write hangs
// holds the lease's lock, so the renewal waits behind it; the worker must
// still stop LeaseTTL/6 before the lease ends (and give it back), before
// another owner can take the shard. Each attempt of the write used to get LeaseTTL/3 whatever
// the lease's deadline, and the last one outlived the lease: a second
// owner read the shard while the first still processed it.
func TestHangingCheckpointEndsTheLeaseInTime(t *testing.T) {
	e := newEnv(t, 1)
	e.put(t, 10, spread)
	hs := &hangingSet{Store: e.store}
	cfg := e.config("c")
	cfg.Drain = false
	cfg.Owner = "A"
	cfg.LeaseTTL = 6 * time.Second // attempts of LeaseTTL/3 = 2s: three outlast the lease
	cfg.Checkpoints = hs
	var stoppedAt atomic.Pointer[time.Time]
	started := make(chan struct{})
	var once sync.Once
	process := func(ctx context.Context, shard string, b stream.Batch) (string, error) {
		first := false
		once.Do(func() { first = true })
		if !first {
			return b.Records[len(b.Records)-1].SequenceNumber, nil
		}
		context.AfterFunc(ctx, func() { now := time.Now(); stoppedAt.Store(&now) })
		close(started)
		hs.hang.Store(true)
		// The first window acknowledged, as the forwarder checkpoints it.
		if err := Checkpoint(ctx, b.Records[0].SequenceNumber); err == nil {
			t.Error("a checkpoint whose write hung was accepted")
		}
		<-ctx.Done()
		return "", ctx.Err()
	}
	cancel, done := runAsync(cfg, process)
	defer cancel()
	<-started
	// Another host takes the shard as soon as the store lets it.
	var takenAt time.Time
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, err := e.store.Acquire(context.Background(), "c", "shardId-000000000000", "B", time.Minute); err == nil {
			takenAt = time.Now()
			break
		}
	}
	hs.hang.Store(false)
	cancel()
	wait(t, done)
	switch at := stoppedAt.Load(); {
	case takenAt.IsZero():
		t.Fatal("B never got the lease")
	case at == nil || at.After(takenAt):
		t.Fatal("B took the lease while A was still processing the shard")
	}
}

// TestMissingCheckpointTableFailsRun: a checkpoints table that does not
// exist (here on dynalite) fails Run at once with checkpoint.ErrUnusable,
// naming the table, instead of being retried until the process ends.
func TestMissingCheckpointTableFailsRun(t *testing.T) {
	testenv.DynamoDB(t)
	table := fmt.Sprintf("elbstream-test-missing-%08x", rand.Uint32())
	store, err := cpdynamodb.New(dynamodb.NewFromConfig(testenv.AWSConfig(t)), table, cpdynamodb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, 1)
	e.put(t, 5, spread)
	cfg := e.config("c")
	cfg.Checkpoints = store
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = Run(ctx, cfg, newRecorder().process)
	if !errors.Is(err, checkpoint.ErrUnusable) || ctx.Err() != nil {
		t.Fatalf("Run = %v (ctx %v), want checkpoint.ErrUnusable before the context ends", err, ctx.Err())
	}
	t.Log(err)
}

// refusingStore answers listings but refuses every Set for good, as a
// store whose policy lacks dynamodb:UpdateItem does.
type refusingStore struct{ checkpoint.Store }

func (s refusingStore) Set(ctx context.Context, consumer, shard, owner, seq string) error {
	return fmt.Errorf("set %s/%s: %w: AccessDeniedException", consumer, shard, checkpoint.ErrUnusable)
}

// TestStoreRefusingCheckpointsFailsRun: a Set refused for good fails Run
// at once, instead of dropping the shard at each lease's end and taking
// it again for ever.
func TestStoreRefusingCheckpointsFailsRun(t *testing.T) {
	e := newEnv(t, 1)
	e.put(t, 5, spread)
	cfg := e.config("c")
	cfg.Checkpoints = refusingStore{e.store}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := Run(ctx, cfg, newRecorder().process)
	if !errors.Is(err, checkpoint.ErrUnusable) || ctx.Err() != nil {
		t.Fatalf("Run = %v (ctx %v), want checkpoint.ErrUnusable before the context ends", err, ctx.Err())
	}
}

// TestProcessFailureOutlivesAFailingCheckpoint: process finishes part of
// a batch and then fails for good while the store is in a brownout. The
// process's error ends Run; the failed checkpoint must not turn it into a
// dropped lease, taken again and failed again for as long as the
// brownout lasts.
func TestProcessFailureOutlivesAFailingCheckpoint(t *testing.T) {
	e := newEnv(t, 1)
	e.put(t, 5, spread)
	cfg := e.config("c")
	bs := &brownoutStore{Store: e.store, until: time.Now().Add(time.Hour)}
	cfg.Checkpoints = bs
	sinkDown := errors.New("the sink refuses for good")
	calls := 0
	process := func(ctx context.Context, shard string, b stream.Batch) (string, error) {
		calls++
		return b.Records[0].SequenceNumber, sinkDown
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := Run(ctx, cfg, process)
	if !errors.Is(err, sinkDown) || ctx.Err() != nil {
		t.Fatalf("Run = %v (ctx %v) after %d calls, want the process's error before the context ends", err, ctx.Err(), calls)
	}
	if calls != 1 {
		t.Fatalf("process called %d times, want once: the shard was taken again after the failure", calls)
	}
}

// grantOnceStore lets the first Acquire through, then refuses every
// Acquire for good: the lease's renewal, or taking a shard at all.
type grantOnceStore struct {
	checkpoint.Store
	mu      sync.Mutex
	granted bool
}

func (s *grantOnceStore) Acquire(ctx context.Context, consumer, shard, owner string, ttl time.Duration) (checkpoint.Checkpoint, error) {
	s.mu.Lock()
	first := !s.granted
	s.granted = true
	s.mu.Unlock()
	if first {
		return s.Store.Acquire(ctx, consumer, shard, owner, ttl)
	}
	return checkpoint.Checkpoint{}, fmt.Errorf("acquire %s/%s: %w: AccessDeniedException", consumer, shard, checkpoint.ErrUnusable)
}

// TestStoreRefusingLeasesFailsRun: a lease refused for good fails Run,
// whether it is a renewal (one shard: its lease was granted, the renewal
// 1 s later is refused) or taking a further shard (two shards), instead of
// being retried and the shard taken again for ever.
func TestStoreRefusingLeasesFailsRun(t *testing.T) {
	for _, shards := range []int{1, 2} {
		t.Run(fmt.Sprintf("%dshards", shards), func(t *testing.T) {
			e := newEnv(t, shards)
			e.put(t, 5, spread)
			cfg := e.config("c")
			cfg.Drain = false
			cfg.Checkpoints = &grantOnceStore{Store: e.store}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := Run(ctx, cfg, newRecorder().process)
			if !errors.Is(err, checkpoint.ErrUnusable) || ctx.Err() != nil {
				t.Fatalf("Run = %v (ctx %v), want checkpoint.ErrUnusable before the context ends", err, ctx.Err())
			}
			t.Log(err)
		})
	}
}
