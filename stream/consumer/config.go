package consumer

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"time"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/checkpoint"
)

// Config configures Run. Stream, Checkpoints, Consumer are required; every
// other field's zero value works.
type Config struct {
	Stream      stream.Stream
	Checkpoints checkpoint.Store
	// Consumer names the consumer: checkpoints are kept per consumer, so
	// two names read the same stream independently.
	Consumer string
	// Owner is the lease owner id. Default: hostname-pid-random
	Owner string
	// StartAt is where shards with no checkpoint start. Default: TrimHorizon.
	// Latest means what is written from the time Run starts, on every
	// shard: it is resolved to that time (stream.Since), so that a child
	// shard a split or merge opens later is read from its first record,
	// not from whatever it holds when this consumer gets to it.
	StartAt stream.Position
	// Drain makes Run return nil once every shard is read to its tip (or
	// end) and everything read was processed and checkpointed.
	Drain bool
	// LeaseTTL is how long a shard's lease lasts without renewal; it is
	// renewed every LeaseTTL/3. Default: 30s
	LeaseTTL time.Duration
	// PollInterval is the wait before reading a shard again after an
	// empty batch at its tip. Default: 1s
	PollInterval time.Duration
	// MaxRecords bounds one batch. Default: 10000
	MaxRecords int
	// ShutdownGrace is how long, after ctx is cancelled, the batch in hand
	// may take to finish and be checkpointed. Default: 30s
	ShutdownGrace time.Duration
	// ListInterval is how often shards and checkpoints are listed to find
	// new shards (resharding) and shards released by other owners. A shard
	// that ends triggers a listing at once. Default: 10s
	ListInterval time.Duration
	// Observe, when set, is called for every batch read, empty ones
	// included (lag, counts), before process. It must not keep b.
	Observe func(shardID string, b stream.Batch)
	// Released, when set, is called when this consumer stops reading a
	// shard while Run goes on: the shard ended, or its lease went to
	// another owner or was rewound. What Observe kept for the shard (its
	// lag, say) is stale from then on, unless the shard is taken again.
	// It is not called for the shards Run stops reading when it returns,
	// nor, with Drain, for those read to their tip: what Observe kept of
	// them is the run's last word.
	Released func(shardID string)
	// Logger receives lease changes and retried failures. Default: none
	Logger *slog.Logger
}

// Defaults.
const (
	DefaultLeaseTTL      = 30 * time.Second
	DefaultShutdownGrace = 30 * time.Second
	DefaultListInterval  = 10 * time.Second
)

// Retry timing of failed checkpoint writes and shard listings: doubling
// from minBackoff up to maxBackoff, with jitter.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// ProcessFunc handles one batch of one shard, in order. It returns the
// sequence number up to which every record is fully processed (normally
// the last record's; "" if none) and an error if it could not finish. The
// consumer checkpoints done (fenced by its lease) before acting on err.
// ctx is NOT cancelled by Run's ctx (shutdown lets the batch in hand
// finish within ShutdownGrace); it is cancelled when the grace ends or the
// shard's lease is lost.
//
// Returning a done before the batch's last record without an error makes
// the consumer read the rest again. Returning "" without an error for a
// non-empty batch is a contract violation that stops Run. A ProcessFunc that
// finishes its batch in pieces may call Checkpoint with ctx after each, so
// that a crash re-delivers only the piece in flight. process is called
// concurrently for different shards, never for one shard at once.
type ProcessFunc func(ctx context.Context, shardID string, b stream.Batch) (done string, err error)

func (c Config) withDefaults() (Config, error) {
	switch {
	case c.Stream == nil:
		return c, fmt.Errorf("consumer: no stream")
	case c.Checkpoints == nil:
		return c, fmt.Errorf("consumer: no checkpoint store")
	case c.Consumer == "":
		return c, fmt.Errorf("consumer: no consumer name")
	}
	if c.Owner == "" {
		host, _ := os.Hostname()
		if host == "" {
			host = "host"
		}
		c.Owner = fmt.Sprintf("%s-%d-%08x", host, os.Getpid(), rand.Uint32())
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = DefaultLeaseTTL
	}
	if c.StartAt.Kind == stream.Latest {
		// A LATEST iterator on a child opened after a reshard would skip
		// everything written to it while the parent was still being read
		// (the KCL starts children at TRIM_HORIZON for the same reason).
		c.StartAt = stream.Since(time.Now())
	}
	if c.PollInterval <= 0 {
		c.PollInterval = stream.DefaultPollInterval
	}
	if c.MaxRecords <= 0 {
		c.MaxRecords = stream.DefaultMaxReadRecords
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = DefaultShutdownGrace
	}
	if c.ListInterval <= 0 {
		c.ListInterval = DefaultListInterval
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// position is where a shard with checkpoint seq starts.
func (c Config) position(seq string) stream.Position {
	switch seq {
	case "":
		return c.StartAt
	case checkpoint.TrimHorizon:
		return stream.Position{Kind: stream.TrimHorizon}
	case checkpoint.Latest:
		return stream.Position{Kind: stream.Latest}
	}
	return stream.After(seq)
}
