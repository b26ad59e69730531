package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Delay returns the wait before retry attempt (1 for the first retry; a
// smaller number counts as 1): lo doubled attempt-1 times, capped at hi,
// with equal jitter — a random duration in [d/2, d). A d of 1ns or less,
// which leaves nothing to jitter, is returned as is. lo and hi are meant
// to be positive, with lo <= hi; a lo above hi yields hi.
func Delay(attempt int, lo, hi time.Duration) time.Duration {
	d := hi
	if shift := max(attempt, 1) - 1; shift < 63 && lo <= hi>>shift {
		d = lo << shift // <= hi: cannot overflow
	}
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half)
}

// Sleep waits d or until ctx is done, whichever comes first, and returns
// ctx.Err() in the second case. It does not wait when ctx is already done
// or d is zero or less: it returns ctx.Err() at once.
func Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil || d <= 0 {
		return err
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
