package output

import (
	"context"
	"math/rand/v2"
	"time"
)

const baseBackoff = 100 * time.Millisecond

// backoff returns the wait before retry number attempt (0 first): doubling
// from baseBackoff, capped at max, with half of it jittered so that many
// shards redialing one receiver spread out.
func backoff(attempt int, max time.Duration) time.Duration {
	d := max
	if attempt < 30 {
		d = min(max, baseBackoff<<attempt)
	}
	half := d / 2
	return half + rand.N(half+1)
}

// sleep waits d or until ctx is done, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
