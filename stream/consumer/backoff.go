package consumer

import (
	"context"
	"math/rand/v2"
	"time"
)

const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// backoff is the full-jitter wait before retry attempt n (1-based):
// uniform in [d/2, d] with d doubling from minBackoff up to maxBackoff.
func backoff(n int) time.Duration {
	d := maxBackoff
	if n < 16 {
		d = min(minBackoff<<(n-1), maxBackoff)
	}
	return d/2 + rand.N(d/2+1)
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
