package local

import (
	"sync"
	"time"
)

// throttle simulates Kinesis's per-shard throughput limits with token
// buckets that hold one second of their rate.
type throttle struct {
	cfg    Throttle
	mu     sync.Mutex
	shards map[string]*shardBuckets
}

type shardBuckets struct {
	writeBytes, writeRecords, readBytes, readCalls tokenBucket
}

func newThrottle(cfg Throttle) *throttle {
	return &throttle{cfg: cfg, shards: map[string]*shardBuckets{}}
}

func (t *throttle) shard(id string) *shardBuckets {
	b := t.shards[id]
	if b == nil {
		b = new(shardBuckets)
		t.shards[id] = b
	}
	return b
}

// allowWrite takes an entry of size bytes from the shard's write budget,
// or reports that it is over it.
func (t *throttle) allowWrite(id string, size int, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.shard(id)
	b.writeBytes.refill(float64(t.cfg.WriteBytes), now)
	b.writeRecords.refill(float64(t.cfg.WriteRecords), now)
	// A record larger than the whole bucket passes when the bucket is
	// full (and overdraws it), rather than never.
	need := min(float64(size), float64(t.cfg.WriteBytes))
	if b.writeRecords.tokens < 1 || b.writeBytes.tokens < need {
		return false
	}
	b.writeRecords.tokens--
	b.writeBytes.tokens -= float64(size)
	return true
}

// allowRead takes one call from the shard's read budget, or reports that
// the shard is over its call rate or still paying back bytes read.
func (t *throttle) allowRead(id string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.shard(id)
	b.readCalls.refill(float64(t.cfg.ReadCalls), now)
	b.readBytes.refill(float64(t.cfg.ReadBytes), now)
	if b.readCalls.tokens < 1 || b.readBytes.tokens < 0 {
		return false
	}
	b.readCalls.tokens--
	return true
}

// chargeRead takes the bytes a read returned; the bucket may go negative,
// as one GetRecords may return more than a second's worth.
func (t *throttle) chargeRead(id string, n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.shard(id).readBytes.tokens -= float64(n)
}

// tokenBucket holds up to one second of its rate; it starts full.
type tokenBucket struct {
	tokens float64
	last   time.Time
}

func (b *tokenBucket) refill(rate float64, now time.Time) {
	switch {
	case b.last.IsZero():
		b.tokens = rate
	case now.After(b.last):
		b.tokens = min(rate, b.tokens+rate*now.Sub(b.last).Seconds())
	default:
		return // the clock stood still or stepped back: no refill
	}
	b.last = now
}
