package forward

import "time"

// Config tunes delivery. The zero value works.
type Config struct {
	// Window is the most events handed to the output in one Send, the unit
	// of acknowledgement. Default: 2048.
	Window int
	// WindowBytes is the most event bytes in one Send; a single event
	// larger than this is sent alone. Default: 4 MiB.
	WindowBytes int
	// MaxInFlight bounds the events inside Send at once, across all shards:
	// the memory the output may hold for unacknowledged events is bounded
	// by it, whatever the batch sizes. It is raised to Window if smaller.
	// Default: 4 × Window.
	MaxInFlight int
	// CheckpointInterval is the least time between two checkpoints of one
	// shard while a batch (up to MaxRecords records) is being delivered: the
	// acknowledged prefix is checkpointed after each window, at most this
	// often, so a crash re-delivers only what was in flight since.
	// 0 checkpoints after every acknowledged window; negative checkpoints
	// whole batches only. Default: 0.
	CheckpointInterval time.Duration
	// MinBackoff and MaxBackoff bound the jittered, doubling wait between
	// retries of a failed Send in the loop. Default: 100ms and 10s.
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// SafetyMargin is how long before its deadline the Lambda handler stops
	// sending and reports what is left as failed; an invocation shorter
	// than 4×SafetyMargin keeps a quarter of its time instead.
	// Default: 1s.
	SafetyMargin time.Duration
}

const (
	defaultWindow       = 2048
	defaultWindowBytes  = 4 << 20
	defaultMinBackoff   = 100 * time.Millisecond
	defaultMaxBackoff   = 10 * time.Second
	defaultSafetyMargin = time.Second
)

func (c Config) withDefaults() Config {
	if c.Window <= 0 {
		c.Window = defaultWindow
	}
	if c.WindowBytes <= 0 {
		c.WindowBytes = defaultWindowBytes
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 4 * c.Window
	}
	if c.MaxInFlight < c.Window {
		c.MaxInFlight = c.Window
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = defaultMinBackoff
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = defaultMaxBackoff
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = c.MinBackoff
	}
	if c.SafetyMargin <= 0 {
		c.SafetyMargin = defaultSafetyMargin
	}
	return c
}
