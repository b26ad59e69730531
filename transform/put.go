package transform

import (
	"context"
	"errors"
	"fmt"

	"github.com/elbstream/elbstream/stream"
)

// putAll puts entries with stream.PutAll and retries the ones that fail,
// alone, until each is accepted or rejected for good. accepted[i] reports
// entry i on return, whatever the error: entries accepted before a failure
// stay accepted.
//
// Throttling, InternalFailure and KMS throttling — per entry, or of the
// whole call — and calls failing with a retryable error are retried until
// ctx ends, with a capped, jittered backoff that never sleeps past ctx.
// Other entry error codes (a KMS key disabled or not accessible, …) reject
// the entry for good: the other entries are still retried, and putAll
// then returns an *EntryError. A call failing with an error that is not
// retryable ends putAll at once.
func (s *Stage) putAll(ctx context.Context, entries []stream.Entry, accepted []bool) error {
	clear(accepted[:len(entries)])
	var rejected *EntryError
	err := stream.PutAll(ctx, s.cfg.Sink, entries, stream.PutRetry{
		MinBackoff: s.minBackoff(),
		MaxBackoff: s.maxBackoff(),
		OnPut: func(round, n, throttled int) {
			if round > 1 {
				s.stats.retries.Add(int64(n))
			}
			s.stats.throttled.Add(int64(throttled))
		},
	}, func(i int, r stream.PutResult) {
		switch {
		case r.OK():
			accepted[i] = true
			s.stats.entries.Add(1)
			s.stats.bytesOut.Add(int64(entries[i].Size()))
		case rejected == nil:
			rejected = &EntryError{Code: r.ErrorCode, Message: r.ErrorMessage}
		}
	})
	switch {
	case err != nil:
		return fmt.Errorf("put events: %w", err)
	case rejected != nil:
		return fmt.Errorf("put events: entry rejected: %w", rejected)
	}
	return nil
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
