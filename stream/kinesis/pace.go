package kinesis

import (
	"context"
	"sync"
	"time"
)

// minReadGap keeps GetRecords calls of one shard at least this far apart:
// "This operation has a limit of five transactions per second per shard"
// (API_GetRecords). A reader catching up asks again as soon as a batch is
// in; unpaced, it was throttled on most calls and spent its time in
// backoff.
const minReadGap = 200 * time.Millisecond

// readPacer spaces the GetRecords calls of each shard of a Stream, across
// its iterators (a reader re-opens one after an expiry; a rewind resolves
// on the side).
type readPacer struct {
	mu   sync.Mutex
	next map[string]time.Time // shard: the earliest time of its next call
}

// wait returns once shardID may be read, having booked the next slot, or
// ctx's error.
func (p *readPacer) wait(ctx context.Context, shardID string) error {
	p.mu.Lock()
	if p.next == nil {
		p.next = map[string]time.Time{}
	}
	now := time.Now()
	at := p.next[shardID]
	if at.Before(now) {
		at = now
	}
	p.next[shardID] = at.Add(minReadGap)
	p.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			p.mu.Lock()
			if p.next[shardID].Equal(at.Add(minReadGap)) {
				p.next[shardID] = at // no call made: the slot is free again
			}
			p.mu.Unlock()
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}
