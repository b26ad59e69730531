package forward

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/consumer"
)

// Forwarder is the long-running delivery loop: it reads every shard of a
// stream with consumer.Run and delivers each batch through the output,
// checkpointing what was acknowledged.
type Forwarder struct {
	core *core
}

// New returns a forwarder that delivers through out. m and log may be nil.
func New(out Sender, cfg Config, m *Metrics, log *slog.Logger) *Forwarder {
	return &Forwarder{core: newCore(out, cfg, m, log)}
}

// Metrics returns the forwarder's counters.
func (f *Forwarder) Metrics() *Metrics { return f.core.metrics }

// Run delivers the stream cc names until ctx is cancelled, or, with
// cc.Drain, until every shard is delivered and checkpointed to its tip.
// Shards without a checkpoint start at cc.StartAt; under a new cc.Consumer
// name that is how a range is replayed without moving the live consumer's
// checkpoints.
//
// When ctx is cancelled each shard finishes the window in hand (within
// cc.ShutdownGrace), the consumer checkpoints the records it completed,
// and Run returns nil; or, when the grace ran out first or the checkpoint
// could not be written, an error wrapping consumer.ErrUnfinished. cc.Observe, if set, is called after the forwarder
// has recorded the batch's lag.
func (f *Forwarder) Run(ctx context.Context, cc consumer.Config) error {
	observe := cc.Observe
	cc.Observe = func(shardID string, b stream.Batch) {
		f.core.metrics.setBehind(shardID, b.BehindTip)
		if observe != nil {
			observe(shardID, b)
		}
	}
	released := cc.Released
	cc.Released = func(shardID string) {
		f.core.metrics.forgetBehind(shardID)
		if released != nil {
			released(shardID)
		}
	}
	stop := ctx.Done()
	return consumer.Run(ctx, cc, func(pctx context.Context, shardID string, b stream.Batch) (string, error) {
		return f.process(pctx, stop, shardID, b)
	})
}

// process is the consumer.ProcessFunc: deliver one batch of one shard and
// return the last record whose events were all acknowledged. While the
// batch is being delivered it checkpoints the acknowledged prefix (every
// window, or at most every Config.CheckpointInterval), so a crash
// re-delivers only what was in flight. It returns early, with no error,
// when Run is stopping: the consumer checkpoints what is done.
func (f *Forwarder) process(ctx context.Context, stop <-chan struct{}, shardID string, b stream.Batch) (string, error) {
	recs := streamRecords(b.Records)
	metrics := f.core.metrics
	metrics.setOldest(shardID, b.Records[0].ArrivalTime)
	defer metrics.setOldest(shardID, time.Time{})
	interval := f.core.cfg.CheckpointInterval
	// The consumer checkpointed the previous batch's end (or took the
	// lease) just before this batch: the interval counts from here.
	last := time.Now()
	acked, err := f.core.deliver(ctx, recs, delivery{
		shardID: shardID,
		retry:   true,
		stop:    stop,
		progress: func(acked int) error {
			if acked < len(recs) {
				metrics.setOldest(shardID, b.Records[acked].ArrivalTime)
			}
			// The consumer checkpoints the end of the batch itself.
			if interval < 0 || acked == len(recs) || time.Since(last) < interval {
				return nil
			}
			last = time.Now()
			if err := consumer.Checkpoint(ctx, recs.Sequence(acked-1)); err != nil {
				return err
			}
			f.core.metrics.checkpoints.Add(1)
			return nil
		},
	})
	done := ""
	if acked > 0 {
		done = recs.Sequence(acked - 1)
	}
	if errors.Is(err, errStopped) && done != "" {
		return done, nil
	}
	return done, err
}

// streamRecords adapts a batch's records to the records interface.
type streamRecords []stream.Record

func (r streamRecords) Len() int              { return len(r) }
func (r streamRecords) Data(i int) []byte     { return r[i].Data }
func (r streamRecords) Sequence(i int) string { return r[i].SequenceNumber }
