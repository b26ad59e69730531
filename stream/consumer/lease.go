package consumer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/elbstream/elbstream/internal/backoff"
	"github.com/elbstream/elbstream/stream/checkpoint"
)

// Why a shard's lease ended under a running worker.
var (
	errLeaseLost = errors.New("lease lost")
	errRewound   = errors.New("checkpoint rewound")
	errStoreDown = errors.New("the checkpoint store failed until the lease's end")
	errGraceOver = errors.New("the shutdown grace ran out")
)

// shardLease keeps one shard's lease for a worker: it renews it in the
// background and moves the checkpoint under it. Renewal and Set are
// serialized, so a renewal can tell a Rewind (reported by the store, or a
// stored sequence that is not the one this lease last wrote) from its own
// writes.
type shardLease struct {
	store           checkpoint.Store
	consumer, shard string
	owner           string
	ttl             time.Duration
	log             func(msg string, args ...any)
	ctx             context.Context // outlives Run's ctx by the shutdown grace
	cancel          context.CancelCauseFunc
	mu              sync.Mutex
	seq             string    // the stored sequence as of our last write or acquire
	until           time.Time // lease end as of the last renewal, local clock
	lost            bool      // no more writes: the lease ended or was rewound
}

// newShardLease takes over a lease just acquired at cp; its context, a
// child of parent, is cancelled when the lease is lost.
func newShardLease(parent context.Context, store checkpoint.Store, cp checkpoint.Checkpoint, owner string, ttl time.Duration, acquiredAt time.Time, log func(string, ...any)) *shardLease {
	ctx, cancel := context.WithCancelCause(parent)
	return &shardLease{
		store: store, consumer: cp.Consumer, shard: cp.ShardID, owner: owner, ttl: ttl, log: log,
		ctx: ctx, cancel: cancel, seq: cp.Sequence, until: acquiredAt.Add(ttl),
	}
}

// keep renews the lease every ttl/3 until stop is closed or the lease is
// lost. When renewals fail it gives up ttl/6 before the lease ends, so
// that the worker stops before another owner may take the shard.
func (l *shardLease) keep(stop <-chan struct{}) {
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	for {
		giveUp := time.NewTimer(time.Until(l.deadline()))
		select {
		case <-stop:
			giveUp.Stop()
			return
		case <-l.ctx.Done():
			giveUp.Stop()
			return
		case <-giveUp.C:
			l.drop(fmt.Errorf("%w: not renewed in time", errLeaseLost))
			return
		case <-t.C:
		}
		giveUp.Stop()
		if err := l.renew(); err != nil {
			l.drop(err)
			return
		}
	}
}

// deadline is when the worker must stop if the lease was not renewed:
// ttl/6 before it ends, as headroom for clock skew between hosts.
func (l *shardLease) deadline() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.until.Add(-l.ttl / 6)
}

func (l *shardLease) renew() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost {
		return errLeaseLost
	}
	start := time.Now()
	ctx, cancel := context.WithDeadline(l.ctx, l.until.Add(-l.ttl/6))
	cp, err := l.store.Acquire(ctx, l.consumer, l.shard, l.owner, l.ttl)
	cancel()
	switch {
	case err == nil && (cp.Rewound || cp.Sequence != l.seq):
		// A rewind came, and this renewal has just cleared its fence:
		// stop writing now, under the lock, or a checkpoint waiting for
		// the lock would move the checkpoint forward over the rewind.
		l.lost = true
		return fmt.Errorf("%w from %q to %q", errRewound, l.seq, cp.Sequence)
	case err == nil:
		l.until = start.Add(l.ttl)
		return nil
	case errors.Is(err, checkpoint.ErrLeaseHeld):
		return fmt.Errorf("%w: %w", errLeaseLost, err)
	case errors.Is(err, checkpoint.ErrUnusable):
		return err
	case !time.Now().Before(l.until.Add(-l.ttl / 6)):
		return fmt.Errorf("%w: cannot renew: %w", errLeaseLost, err)
	case l.ctx.Err() != nil:
		return nil // the lease ends with the worker: nothing to warn about
	}
	l.log("consumer: renew lease failed, retrying", "shard", l.shard, "err", err)
	return nil
}

// drop ends the lease for the worker: no more writes, contexts cancelled.
func (l *shardLease) drop(cause error) {
	l.mu.Lock()
	l.lost = true
	l.mu.Unlock()
	l.cancel(cause)
}

// set checkpoints seq, retrying failures that are not fencing with a
// capped backoff while the lease lasts.
func (l *shardLease) set(seq string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for attempt := 1; ; attempt++ {
		if l.lost {
			return fmt.Errorf("consumer: checkpoint %s at %s: %w", l.shard, seq, context.Cause(l.ctx))
		}
		// An attempt ends by the lease's deadline, as a renewal does: the
		// renewal waits for it (they share the lock), and a write still
		// hanging past that point would leave this worker processing when
		// another owner may take the shard.
		wait := min(max(l.ttl/3, time.Second), time.Until(l.until.Add(-l.ttl/6)))
		ctx, cancel := context.WithTimeout(l.ctx, wait)
		err := l.store.Set(ctx, l.consumer, l.shard, l.owner, seq)
		cancel()
		switch {
		case err == nil:
			l.seq = seq
			return nil
		case errors.Is(err, checkpoint.ErrNotOwner):
			l.lost = true
			l.cancel(fmt.Errorf("%w: %w", errLeaseLost, err))
			return fmt.Errorf("consumer: checkpoint %s at %s: %w", l.shard, seq, err)
		case errors.Is(err, checkpoint.ErrBackwards), errors.Is(err, checkpoint.ErrUnusable), l.ctx.Err() != nil:
			// A store that is gone or refuses us will not answer better
			// after the lease is taken again: that ends the consumer.
			return fmt.Errorf("consumer: checkpoint %s at %s: %w", l.shard, seq, err)
		}
		d := backoff.Delay(attempt, minBackoff, maxBackoff)
		if time.Until(l.until)-d < l.ttl/6 {
			// The store kept failing (a brownout) until the lease's end:
			// the shard is dropped, not the consumer; it is taken again
			// once the store answers, from its last checkpoint.
			err = fmt.Errorf("%w: %w: %w", errLeaseLost, errStoreDown, err)
			l.lost = true
			l.cancel(err)
			return fmt.Errorf("consumer: checkpoint %s at %s: %w", l.shard, seq, err)
		}
		l.log("consumer: checkpoint failed, retrying", "shard", l.shard, "err", err)
		if err := backoff.Sleep(l.ctx, d); err != nil {
			return fmt.Errorf("consumer: checkpoint %s at %s: %w", l.shard, seq, err)
		}
	}
}

// release gives the lease back unless it was lost to another owner. It
// waits for a renewal in progress and stops later ones, so that the lease
// is not taken again behind the release.
func (l *shardLease) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lost = true
	ctx, cancel := context.WithTimeout(context.WithoutCancel(l.ctx), 5*time.Second)
	defer cancel()
	err := l.store.Release(ctx, l.consumer, l.shard, l.owner)
	if err != nil && !errors.Is(err, checkpoint.ErrNotOwner) {
		l.log("consumer: release lease failed (it will expire)", "shard", l.shard, "err", err)
	}
	l.cancel(context.Canceled)
}
