package transform

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/transform/elblog"
)

// Config configures a Stage. Only Sink is required.
type Config struct {
	// Sink is the events stream.
	Sink stream.Stream
	// Encoder is the template of the encoders the stage's workers use
	// (format, schema, static fields); each worker uses its own copy.
	// Default: the zero elblog.Encoder.
	Encoder elblog.Encoder
	// BufferBytes bounds the events held for one PutRecords call, and so
	// the stage's memory per batch in progress. It is clamped between the
	// sink's MaxRecordBytes and MaxPutBytes.
	// Default: Sink.Limits().MaxPutBytes (5 MiB on Kinesis).
	BufferBytes int
	// MinBackoff is the wait before the first retry; each further round
	// doubles it, up to MaxBackoff, with jitter. Default: 100ms.
	MinBackoff time.Duration
	// MaxBackoff caps the wait between retries. Default: 5s.
	MaxBackoff time.Duration
	// Stats receives the counters. Default: a new Stats (see Stage.Stats).
	Stats *Stats
}

// Stage turns batches of raw records into events on the events stream. It
// is safe for concurrent use: each Process call works with its own
// buffers, taken from a free list.
type Stage struct {
	cfg    Config
	limits stream.Limits
	stats  *Stats

	mu   sync.Mutex
	free []*worker
}

// New returns a Stage writing to cfg.Sink.
func New(cfg Config) (*Stage, error) {
	if cfg.Sink == nil {
		return nil, errors.New("transform: no events stream")
	}
	if err := checkEncoder(&cfg.Encoder); err != nil {
		return nil, fmt.Errorf("transform: %w", err)
	}
	s := &Stage{cfg: cfg, limits: cfg.Sink.Limits(), stats: cfg.Stats}
	if s.stats == nil {
		s.stats = new(Stats)
	}
	d := stream.DefaultLimits()
	if s.limits.MaxRecordBytes <= 0 {
		s.limits.MaxRecordBytes = d.MaxRecordBytes
	}
	if s.limits.MaxPutEntries <= 0 {
		s.limits.MaxPutEntries = d.MaxPutEntries
	}
	if s.limits.MaxPutBytes <= 0 {
		s.limits.MaxPutBytes = max(d.MaxPutBytes, s.limits.MaxRecordBytes)
	}
	return s, nil
}

// Stats returns the stage's counters.
func (s *Stage) Stats() *Stats { return s.stats }

func (s *Stage) bufferBytes() int {
	b := s.cfg.BufferBytes
	if b <= 0 {
		b = s.limits.MaxPutBytes
	}
	return min(max(b, s.limits.MaxRecordBytes), s.limits.MaxPutBytes)
}

func (s *Stage) minBackoff() time.Duration {
	if s.cfg.MinBackoff > 0 {
		return s.cfg.MinBackoff
	}
	return 100 * time.Millisecond
}

func (s *Stage) maxBackoff() time.Duration {
	if s.cfg.MaxBackoff > 0 {
		return s.cfg.MaxBackoff
	}
	return 5 * time.Second
}

// Process turns records, read in order from one shard, into events on the
// events stream. It returns how many leading records are done — every
// event made from them was accepted — and, when that is not all of them,
// why. Events of records after the done ones may have been put too: a
// retry puts them again (see the package's delivery guarantee).
//
// Process does not retain records or their data after it returns.
func (s *Stage) Process(ctx context.Context, records []stream.Record) (done int, err error) {
	return s.process(ctx, records, time.Time{})
}

// ProcessBatch is Process for stream/consumer: it returns the sequence
// number of the last done record ("" if none).
func (s *Stage) ProcessBatch(ctx context.Context, shardID string, b stream.Batch) (string, error) {
	n, err := s.Process(ctx, b.Records)
	if err != nil {
		err = fmt.Errorf("transform: shard %s: %w", shardID, err)
	}
	if n == 0 {
		return "", err
	}
	return b.Records[n-1].SequenceNumber, err
}

// process is Process that starts no new record once stopAt (if not zero)
// has passed; it then puts what it has and returns errStopped.
func (s *Stage) process(ctx context.Context, records []stream.Record, stopAt time.Time) (int, error) {
	w := s.worker()
	defer s.release(w)
	for i := range records {
		if err := ctx.Err(); err != nil {
			return w.finish(ctx, i, err)
		}
		if !stopAt.IsZero() && !time.Now().Before(stopAt) {
			return w.finish(ctx, i, errStopped)
		}
		if err := w.record(ctx, i, &records[i]); err != nil {
			return w.done, err
		}
	}
	return w.finish(ctx, len(records), nil)
}

func (s *Stage) worker() *worker {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.free); n > 0 {
		w := s.free[n-1]
		s.free = s.free[:n-1]
		return w
	}
	w := &worker{stage: s, le: *newLineEncoder(&s.cfg.Encoder)}
	w.agg.MaxBytes = s.limits.MaxRecordBytes
	return w
}

func (s *Stage) release(w *worker) {
	w.reset()
	s.mu.Lock()
	s.free = append(s.free, w)
	s.mu.Unlock()
}
