package consumer

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/checkpoint"
)

// TestStopPastTheGraceIsAnError: a stop whose batch in hand cannot finish
// within ShutdownGrace (a sink that never answers) is not a clean stop:
// Run says so, naming the shard, and the checkpoint stays where it was, so
// that the batch is read again.
func TestStopPastTheGraceIsAnError(t *testing.T) {
	e := newEnv(t, 1)
	e.put(t, 10, spread)
	cfg := e.config("c")
	cfg.Drain = false
	cfg.ShutdownGrace = 200 * time.Millisecond
	var inHand atomic.Bool
	hung := func(ctx context.Context, shard string, b stream.Batch) (string, error) {
		inHand.Store(true)
		<-ctx.Done() // the put that never returns, until the grace ends
		return "", ctx.Err()
	}
	cancel, done := runAsync(cfg, hung)
	eventually(t, "a batch in hand", inHand.Load)
	began := time.Now()
	cancel()
	err := wait(t, done)
	if !errors.Is(err, ErrUnfinished) || !strings.Contains(err.Error(), "shardId-000000000000: the shutdown grace ran out (200ms)") {
		t.Errorf("Run = %v, want ErrUnfinished naming the shard and the grace", err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("Run returned %v after the stop, for a grace of 200ms", took)
	}
	cps, lerr := e.store.List(context.Background(), "c")
	if lerr != nil {
		t.Fatal(lerr)
	}
	for _, cp := range cps {
		if cp.Sequence != "" && cp.Sequence != checkpoint.TrimHorizon {
			t.Errorf("checkpoint moved to %s for a batch not finished", cp.Sequence)
		}
	}
}

// failingSet fails every Set, as a store down for good but for reads.
type failingSet struct{ checkpoint.Store }

func (failingSet) Set(context.Context, string, string, string, string) error {
	return errors.New("operation error DynamoDB: UpdateItem, https response error StatusCode: 503, ServiceUnavailable")
}

// TestStopWithTheStoreDownIsAnError: a stop whose checkpoint of the batch
// in hand fails until the lease ends is not a clean stop either.
func TestStopWithTheStoreDownIsAnError(t *testing.T) {
	e := newEnv(t, 1)
	e.put(t, 10, spread)
	cfg := e.config("c")
	cfg.Drain = false
	cfg.Checkpoints = failingSet{e.store}
	var processed atomic.Bool
	cancel, done := runAsync(cfg, func(ctx context.Context, shard string, b stream.Batch) (string, error) {
		processed.Store(true)
		return b.Records[len(b.Records)-1].SequenceNumber, nil
	})
	eventually(t, "a batch processed", processed.Load)
	cancel()
	err := wait(t, done)
	if !errors.Is(err, ErrUnfinished) || !strings.Contains(err.Error(), "the checkpoint store failed until the lease's end") {
		t.Errorf("Run = %v, want ErrUnfinished, the store failing", err)
	}
}

// TestCleanStopIsNil: a stop whose batches finish and are checkpointed in
// time returns nil (the two tests above are not passing for any stop).
func TestCleanStopIsNil(t *testing.T) {
	e := newEnv(t, 2)
	e.put(t, 50, spread)
	cfg := e.config("c")
	cfg.Drain = false
	rec := newRecorder()
	cancel, done := runAsync(cfg, rec.process)
	eventually(t, "every record processed", func() bool { return rec.total() == 50 })
	cancel()
	if err := wait(t, done); err != nil {
		t.Errorf("Run = %v after a clean stop", err)
	}
}
