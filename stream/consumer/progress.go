package consumer

import (
	"context"
	"errors"
	"fmt"

	"github.com/elbstream/elbstream/stream"
)

// progressKey carries the shard's lease and batch into a ProcessFunc's ctx.
type progressKey struct{}

type progress struct {
	lease *shardLease
	batch *stream.Batch
}

// Checkpoint records seq — a record of the batch in hand — as processed
// now, under the shard's lease, before the ProcessFunc returns. Call it with
// the ctx Run gave the ProcessFunc. A consumer that delivers a large batch
// in pieces (the forwarder, window by window) calls it after each piece is
// acknowledged, so a crash re-delivers only what was in flight, not the
// whole batch.
//
// It fails when ctx is not a ProcessFunc's, when seq is not in the batch,
// and when the lease is lost (the ProcessFunc should then stop).
func Checkpoint(ctx context.Context, seq string) error {
	p, ok := ctx.Value(progressKey{}).(progress)
	if !ok {
		return errors.New("consumer: Checkpoint called outside a ProcessFunc")
	}
	if !inBatch(*p.batch, seq) {
		return fmt.Errorf("consumer: Checkpoint %q: not a record of the batch in hand", seq)
	}
	return p.lease.set(seq)
}

func withProgress(ctx context.Context, l *shardLease, b *stream.Batch) context.Context {
	return context.WithValue(ctx, progressKey{}, progress{lease: l, batch: b})
}
