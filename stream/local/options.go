package local

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/elbstream/elbstream/stream"
)

// Options configure Open. The zero value is a 4-shard stream with 24 hours
// of retention and Kinesis's default limits.
type Options struct {
	// Shards is the number of shards of a new stream. It is fixed at
	// creation (then changed only by SplitShard and MergeShards) and stored
	// in the database: reopening with a different non-zero Shards is an
	// error, 0 means "whatever the stream has". Default: 4.
	Shards int

	// Retention is how long records are kept. Older records are invisible
	// to readers at once and deleted from the file in the background. It is
	// stored in the database, as a Kinesis stream's retention period: an
	// Open that sets it changes it, one that leaves it 0 takes the stored
	// value (a reader of `elbstream run --data DIR`'s streams must not trim
	// them to a default). Default, for a stream with none stored: 24h.
	Retention time.Duration

	// MaxRecordBytes is the largest record (data + partition key), as a
	// Kinesis stream's MaxRecordSizeInKiB. Default: stream.DefaultMaxRecordBytes (1 MiB).
	MaxRecordBytes int

	// Throttle, when set, simulates Kinesis's per-shard throughput limits.
	// Default: nil, no limits.
	Throttle *Throttle

	// LockTimeout is how long Open waits for another process to release
	// the database file. Default: 1s.
	LockTimeout time.Duration

	// Now is the clock for arrival times, retention and throttling; tests
	// set it to move time by hand. Default: time.Now.
	Now func() time.Time
}

// Throttle sets per-shard throughput limits, as Kinesis enforces them. A
// zero field takes Kinesis's value, so &Throttle{} simulates Kinesis. Each
// limit is a token bucket holding one second of its rate.
type Throttle struct {
	// WriteBytes per shard per second; an entry over it fails with
	// stream.ErrCodeThrottled. Default: 1 MiB.
	WriteBytes int
	// WriteRecords per shard per second. Default: 1000.
	WriteRecords int
	// ReadBytes per shard per second. One Next may overdraw it (as one
	// GetRecords may return 10 MiB); later calls fail with
	// stream.ErrThrottled until it is paid back. Default: 2 MiB.
	ReadBytes int
	// ReadCalls is Next calls per shard per second, across all iterators
	// of the shard. Default: 5.
	ReadCalls int
}

// Defaults of Options and Throttle: Kinesis's per-shard limits.
const (
	DefaultShards       = 4
	DefaultRetention    = 24 * time.Hour
	DefaultLockTimeout  = time.Second
	DefaultWriteBytes   = 1 << 20
	DefaultWriteRecords = 1000
	DefaultReadBytes    = 2 << 20
	DefaultReadCalls    = 5
)

const (
	maxShards             = 1 << 16
	maxReadBytesPerNext   = 10 << 20 // GetRecords's limit
	maxConfigurableRecord = 10 << 20 // Kinesis's largest MaxRecordSizeInKiB
	// The background trim runs every Retention/10, within these bounds,
	// and deletes in transactions small enough not to stall writers.
	trimIntervalMax  = time.Minute
	trimIntervalMin  = time.Second
	trimDeletesPerTx = 10000
	// A group commit takes at most this many queued puts, or stops taking
	// more once it holds this many bytes.
	commitGroupMaxPuts  = 256
	commitGroupMaxBytes = 32 << 20
)

func (o Options) withDefaults() (Options, error) {
	if o.Shards < 0 || o.Shards > maxShards {
		return o, fmt.Errorf("shards %d: want 1 to %d", o.Shards, maxShards)
	}
	if o.Retention < 0 {
		return o, fmt.Errorf("retention %v is negative", o.Retention)
	}
	switch {
	case o.MaxRecordBytes == 0:
		o.MaxRecordBytes = stream.DefaultMaxRecordBytes
	case o.MaxRecordBytes < 0 || o.MaxRecordBytes > maxConfigurableRecord:
		return o, fmt.Errorf("max record bytes %d: want 1 to %d", o.MaxRecordBytes, maxConfigurableRecord)
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Throttle != nil {
		t := *o.Throttle
		t.WriteBytes = orDefault(t.WriteBytes, DefaultWriteBytes)
		t.WriteRecords = orDefault(t.WriteRecords, DefaultWriteRecords)
		t.ReadBytes = orDefault(t.ReadBytes, DefaultReadBytes)
		t.ReadCalls = orDefault(t.ReadCalls, DefaultReadCalls)
		o.Throttle = &t
	}
	return o, nil
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// limits are the put limits of a stream with these options: Kinesis's, with
// the request limit raised to ten records when records may be larger than
// 512 KiB.
func (o Options) limits() stream.Limits {
	l := stream.DefaultLimits()
	l.MaxRecordBytes = o.MaxRecordBytes
	l.MaxPutBytes = max(stream.DefaultMaxPutBytes, 10*o.MaxRecordBytes)
	return l
}

// OptionsFromQuery reads the options of a local://DIR?… URL:
//
//	shards=N            Options.Shards
//	retention=DURATION  Options.Retention (Go duration: 24h, 90m)
//	max-record-bytes=N  Options.MaxRecordBytes
//	throttle=true       Options.Throttle with Kinesis's limits
//
// Unknown options are an error, so that a typo is not silently ignored.
func OptionsFromQuery(q url.Values) (Options, error) {
	var o Options
	for name, vs := range q {
		v := vs[len(vs)-1]
		var err error
		switch name {
		case "shards":
			o.Shards, err = strconv.Atoi(v)
			if err == nil && o.Shards < 1 {
				err = fmt.Errorf("want at least 1")
			}
		case "retention":
			o.Retention, err = time.ParseDuration(v)
			if err == nil && o.Retention <= 0 {
				err = fmt.Errorf("want a positive duration")
			}
		case "max-record-bytes":
			o.MaxRecordBytes, err = strconv.Atoi(v)
			if err == nil && o.MaxRecordBytes < 1 {
				err = fmt.Errorf("want at least 1")
			}
		case "throttle":
			var on bool
			on, err = strconv.ParseBool(v)
			if on {
				o.Throttle = &Throttle{}
			}
		default:
			return Options{}, fmt.Errorf("unknown option %q (want shards, retention, max-record-bytes or throttle)", name)
		}
		if err != nil {
			return Options{}, fmt.Errorf("option %s=%q: %w", name, v, err)
		}
	}
	return o, nil
}
