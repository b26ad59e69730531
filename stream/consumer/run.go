package consumer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/elbstream/elbstream/internal/backoff"
	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/checkpoint"
)

// ErrUnfinished is wrapped in Run's error when a stop could not finish the
// batches in hand within ShutdownGrace, or checkpoint them.
var ErrUnfinished = errors.New("stopped with batches not finished or not checkpointed")

// Run reads every shard (children after parents, one goroutine per shard
// it holds the lease of), calls process per batch, checkpoints, marks
// finished shards SHARD_END. It returns nil when ctx is cancelled (after
// finishing and checkpointing the batches in hand), nil when Drain is set
// and all is drained, or the first fatal error (after the other shards
// finished their batches in hand). A stop that could not finish a batch in
// hand within ShutdownGrace, or checkpoint it, returns an error wrapping
// ErrUnfinished that names the shards: nothing is lost, their batches are
// read again from the last checkpoint.
func Run(ctx context.Context, cfg Config, process ProcessFunc) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	c := newCoordinator(ctx, &cfg, process)
	return c.run(ctx)
}

// coordinator lists shards and checkpoints, starts a worker for each ready
// shard whose lease it gets, and collects the workers' results.
type coordinator struct {
	cfg     *Config
	process ProcessFunc

	readCtx    context.Context // cancelled by Run's ctx or a fatal error
	stopRead   context.CancelFunc
	procCtx    context.Context // detached from Run's ctx; ends ShutdownGrace after readCtx
	stopGrace  func() bool
	cancelProc context.CancelCauseFunc

	wg      sync.WaitGroup
	results chan result
	running map[string]bool
	drained map[string]bool // Drain: shards read to their tip in this Run
	failure error
	// unfinished lists the shards a stop left with a batch not finished
	// or not checkpointed (the grace ran out, the store failed).
	unfinished []string
}

func newCoordinator(ctx context.Context, cfg *Config, process ProcessFunc) *coordinator {
	c := &coordinator{
		cfg: cfg, process: process,
		results: make(chan result),
		running: map[string]bool{},
		drained: map[string]bool{},
	}
	c.readCtx, c.stopRead = context.WithCancel(ctx)
	c.procCtx, c.cancelProc = context.WithCancelCause(context.WithoutCancel(ctx))
	// Once reading stops, batches in hand get ShutdownGrace to finish.
	c.stopGrace = context.AfterFunc(c.readCtx, func() {
		t := time.AfterFunc(cfg.ShutdownGrace, func() {
			c.cancelProc(fmt.Errorf("%w (%v)", errGraceOver, cfg.ShutdownGrace))
		})
		context.AfterFunc(c.procCtx, func() { t.Stop() })
	})
	return c
}

func (c *coordinator) run(ctx context.Context) error {
	defer c.cancelProc(nil)
	defer c.stopGrace()
	log := c.cfg.Logger
	log.Info("consumer: start", "consumer", c.cfg.Consumer, "owner", c.cfg.Owner)

	listFailures := 0
loop:
	for c.readCtx.Err() == nil {
		wait := c.cfg.ListInterval
		ready, err := c.readyShards()
		switch {
		case err != nil && isFatalListError(err):
			c.fail(err)
			continue
		case err != nil:
			listFailures++
			wait = min(wait, backoff.Delay(listFailures, minBackoff, maxBackoff))
			log.Warn("consumer: list shards failed, retrying", "err", err, "in", wait)
		default:
			listFailures = 0
			c.startWorkers(ready)
			if c.cfg.Drain && c.drainedAll(ready) {
				log.Info("consumer: drained", "consumer", c.cfg.Consumer)
				break loop
			}
		}
		if !c.await(wait) {
			break loop
		}
	}
	c.stopRead()
	for len(c.running) > 0 {
		c.collect(<-c.results)
	}
	c.wg.Wait()
	if c.failure != nil {
		return c.failure
	}
	if len(c.unfinished) > 0 {
		return fmt.Errorf("consumer: %w: %s; they are read again from their last checkpoint (nothing is lost)",
			ErrUnfinished, strings.Join(c.unfinished, "; "))
	}
	return nil
}

// await waits for the next listing: d, or a worker's end that calls for
// one (a shard ended or drained), or Run's end. It returns false when
// reading has stopped.
func (c *coordinator) await(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-c.readCtx.Done():
			return false
		case <-t.C:
			return true
		case r := <-c.results:
			if c.collect(r) {
				return c.readCtx.Err() == nil
			}
		}
	}
}

