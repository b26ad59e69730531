package streamtest

import (
	"context"
	"testing"

	"github.com/elbstream/elbstream/stream"
)

// NewStream creates a fresh, empty stream with the given number of open
// shards, ready for Put (for Kinesis: created and ACTIVE), unique to t, and
// registers its removal with t.Cleanup.
type NewStream func(t *testing.T, shards int) stream.Stream

// Resharder is implemented by backends that can split and merge shards.
// Both methods return once the change is done: the parents are closed, the
// children are listed by Shards, and new Puts route to the children (for
// Kinesis: the stream is ACTIVE again).
type Resharder interface {
	// SplitShard closes shardID and opens two children: one for the
	// parent's hash keys below newStartingHashKey (decimal) and one for
	// newStartingHashKey and above.
	SplitShard(ctx context.Context, shardID, newStartingHashKey string) error
	// MergeShards closes shardID and adjacentShardID, whose hash-key ranges
	// must touch, and opens one child covering both: its ParentID is
	// shardID and its AdjacentParentID adjacentShardID.
	MergeShards(ctx context.Context, shardID, adjacentShardID string) error
}

// PutFaultInjector is implemented by backends that can fail chosen entries
// on demand (the local stream can; Kinesis cannot), so that partial failure
// is checked end to end.
type PutFaultInjector interface {
	// InjectPutFaults makes every later Put ask fault about each entry once
	// it is routed; a non-empty code fails that entry with the code
	// (stream.ErrCodeThrottled, stream.ErrCodeInternal) and writes nothing
	// for it. nil removes the hook.
	InjectPutFaults(fault func(shardID string, e stream.Entry) (code string))
}

// Run runs the conformance suite against the backend newStream makes, as
// subtests of t. Each subtest makes its own streams.
func Run(t *testing.T, newStream NewStream) {
	tests := []struct {
		name string
		run  func(t *testing.T, newStream NewStream)
	}{
		{"Limits", testLimits},
		{"Shards", testShards},
		{"Routing", testRouting},
		{"PutResults", testPutResults},
		{"PartialFailure", testPartialFailure},
		{"Ordering", testOrdering},
		{"TrimHorizon", testTrimHorizon},
		{"Latest", testLatest},
		{"AtSequence", testAtSequence},
		{"AfterSequence", testAfterSequence},
		{"AtTimestamp", testAtTimestamp},
		{"InvalidPosition", testInvalidPosition},
		{"UnknownShard", testUnknownShard},
		{"Timestamps", testTimestamps},
		{"NextMax", testNextMax},
		{"EmptyShard", testEmptyShard},
		{"LargeBatches", testLargeBatches},
		{"OverLimits", testOverLimits},
		{"ConcurrentWriters", testConcurrentWriters},
		{"SplitAndMerge", testSplitAndMerge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStream) })
	}
}
