package transform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/checkpoint"
	"github.com/elbstream/elbstream/stream/consumer"
)

// DefaultConsumer is the consumer name the transform stage checkpoints
// under unless told otherwise.
const DefaultConsumer = "transform"

// RunConfig configures Stage.Run. From and Checkpoints are required.
type RunConfig struct {
	// From is the raw stream.
	From stream.Stream
	// Checkpoints keeps the raw stream position per shard.
	Checkpoints checkpoint.Store
	// Consumer names the checkpoints. Default: DefaultConsumer.
	Consumer string
	// Owner identifies this process in the shard leases.
	// Default: stream/consumer's (hostname-pid-random).
	Owner string
	// StartAt is where shards without a checkpoint start.
	// Default: TrimHorizon.
	StartAt stream.Position
	// Drain makes Run return nil once every shard is read to its tip (or
	// end), and all of it put and checkpointed.
	Drain bool
	// MaxRecords bounds the raw records of one batch, and so what is in
	// flight per shard. Default: stream/consumer's (10000).
	MaxRecords int
	// PollInterval, LeaseTTL, ShutdownGrace and ListInterval are passed
	// to stream/consumer. Default: its defaults (1s, 30s, 30s, 10s).
	PollInterval  time.Duration
	LeaseTTL      time.Duration
	ShutdownGrace time.Duration
	ListInterval  time.Duration
	// Logger receives the consumer's lease changes and retried failures.
	// Default: none.
	Logger *slog.Logger
}

// Run consumes the raw stream: one worker per shard whose lease it holds,
// children after their parents, each batch transformed by Process and its
// position checkpointed once its events were accepted. It returns nil when
// ctx is cancelled (after finishing and checkpointing the batches in
// hand) or, with Drain, when everything was read, put and checkpointed;
// otherwise the first error that stopped a shard, or one wrapping
// consumer.ErrUnfinished when a stop could not put or checkpoint its
// batches in hand within ShutdownGrace.
func (s *Stage) Run(ctx context.Context, cfg RunConfig) error {
	if cfg.From == nil || cfg.Checkpoints == nil {
		return errors.New("transform: run: the raw stream and the checkpoint store are required")
	}
	name := cfg.Consumer
	if name == "" {
		name = DefaultConsumer
	}
	err := consumer.Run(ctx, consumer.Config{
		Stream:        cfg.From,
		Checkpoints:   cfg.Checkpoints,
		Consumer:      name,
		Owner:         cfg.Owner,
		StartAt:       cfg.StartAt,
		Drain:         cfg.Drain,
		LeaseTTL:      cfg.LeaseTTL,
		PollInterval:  cfg.PollInterval,
		MaxRecords:    cfg.MaxRecords,
		ShutdownGrace: cfg.ShutdownGrace,
		ListInterval:  cfg.ListInterval,
		Logger:        cfg.Logger,
		Observe: func(shardID string, b stream.Batch) {
			s.stats.ObserveLag(shardID, b.BehindTip)
		},
		Released: s.stats.forgetLag,
	}, s.ProcessBatch)
	if err != nil {
		return fmt.Errorf("transform: %w", err)
	}
	return nil
}
