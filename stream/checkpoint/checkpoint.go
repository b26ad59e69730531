// Package checkpoint defines where a consumer records how far it has
// processed each shard, and the stores that keep it: the embedded store
// (local://PATH) in checkpoint/local and DynamoDB (dynamodb://TABLE) in
// checkpoint/dynamodb. Both pass one contract suite (checkpoint/checkpointtest).
//
// Writes are fenced by owner: a consumer first acquires a shard's lease,
// and only the lease holder can move the checkpoint — and only forward.
// Rewind is the one explicit, unfenced way back, for operators.
package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/elbstream/elbstream/stream"
)

// Sentinel sequence values, as the Kinesis Client Library uses them.
const (
	TrimHorizon = "TRIM_HORIZON" // start from the oldest retained record
	Latest      = "LATEST"       // start after the newest record
	ShardEnd    = "SHARD_END"    // the shard was read to its end and all of it processed
)

// Checkpoint is one consumer's progress on one shard.
type Checkpoint struct {
	Consumer string
	ShardID  string
	// Sequence is the last sequence number fully processed, or one of the
	// sentinels. Empty when the consumer has never checkpointed the shard.
	Sequence string
	// Owner holds the lease until LeaseUntil.
	Owner      string
	LeaseUntil time.Time
	UpdatedAt  time.Time
	// Rewound: Rewind moved the checkpoint while Owner held the lease.
	// Owner can no longer Set until it acquires the lease again; the
	// Acquire that does so reports Rewound and clears it.
	Rewound bool
}

// Finished reports whether the shard is done for this consumer.
func (c Checkpoint) Finished() bool { return c.Sequence == ShardEnd }

// Store keeps checkpoints. Implementations are safe for concurrent use, and
// two processes sharing one backing store see one consistent state.
type Store interface {
	// Get returns the checkpoint, or one with an empty Sequence when there
	// is none.
	Get(ctx context.Context, consumer, shardID string) (Checkpoint, error)
	// List returns every checkpoint of a consumer, ordered by shard id.
	List(ctx context.Context, consumer string) ([]Checkpoint, error)
	// Acquire takes or renews shardID's lease for owner until now+ttl. It
	// fails with ErrLeaseHeld while another owner's lease is unexpired.
	// The checkpoint returned reports Rewound if a Rewind came since
	// owner last acquired the lease.
	Acquire(ctx context.Context, consumer, shardID, owner string, ttl time.Duration) (Checkpoint, error)
	// Set moves the checkpoint to seq (a sequence number or ShardEnd). It
	// fails with ErrNotOwner unless owner holds an unexpired lease, and with
	// ErrBackwards if seq is before the stored sequence.
	// Sequence numbers compare numerically; TrimHorizon and Latest come
	// before every sequence number and ShardEnd after all. A value that is
	// neither a sentinel nor a decimal number is an error (not ErrBackwards).
	Set(ctx context.Context, consumer, shardID, owner, seq string) error
	// Release gives the lease up so another owner can take it at once.
	// It fails with ErrNotOwner while another owner holds an unexpired
	// lease; releasing a lease nobody holds is a no-op.
	Release(ctx context.Context, consumer, shardID, owner string) error
	// Rewind sets seq unconditionally (any sequence or sentinel), whoever
	// holds the lease, and fences the lease, so that a running holder
	// cannot move the checkpoint forward again from where it was: its
	// next Set fails with ErrNotOwner, and its next Acquire (a renewal)
	// reports Rewound, upon which it re-reads from the rewound position.
	// The lease stays the holder's until it is released or expires, so
	// that no other owner reads the shard while the holder has not yet
	// noticed. It is the operator's explicit way back.
	Rewind(ctx context.Context, consumer, shardID, seq string) error
	Close() error
}

var (
	ErrLeaseHeld = errors.New("checkpoint: lease held by another owner")
	ErrNotOwner  = errors.New("checkpoint: not the lease owner")
	// ErrRewound is wrapped, with ErrNotOwner, in Set's error when an
	// operator's Rewind fenced the holder's lease: the holder is to read
	// the shard again from the rewound position, at once.
	ErrRewound   = errors.New("rewound")
	ErrBackwards = errors.New("checkpoint: would move backwards")
	// ErrUnusable: the store is not there or refuses us (a table that
	// does not exist, access denied). Retrying will not help; it takes a
	// change of configuration.
	ErrUnusable = errors.New("checkpoint: store unusable")
)

// Validate reports whether seq is a value a checkpoint can hold: a
// sentinel or a decimal sequence number.
func Validate(seq string) error {
	_, err := rank(seq)
	return err
}

// Compare orders two valid checkpoint values: TrimHorizon and Latest before
// every sequence number, ShardEnd after all of them, sequence numbers
// numerically. The two start sentinels compare equal: moving from one to
// the other is neither forward nor back. Stores use it to refuse a Set that
// would move a checkpoint backwards.
func Compare(a, b string) int {
	ra, _ := rank(a)
	rb, _ := rank(b)
	switch {
	case ra != rb:
		return ra - rb
	case ra == 1:
		return stream.CompareSequence(a, b)
	}
	return 0
}

// rank puts a checkpoint value in its class: 0 for the start sentinels, 1
// for sequence numbers, 2 for ShardEnd.
func rank(seq string) (int, error) {
	switch seq {
	case TrimHorizon, Latest:
		return 0, nil
	case ShardEnd:
		return 2, nil
	case "":
		return 0, errors.New("checkpoint: empty sequence number")
	}
	for i := 0; i < len(seq); i++ {
		if seq[i] < '0' || seq[i] > '9' {
			return 0, fmt.Errorf("checkpoint: invalid sequence number %q", seq)
		}
	}
	return 1, nil
}
