package stream

import (
	"context"
	"fmt"
	"time"

	"github.com/elbstream/elbstream/internal/backoff"
)

// PutRetry tunes PutAll. The zero value works.
type PutRetry struct {
	// MinBackoff is the wait before the first retry; each further round
	// doubles it, up to MaxBackoff, with jitter. Default: 100ms.
	MinBackoff time.Duration
	// MaxBackoff caps the wait between rounds. Default: DefaultMaxBackoff
	// (5s).
	MaxBackoff time.Duration
	// OnPut, when set, is called after every Put call, failed ones
	// included: round is 1 for the first call and counts up, so that the
	// entries of rounds after the first are entries put again; throttled
	// is how many of them were refused for throughput (all of them when
	// the call as a whole was throttled).
	OnPut func(round, entries, throttled int)
}

// PutAll puts entries on s and puts the ones that fail again — alone, in
// the order given — until each is accepted or rejected for good. The
// caller keeps entries within one call's limits (see Stream.Put); PutAll
// neither modifies nor keeps them, and makes no call for none.
//
// done(i, r) is called once for each entry that reaches a final result:
// accepted (r.OK()), or refused with an error code that retrying cannot
// cure (see RetryableCode). Entries refused with a retryable code, and all
// of a call that failed with an error that IsRetryable, are put again
// after a capped, jittered backoff that never sleeps past ctx.
//
// PutAll returns nil once every entry has had its done call. Otherwise it
// returns what stopped it, and the entries without a done call may or may
// not have been written:
//   - a call error that is not retryable, as Put returned it;
//   - ctx's error once ctx is done, saying how many entries were left and
//     naming the last retryable failure, which tells more than the
//     deadline;
//   - an error if Put broke its contract by returning one result too many
//     or too few.
//
// The errors carry no prefix of their own: the caller names the operation.
func PutAll(ctx context.Context, s Stream, entries []Entry, retry PutRetry, done func(i int, r PutResult)) error {
	lo, hi := retry.MinBackoff, retry.MaxBackoff
	if lo <= 0 {
		lo = minBackoff
	}
	if hi <= 0 {
		hi = DefaultMaxBackoff
	}
	var (
		batch = entries // what the next call puts
		todo  []int     // indexes in entries of batch's entries; nil: batch is entries
		buf   []Entry   // batch's memory once it is not entries
		last  error     // the last retryable failure, to explain a timeout
	)
	notAccepted := func(err error) error {
		if last != nil {
			err = fmt.Errorf("%w (last failure: %v)", err, last)
		}
		return fmt.Errorf("%d of %d entries not accepted: %w", len(batch), len(entries), err)
	}
	for round := 1; len(batch) > 0; round++ {
		res, err := s.Put(ctx, batch)
		sent, throttled := len(batch), 0
		var stop error
		switch {
		case err == nil && len(res) != len(batch):
			stop = fmt.Errorf("%d results for %d entries", len(res), len(batch))
		case err == nil:
			next := todo[:0] // writes trail reads: nothing unread is overwritten
			for k, r := range res {
				i := k
				if todo != nil {
					i = todo[k]
				}
				if r.OK() || !RetryableCode(r.ErrorCode) {
					done(i, r)
					continue
				}
				if r.ErrorCode == ErrCodeThrottled {
					throttled++
				}
				last = fmt.Errorf("%s: %s", r.ErrorCode, r.ErrorMessage)
				next = append(next, i)
			}
			todo, buf = next, buf[:0]
			for _, i := range todo {
				buf = append(buf, entries[i])
			}
			batch = buf
		case ctx.Err() != nil:
			// The call was most likely cut short by ctx: the failure
			// before it, if any, says more about why entries are left.
			stop = notAccepted(ctx.Err())
		case !IsRetryable(err):
			stop = err
		default:
			if IsThrottled(err) {
				throttled = len(batch)
			}
			last = err
		}
		if retry.OnPut != nil {
			retry.OnPut(round, sent, throttled)
		}
		if stop != nil {
			return stop
		}
		if len(batch) == 0 {
			return nil
		}
		if err := backoff.Sleep(ctx, backoff.Delay(round, lo, hi)); err != nil {
			return notAccepted(err)
		}
	}
	return nil // no entries
}

// RetryableCode reports whether a PutRecords entry error code is worth
// retrying: throttling and the service's internal failures are; other
// codes (a KMS key disabled or not accessible, …) are not.
func RetryableCode(code string) bool {
	switch code {
	case ErrCodeThrottled, ErrCodeInternal, "KMSThrottlingException":
		return true
	}
	return false
}
