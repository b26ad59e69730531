package kinesis

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/elbstream/elbstream/stream"
)

// Resharding waits for the stream to be ACTIVE again with this waiter
// configuration. Kinesis takes seconds to a few minutes; the waiter
// backs off from minWait to maxWait and gives up after maxWaitTotal or
// when ctx ends.
const (
	minWait      = 100 * time.Millisecond
	maxWait      = 5 * time.Second
	maxWaitTotal = 10 * time.Minute
)

// SplitShard splits shardID at newStartingHashKey (decimal): the first
// child takes the parent's hash keys below it, the second the rest. It
// returns once the stream is ACTIVE again, the children listed and
// receiving new records.
func (s *Stream) SplitShard(ctx context.Context, shardID, newStartingHashKey string) error {
	_, err := call(ctx, s.client.SplitShard, &kinesis.SplitShardInput{
		ShardToSplit:       aws.String(shardID),
		NewStartingHashKey: aws.String(newStartingHashKey),
		StreamName:         s.nameParam(),
		StreamARN:          s.arnParam(),
	})
	if err != nil {
		return s.errorf(ctx, "split shard "+shardID+" of", stream.ErrShardNotFound, nil, err)
	}
	return s.WaitActive(ctx)
}

// MergeShards merges shardID and adjacentShardID, whose hash-key ranges
// must touch, into one child whose ParentID is shardID and whose
// AdjacentParentID is adjacentShardID. It returns once the stream is ACTIVE
// again.
func (s *Stream) MergeShards(ctx context.Context, shardID, adjacentShardID string) error {
	_, err := call(ctx, s.client.MergeShards, &kinesis.MergeShardsInput{
		ShardToMerge:         aws.String(shardID),
		AdjacentShardToMerge: aws.String(adjacentShardID),
		StreamName:           s.nameParam(),
		StreamARN:            s.arnParam(),
	})
	if err != nil {
		return s.errorf(ctx, "merge shards "+shardID+" and "+adjacentShardID+" of", stream.ErrShardNotFound, nil, err)
	}
	return s.WaitActive(ctx)
}

// WaitActive waits until the stream's status is ACTIVE (the SDK's
// StreamExists waiter), for at most ten minutes or until ctx ends. A poll
// that is throttled or fails on the way (DescribeStream allows ten calls a
// second per account) is polled again: the waiter alone would end on it,
// and the reshard it waits for, already made, would look failed.
func (s *Stream) WaitActive(ctx context.Context) error {
	w := kinesis.NewStreamExistsWaiter(s.client, func(o *kinesis.StreamExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = minWait, maxWait
		retryable := o.Retryable
		o.Retryable = func(ctx context.Context, in *kinesis.DescribeStreamInput, out *kinesis.DescribeStreamOutput, err error) (bool, error) {
			if err != nil && stream.IsRetryable(classify(ctx, err, stream.ErrStreamNotFound, nil)) {
				return true, nil
			}
			return retryable(ctx, in, out, err)
		}
	})
	err := w.Wait(ctx, &kinesis.DescribeStreamInput{
		StreamName: s.nameParam(),
		StreamARN:  s.arnParam(),
		Limit:      aws.Int32(1), // only the status matters
	}, maxWaitTotal)
	if err != nil {
		return s.errorf(ctx, "wait for active", stream.ErrStreamNotFound, nil, err)
	}
	return nil
}
