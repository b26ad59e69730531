package consumer

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/checkpoint"
)

// outcome is how a shard worker ended.
type outcome int

const (
	stopped    outcome = iota // Run is shutting down, or a fatal error elsewhere
	ended                     // the shard was read to its end: SHARD_END is set
	atTip                     // Drain: read to the tip, all of it checkpointed
	dropped                   // the lease was lost or the checkpoint rewound
	gone                      // the shard passed retention
	unfinished                // stopping: the grace ran out with a batch in hand
	failed                    // err says why; Run stops
)

type result struct {
	shard   string
	outcome outcome
	err     error
}

// shardWorker reads one shard under its lease.
type shardWorker struct {
	cfg     *Config
	process ProcessFunc
	lease   *shardLease
	shard   string
	closed  bool // the listing showed the shard closed: it has an end, not a tip
	from    stream.Position
}

// run reads and processes the shard until it ends, Run stops (readCtx is
// done), the lease is lost, or something fails. It always releases the
// lease on return.
func (w *shardWorker) run(readCtx context.Context) (res result) {
	res.shard = w.shard
	stop := make(chan struct{})
	go w.lease.keep(stop)
	defer func() {
		close(stop)
		w.lease.release()
	}()

	// Reading stops with Run or with the lease.
	readCtx, cancel := context.WithCancel(readCtx)
	defer cancel()
	unwatch := context.AfterFunc(w.lease.ctx, cancel)
	defer unwatch()

	r := w.newReader(w.from)
	for {
		b, err := r.Next(readCtx)
		if err != nil {
			return w.readFailed(readCtx, err)
		}
		if w.cfg.Observe != nil {
			w.cfg.Observe(w.shard, b)
		}
		if n := len(b.Records); n > 0 {
			done, err := w.process(withProgress(w.lease.ctx, w.lease, &b), w.shard, b)
			if res, stop := w.checkpoint(b, done, err); stop {
				return res
			}
			if done != b.Records[n-1].SequenceNumber {
				// process finished only part of the batch: read the rest
				// again, after what it did finish.
				r = w.newReader(stream.After(done))
				continue
			}
		}
		switch {
		case b.EndOfShard:
			if err := w.lease.set(checkpoint.ShardEnd); err != nil {
				return w.setFailed(err)
			}
			return result{shard: w.shard, outcome: ended}
		case w.cfg.Drain && len(b.Records) == 0 && b.BehindTip == 0 && !w.closed:
			// A closed shard is read on to its end, for SHARD_END: a
			// stream may answer an empty page, 0 ms behind, before it
			// says the shard ended (kinesalite does, for a shard whose
			// last record is older than the reshard), and a drain that
			// took that for the tip would never reach the children.
			return result{shard: w.shard, outcome: atTip}
		case readCtx.Err() != nil:
			return w.interrupted()
		}
	}
}

func (w *shardWorker) newReader(from stream.Position) *stream.Reader {
	return &stream.Reader{
		Stream:       w.cfg.Stream,
		ShardID:      w.shard,
		From:         from,
		MaxRecords:   w.cfg.MaxRecords,
		PollInterval: w.cfg.PollInterval,
	}
}

// checkpoint records what process did with b; stop reports that the
// worker must end with res.
func (w *shardWorker) checkpoint(b stream.Batch, done string, perr error) (res result, stop bool) {
	if done == "" && perr == nil {
		return w.fail(fmt.Errorf("consumer: process %s returned no progress and no error for %d records", w.shard, len(b.Records))), true
	}
	if done != "" {
		if !inBatch(b, done) {
			return w.fail(fmt.Errorf("consumer: process %s returned done %q, which is not in the batch", w.shard, done)), true
		}
		if err := w.lease.set(done); err != nil {
			if perr != nil && !isCancel(perr) && !isLeaseEnd(perr) {
				// process failed for good: that ends the consumer, whether
				// or not what it did finish could be checkpointed.
				return w.fail(fmt.Errorf("consumer: process %s: %w (and %w)", w.shard, perr, err)), true
			}
			return w.setFailed(err), true
		}
	}
	if perr == nil {
		return result{}, false
	}
	if w.lease.ctx.Err() != nil && (isCancel(perr) || isLeaseEnd(perr)) {
		// process gave up because the grace ended or the lease went (a
		// Checkpoint it made was refused, as after a rewind): what it
		// finished is checkpointed, the rest will be read again.
		return w.interrupted(), true
	}
	return w.fail(fmt.Errorf("consumer: process %s: %w", w.shard, perr)), true
}

// isLeaseEnd reports an error that says the lease ended under the worker:
// lost to another owner, rewound, or fenced by the store.
func isLeaseEnd(err error) bool {
	return errors.Is(err, errLeaseLost) || errors.Is(err, errRewound) || errors.Is(err, checkpoint.ErrNotOwner)
}

func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func inBatch(b stream.Batch, seq string) bool {
	for i := len(b.Records) - 1; i >= 0; i-- {
		if b.Records[i].SequenceNumber == seq {
			return true
		}
	}
	return false
}

func (w *shardWorker) readFailed(readCtx context.Context, err error) result {
	switch {
	case readCtx.Err() != nil:
		return w.interrupted()
	case errors.Is(err, io.EOF):
		// Only after EndOfShard, which returns before reading again.
		return w.fail(fmt.Errorf("consumer: read %s: unexpected end: %w", w.shard, err))
	case errors.Is(err, stream.ErrShardNotFound):
		w.cfg.Logger.Warn("consumer: shard gone (past retention?)", "shard", w.shard, "err", err)
		return result{shard: w.shard, outcome: gone}
	}
	return w.fail(fmt.Errorf("consumer: %w", err))
}

func (w *shardWorker) setFailed(err error) result {
	if isLeaseEnd(err) {
		w.cfg.Logger.Info("consumer: lease lost", "shard", w.shard, "err", err)
		return result{shard: w.shard, outcome: dropped, err: err}
	}
	if w.lease.ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return w.interrupted()
	}
	return w.fail(err)
}

// interrupted is the outcome when reading stopped from outside: Run's
// shutdown, the grace, or the lease.
func (w *shardWorker) interrupted() result {
	if cause := context.Cause(w.lease.ctx); errors.Is(cause, errGraceOver) {
		return result{shard: w.shard, outcome: unfinished, err: cause}
	} else if errors.Is(cause, errLeaseLost) || errors.Is(cause, errRewound) {
		w.cfg.Logger.Info("consumer: lease lost", "shard", w.shard, "err", cause)
		return result{shard: w.shard, outcome: dropped, err: cause}
	} else if errors.Is(cause, checkpoint.ErrUnusable) {
		return w.fail(fmt.Errorf("consumer: renew lease of %s: %w", w.shard, cause))
	}
	return result{shard: w.shard, outcome: stopped}
}

func (w *shardWorker) fail(err error) result {
	return result{shard: w.shard, outcome: failed, err: err}
}
