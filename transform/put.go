package transform

import (
	"context"
	"errors"
	"fmt"

	"github.com/elbstream/elbstream/internal/backoff"
	"github.com/elbstream/elbstream/stream"
)

// putAll puts entries and retries the ones that fail, alone, until each
// is accepted or rejected for good. accepted[i] reports entry i on return,
// whatever the error: entries accepted before a failure stay accepted.
//
// Throttling, InternalFailure and KMS throttling — per entry, or of the
// whole call — and calls failing with a retryable error are retried until
// ctx ends, with a capped, jittered backoff that never sleeps past ctx.
// Other entry error codes (a KMS key disabled or not accessible, …) reject
// the entry for good: the other entries are still retried, and putAll
// then returns an *EntryError. A call failing with an error that is not
// retryable ends putAll at once.
func (s *Stage) putAll(ctx context.Context, entries []stream.Entry, accepted []bool) error {
	todo := make([]int, len(entries)) // indexes into entries still to put
	for i := range todo {
		todo[i] = i
		accepted[i] = false
	}
	batch := make([]stream.Entry, 0, len(entries))
	var rejected *EntryError
	var last error // the last retryable failure, to explain a timeout
	for attempt := 1; ; attempt++ {
		batch = batch[:0]
		for _, i := range todo {
			batch = append(batch, entries[i])
		}
		results, err := s.cfg.Sink.Put(ctx, batch)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				break // reported below, after the sleep fails at once
			}
			if !stream.IsRetryable(err) {
				return fmt.Errorf("put events: %w", err)
			}
			if stream.IsThrottled(err) {
				s.stats.throttled.Add(int64(len(batch)))
			}
			last = err
		case len(results) != len(batch):
			return fmt.Errorf("put events: %d results for %d entries", len(results), len(batch))
		default:
			next := todo[:0] // j <= k: nothing unread is overwritten
			for k, r := range results {
				i := todo[k]
				switch {
				case r.OK():
					accepted[i] = true
					s.stats.entries.Add(1)
					s.stats.bytesOut.Add(int64(entries[i].Size()))
				case !retryableCode(r.ErrorCode):
					if rejected == nil {
						rejected = &EntryError{Code: r.ErrorCode, Message: r.ErrorMessage}
					}
				default:
					if r.ErrorCode == stream.ErrCodeThrottled {
						s.stats.throttled.Add(1)
					}
					last = &EntryError{Code: r.ErrorCode, Message: r.ErrorMessage}
					next = append(next, i)
				}
			}
			todo = next
		}
		if len(todo) == 0 {
			if rejected != nil {
				return fmt.Errorf("put events: entry rejected: %w", rejected)
			}
			return nil
		}
		if err := backoff.Sleep(ctx, backoff.Delay(attempt, s.minBackoff(), s.maxBackoff())); err != nil {
			if last != nil {
				err = fmt.Errorf("%w (last failure: %v)", err, last)
			}
			return fmt.Errorf("put events: %d of %d entries not accepted: %w", len(todo), len(entries), err)
		}
		s.stats.retries.Add(int64(len(todo)))
	}
}

// retryableCode reports whether a PutRecords entry error code is worth
// retrying: throttling and the service's internal failures are; other
// codes (a KMS key disabled or not accessible, …) are not.
func retryableCode(code string) bool {
	switch code {
	case stream.ErrCodeThrottled, stream.ErrCodeInternal, "KMSThrottlingException":
		return true
	}
	return false
}

// EntryError is the error code the events stream gave a PutRecords entry
// that kept failing.
type EntryError struct {
	Code    string
	Message string
}

func (e *EntryError) Error() string { return e.Code + ": " + e.Message }

// errStopped: the stage stopped before the batch was done because its stop
// time (the Lambda deadline minus the margin) passed.
var errStopped = errors.New("stopped before the deadline")