// collect handles a worker's result and reports whether it calls for a
// listing now.
func (c *coordinator) collect(r result) (relist bool) {
	delete(c.running, r.shard)
	if c.cfg.Released != nil && c.readCtx.Err() == nil && r.outcome != atTip {
		c.cfg.Released(r.shard)
	}
	switch r.outcome {
	case failed:
		c.fail(r.err)
	case unfinished:
		c.unfinished = append(c.unfinished, fmt.Sprintf("%s: %v", r.shard, r.err))
	case ended, gone:
		return true
	case atTip:
		c.drained[r.shard] = true
		return true
	case dropped:
		if c.readCtx.Err() != nil && errors.Is(r.err, errStoreDown) {
			// Stopping: the batch in hand is not checkpointed, and no
			// later listing takes the shard again.
			c.unfinished = append(c.unfinished, fmt.Sprintf("%s: %v", r.shard, r.err))
			return false
		}
		// After a rewind the shard is taken again at once, from the new
		// position; a lease lost to another owner (or to a store that
		// failed) waits for the next listing.
		return errors.Is(r.err, errRewound) || errors.Is(r.err, checkpoint.ErrRewound)
	}
	return false
}

func (c *coordinator) fail(err error) {
	if c.failure == nil {
		c.failure = err
		c.cfg.Logger.Error("consumer: stopping", "err", err)
	}
	c.stopRead()
}

// readyShards lists what may be read now, with each shard's checkpoint.
func (c *coordinator) readyShards() ([]stream.Shard, error) {
	ctx, cancel := context.WithTimeout(c.readCtx, max(c.cfg.ListInterval, 30*time.Second))
	defer cancel()
	shards, err := c.cfg.Stream.Shards(ctx)
	if err != nil {
		err = fmt.Errorf("consumer: list shards: %w", err)
		if !stream.IsRetryable(err) && ctx.Err() == nil {
			// The stream's answer is final (no such stream, access
			// denied, a local stream's store broken), as the shard
			// reader takes it too. A listing cut by its own timeout is
			// not: it is tried again.
			return nil, finalListError{err}
		}
		return nil, err
	}
	cps, err := c.cfg.Checkpoints.List(ctx, c.cfg.Consumer)
	if err != nil {
		return nil, fmt.Errorf("consumer: list checkpoints: %w", err)
	}
	finished := make(map[string]bool, len(cps))
	for _, cp := range cps {
		if cp.Finished() {
			finished[cp.ShardID] = true
		}
	}
	return stream.Ready(shards, func(id string) bool { return finished[id] }), nil
}

// finalListError is a listing of the stream that failed for good.
type finalListError struct{ error }

func (e finalListError) Unwrap() error { return e.error }

// isFatalListError: a stream that does not exist or refuses us, or a
// checkpoint store that does, will not come right by retrying; everything
// else (throttling, network, a store's brownout) might pass.
func isFatalListError(err error) bool {
	return errors.As(err, new(finalListError)) || errors.Is(err, checkpoint.ErrUnusable)
}

// drainedAll reports that every ready shard was read to its tip in this
// Run and no worker is still reading.
func (c *coordinator) drainedAll(ready []stream.Shard) bool {
	if len(c.running) > 0 {
		return false
	}
	for _, s := range ready {
		if !c.drained[s.ID] {
			return false
		}
	}
	return true
}

// startWorkers takes the lease of every ready shard not read yet and
// starts its worker. A lease held by another owner is left alone.
func (c *coordinator) startWorkers(ready []stream.Shard) {
	for _, s := range ready {
		if c.drained[s.ID] && s.Closed() {
			// Drained while open, closed since by a reshard: it is read
			// on to its end, or its children would never be ready.
			delete(c.drained, s.ID)
		}
		if c.running[s.ID] || c.drained[s.ID] || c.readCtx.Err() != nil {
			continue
		}
		start := time.Now()
		ctx, cancel := context.WithTimeout(c.readCtx, max(c.cfg.LeaseTTL/3, time.Second))
		cp, err := c.cfg.Checkpoints.Acquire(ctx, c.cfg.Consumer, s.ID, c.cfg.Owner, c.cfg.LeaseTTL)
		cancel()
		switch {
		case errors.Is(err, checkpoint.ErrLeaseHeld):
			continue
		case errors.Is(err, checkpoint.ErrUnusable):
			c.fail(fmt.Errorf("consumer: acquire lease of %s: %w", s.ID, err))
			return
		case err != nil:
			c.cfg.Logger.Warn("consumer: acquire lease failed", "shard", s.ID, "err", err)
			continue
		}
		lease := newShardLease(c.procCtx, c.cfg.Checkpoints, cp, c.cfg.Owner, c.cfg.LeaseTTL, start,
			func(msg string, args ...any) { c.cfg.Logger.Warn(msg, args...) })
		if cp.Finished() { // finished between the listing and now
			lease.release()
			continue
		}
		c.cfg.Logger.Info("consumer: lease acquired", "shard", s.ID, "checkpoint", cp.Sequence)
		w := &shardWorker{cfg: c.cfg, process: c.process, lease: lease, shard: s.ID, closed: s.Closed(), from: c.cfg.position(cp.Sequence)}
		c.running[s.ID] = true
		c.wg.Go(func() { c.results <- w.run(c.readCtx) })
	}
}
