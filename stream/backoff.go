package stream

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff returns how long to wait before retry number n (1 for the first
// retry): minBackoff doubled n-1 times, capped at max, with "equal jitter":
// a random duration in [d/2, d). Half the delay is fixed so that a
// throttled reader always gives the shard a rest; the random half spreads
// readers that were throttled together.
func backoff(n int, max time.Duration) time.Duration {
	d := max
	if n < 1 {
		n = 1
	}
	if n <= 30 {
		d = min(minBackoff<<(n-1), max)
	}
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half)
}

// sleep waits for d or until ctx is done, whichever comes first, and
// returns ctx.Err() in the second case.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
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
