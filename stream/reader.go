package stream

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/elbstream/elbstream/internal/backoff"
)

// Reader defaults.
const (
	DefaultPollInterval = time.Second
	DefaultMaxBackoff   = 5 * time.Second

	// minBackoff is the first retry's backoff; each retry doubles it up to
	// MaxBackoff.
	minBackoff = 100 * time.Millisecond
	// behindPoll is the wait after an empty batch that is still behind the
	// tip. Kinesis may answer a shard with empty batches while it skips
	// stretches that hold no records; those are not the tip, so the reader
	// asks again soon, but no sooner than the 5 GetRecords per second a
	// shard allows.
	behindPoll = 200 * time.Millisecond
)

// Reader iterates one shard for a consumer. Not safe for concurrent use.
//
// The zero value of every field but Stream and ShardID works. A Reader
// holds one Iterator, opened on the first Next; it keeps the sequence number
// of the last record it returned so that it can re-open the shard just
// after it when the iterator expires, and retries throttling and transient
// failures with a capped, jittered backoff. Nothing is ever skipped: a
// failure that cannot be retried is returned, and the next call to Next
// resumes from the same place.
type Reader struct {
	Stream  Stream
	ShardID string
	// From is where to start. Default: TrimHorizon.
	From Position
	// MaxRecords bounds one batch. Default: 10000.
	MaxRecords int
	// PollInterval is the wait before asking again after an empty batch at
	// the tip of the shard. Default: 1s.
	PollInterval time.Duration
	// MaxBackoff caps the jittered retry backoff. Default: 5s.
	MaxBackoff time.Duration

	it      Iterator
	last    string
	eof     bool
	idle    time.Duration // wait owed before the next call; set by an empty batch
	idleAt  time.Time     // when that empty batch came
	retries int

	// wait sleeps for d or until ctx is done. Tests replace it.
	wait func(ctx context.Context, d time.Duration) error
}

// Next returns the next batch. It opens the iterator lazily, retries
// throttling, transient errors and expired iterators (re-opening
// After(Last())) with capped jittered backoff that never sleeps past ctx.
// An empty batch means the reader is at the tip (BehindTip == 0) or
// momentarily behind; Next waits PollInterval before the call that follows
// an empty batch at the tip (at most 200ms when it was behind). After a
// batch with EndOfShard, Next returns io.EOF.
//
// An error other than io.EOF leaves the Reader usable: the next call
// resumes after the last record returned. When ctx ends, Next returns an
// error wrapping ctx.Err().
//
// The batch's records alias memory owned by the backend; the Reader does
// not keep or reuse them.
func (r *Reader) Next(ctx context.Context) (Batch, error) {
	if r.eof {
		return Batch{}, io.EOF
	}
	if r.idle > 0 {
		if err := r.sleep(ctx, r.idle-time.Since(r.idleAt)); err != nil {
			return Batch{}, r.errorf("poll: %w", err)
		}
		r.idle = 0
	}

	failures := 0 // consecutive retryable failures in this call
	for {
		b, err := r.next(ctx)
		if err == nil {
			r.took(b)
			return b, nil
		}
		if ctx.Err() != nil {
			return Batch{}, r.errorf("%w (after: %w)", ctx.Err(), err)
		}
		if !IsRetryable(err) {
			return Batch{}, r.errorf("%w", err)
		}
		r.retries++
		failures++
		if IsExpiredIterator(err) {
			// Re-open just after the last record returned. An expiry is
			// not a sign of load: the first one is retried at once.
			r.it = nil
			if failures == 1 {
				continue
			}
		}
		d := backoff.Delay(failures, minBackoff, r.maxBackoff())
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
			// Sleeping would outlive ctx: give the caller the cause now.
			return Batch{}, r.errorf("giving up before the deadline: %w", err)
		}
		if err := r.sleep(ctx, d); err != nil {
			return Batch{}, r.errorf("backoff: %w", err)
		}
	}
}

// Last returns the sequence number of the last record returned ("" if none
// yet).
func (r *Reader) Last() string { return r.last }

// Retries returns how many failed calls the Reader has retried so far:
// throttling, transient failures and expired iterators.
func (r *Reader) Retries() int { return r.retries }

// next opens the iterator if needed and reads one batch.
func (r *Reader) next(ctx context.Context) (Batch, error) {
	if r.it == nil {
		it, err := r.Stream.Iterate(ctx, r.ShardID, r.position())
		if err != nil {
			return Batch{}, err
		}
		r.it = it
	}
	return r.it.Next(ctx, r.maxRecords())
}

// position is where the iterator opens: after the last record returned, or
// From when none was. Re-opening a Latest iterator that expired before it
// returned anything opens at Latest again: records that arrived while it
// sat unused for five minutes are not read, as Latest means.
func (r *Reader) position() Position {
	if r.last != "" {
		return After(r.last)
	}
	return r.From
}

// took records what a successful batch means for the next call.
func (r *Reader) took(b Batch) {
	if n := len(b.Records); n > 0 {
		r.last = b.Records[n-1].SequenceNumber
	}
	switch {
	case b.EndOfShard:
		r.eof = true
		r.it = nil
	case len(b.Records) == 0:
		r.idle = r.pollInterval()
		if b.BehindTip > 0 {
			r.idle = min(r.idle, behindPoll)
		}
		r.idleAt = time.Now()
	}
}

func (r *Reader) sleep(ctx context.Context, d time.Duration) error {
	if r.wait != nil {
		return r.wait(ctx, d)
	}
	return backoff.Sleep(ctx, d)
}

func (r *Reader) errorf(format string, args ...any) error {
	return fmt.Errorf("stream: read shard %s: "+format, append([]any{r.ShardID}, args...)...)
}

func (r *Reader) maxRecords() int {
	if r.MaxRecords > 0 {
		return r.MaxRecords
	}
	return DefaultMaxReadRecords
}

func (r *Reader) pollInterval() time.Duration {
	if r.PollInterval > 0 {
		return r.PollInterval
	}
	return DefaultPollInterval
}

func (r *Reader) maxBackoff() time.Duration {
	if r.MaxBackoff > 0 {
		return r.MaxBackoff
	}
	return DefaultMaxBackoff
}
