package stream

import (
	"context"
	"errors"
	"time"
)

// Stream is a sharded, ordered, replayable log with Kinesis semantics.
// Implementations are safe for concurrent use.
type Stream interface {
	// Put writes a batch of entries. It returns one PutResult per entry, in
	// entry order. Partial failure is normal: a throttled or failed entry is
	// reported in its PutResult (ErrorCode set) and is not an error of the
	// call. Put returns an error only when the call as a whole failed, in
	// which case no entry is known to have been written.
	//
	// Callers keep len(entries) <= Limits().MaxPutEntries and the summed size
	// of data and partition keys <= Limits().MaxPutBytes.
	Put(ctx context.Context, entries []Entry) ([]PutResult, error)

	// Shards lists every shard the stream still retains, open and closed,
	// ordered by shard id.
	Shards(ctx context.Context) ([]Shard, error)

	// Iterate opens an iterator over one shard, starting at from.
	Iterate(ctx context.Context, shardID string, from Position) (Iterator, error)

	// Limits reports the service limits callers must respect.
	Limits() Limits

	// Close releases the backend's resources.
	Close() error
}

// Iterator reads one shard in batches, in sequence order.
// An Iterator is not safe for concurrent use.
type Iterator interface {
	// Next returns up to max records (max <= 0 means the backend's maximum,
	// 10,000 for Kinesis). An empty batch with EndOfShard false means the
	// reader is at the tip: poll again later. Once EndOfShard is true the
	// shard is closed and exhausted and Next must not be called again.
	//
	// Errors are classified with IsThrottled, IsExpiredIterator and
	// IsRetryable; the Reader in this package handles them.
	Next(ctx context.Context, max int) (Batch, error)
}

// Entry is one record to put.
type Entry struct {
	Data         []byte
	PartitionKey string
	// ExplicitHashKey, when set, is the decimal 128-bit hash key that picks
	// the shard instead of MD5(PartitionKey).
	ExplicitHashKey string
}

// Size is the entry's size as Kinesis counts it against record and request
// limits: data plus partition key.
func (e Entry) Size() int { return len(e.Data) + len(e.PartitionKey) }

// Error codes a PutResult may carry. They are Kinesis's own strings.
const (
	ErrCodeThrottled = "ProvisionedThroughputExceededException"
	ErrCodeInternal  = "InternalFailure"
)

// PutResult is the outcome of one Entry.
type PutResult struct {
	ShardID        string
	SequenceNumber string
	// ErrorCode is empty on success, else ErrCodeThrottled or
	// ErrCodeInternal (or another code the service returned). A failed
	// entry should be retried on its own.
	ErrorCode    string
	ErrorMessage string
}

// OK reports whether the entry was written.
func (r PutResult) OK() bool { return r.ErrorCode == "" }

// Shard describes one shard.
type Shard struct {
	ID               string
	ParentID         string // empty for an original shard
	AdjacentParentID string // set for a shard created by a merge
	// HashKeyStart and HashKeyEnd are the inclusive decimal bounds of the
	// shard's 128-bit hash-key range.
	HashKeyStart string
	HashKeyEnd   string
	// StartingSequence is the first sequence number the shard may hold.
	StartingSequence string
	// EndingSequence is set once the shard is closed (by a split or merge).
	EndingSequence string
}

// Closed reports whether the shard accepts no more writes.
func (s Shard) Closed() bool { return s.EndingSequence != "" }

// PositionKind says where a read starts.
type PositionKind int

const (
	TrimHorizon   PositionKind = iota // the oldest retained record
	Latest                            // just after the newest record
	AtSequence                        // at Sequence
	AfterSequence                     // just after Sequence
	AtTimestamp                       // the first record that arrived at or after Timestamp
)

// Position is a place in a shard.
type Position struct {
	Kind      PositionKind
	Sequence  string
	Timestamp time.Time
}

// After returns the position just after seq.
func After(seq string) Position { return Position{Kind: AfterSequence, Sequence: seq} }

// At returns the position of seq.
func At(seq string) Position { return Position{Kind: AtSequence, Sequence: seq} }

// Since returns the position of the first record that arrived at or after t.
func Since(t time.Time) Position { return Position{Kind: AtTimestamp, Timestamp: t} }

// Record is one record read from a shard.
type Record struct {
	Data           []byte
	PartitionKey   string
	SequenceNumber string
	ArrivalTime    time.Time
}

// Batch is what one Iterator.Next returns.
type Batch struct {
	Records []Record
	// BehindTip is how far the reader is behind the newest record of the
	// shard (Kinesis's MillisBehindLatest).
	BehindTip time.Duration
	// EndOfShard is true once a closed shard has been read to its end;
	// ChildShards then names the shards that continue it.
	EndOfShard  bool
	ChildShards []string
}

// Limits are the service limits a writer must respect.
type Limits struct {
	// MaxRecordBytes is the largest record (data + partition key).
	// Default: 1 MiB, or the stream's configured maximum.
	MaxRecordBytes int
	// MaxPutEntries is the most entries in one Put. Default: 500.
	MaxPutEntries int
	// MaxPutBytes is the most bytes (data + partition keys) in one Put.
	// Default: 5 MiB; 10 MiB for a stream whose records may exceed 1 MiB.
	MaxPutBytes int
	// MaxPartitionKey is the longest partition key, in Unicode characters
	// as Kinesis counts them. Default: 256.
	MaxPartitionKey int
}

// Kinesis's documented limits.
const (
	DefaultMaxRecordBytes  = 1 << 20
	DefaultMaxPutEntries   = 500
	DefaultMaxPutBytes     = 5 << 20
	DefaultMaxPartitionKey = 256
	DefaultMaxReadRecords  = 10000
)

// DefaultLimits returns Kinesis's default limits.
func DefaultLimits() Limits {
	return Limits{
		MaxRecordBytes:  DefaultMaxRecordBytes,
		MaxPutEntries:   DefaultMaxPutEntries,
		MaxPutBytes:     DefaultMaxPutBytes,
		MaxPartitionKey: DefaultMaxPartitionKey,
	}
}

// Errors a backend returns, wrapped, so that callers can classify them with
// errors.Is.
var (
	// ErrThrottled: the call exceeded a throughput limit; back off and retry.
	ErrThrottled = errors.New("throttled")
	// ErrExpiredIterator: the iterator expired; re-open after the last
	// sequence number read.
	ErrExpiredIterator = errors.New("expired iterator")
	// ErrTransient: a temporary service or network failure; retry.
	ErrTransient = errors.New("transient failure")
	// ErrShardNotFound: no such shard (or it passed retention).
	ErrShardNotFound = errors.New("shard not found")
	// ErrStreamNotFound: no such stream.
	ErrStreamNotFound = errors.New("stream not found")
	// ErrInvalidPosition: the position is malformed or outside the shard.
	ErrInvalidPosition = errors.New("invalid position")
)

// IsThrottled reports whether err is a throttling error.
func IsThrottled(err error) bool { return errors.Is(err, ErrThrottled) }

// IsExpiredIterator reports whether err says the iterator expired.
func IsExpiredIterator(err error) bool { return errors.Is(err, ErrExpiredIterator) }

// IsRetryable reports whether retrying the same call may succeed.
func IsRetryable(err error) bool {
	return errors.Is(err, ErrThrottled) || errors.Is(err, ErrTransient) || errors.Is(err, ErrExpiredIterator)
}
