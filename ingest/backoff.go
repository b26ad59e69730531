package ingest

import (
	"context"
	"math/rand/v2"
	"time"
)

// Retry timing defaults.
const (
	DefaultMinBackoff = 100 * time.Millisecond
	DefaultMaxBackoff = 5 * time.Second
)

// backoff returns the wait before retry n (1 for the first): minD doubled
// n-1 times, capped at maxD, with equal jitter — a random duration in
// [d/2, d), so that writers throttled together spread out while each still
// gives the shard a rest.
func backoff(n int, minD, maxD time.Duration) time.Duration {
	d := maxD
	if n < 1 {
		n = 1
	}
	if n <= 30 {
		d = min(minD<<(n-1), maxD)
	}
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half)
}

// sleep waits for d or until ctx is done, returning ctx.Err() then.
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
