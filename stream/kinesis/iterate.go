package kinesis

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/elbstream/elbstream/stream"
)

// Iterate opens an iterator on shard shardID at from (GetShardIterator).
// A shard that does not exist gives an error wrapping stream.ErrShardNotFound;
// a malformed position, or a sequence number of another shard, one wrapping
// stream.ErrInvalidPosition.
func (s *Stream) Iterate(ctx context.Context, shardID string, from stream.Position) (stream.Iterator, error) {
	in := &kinesis.GetShardIteratorInput{
		ShardId:    aws.String(shardID),
		StreamName: s.nameParam(),
		StreamARN:  s.arnParam(),
	}
	switch from.Kind {
	case stream.TrimHorizon:
		in.ShardIteratorType = types.ShardIteratorTypeTrimHorizon
	case stream.Latest:
		in.ShardIteratorType = types.ShardIteratorTypeLatest
	case stream.AtSequence, stream.AfterSequence:
		if !sequenceNumber.MatchString(from.Sequence) {
			return nil, fmt.Errorf("kinesis: get shard iterator %s/%s: %q is not a sequence number: %w", s.Name(), shardID, from.Sequence, stream.ErrInvalidPosition)
		}
		in.ShardIteratorType = types.ShardIteratorTypeAfterSequenceNumber
		if from.Kind == stream.AtSequence {
			in.ShardIteratorType = types.ShardIteratorTypeAtSequenceNumber
		}
		in.StartingSequenceNumber = aws.String(from.Sequence)
	case stream.AtTimestamp:
		if from.Timestamp.IsZero() {
			return nil, fmt.Errorf("kinesis: get shard iterator %s/%s: no timestamp: %w", s.Name(), shardID, stream.ErrInvalidPosition)
		}
		in.ShardIteratorType = types.ShardIteratorTypeAtTimestamp
		in.Timestamp = aws.Time(from.Timestamp)
	default:
		return nil, fmt.Errorf("kinesis: get shard iterator %s/%s: position kind %d: %w", s.Name(), shardID, from.Kind, stream.ErrInvalidPosition)
	}
	out, err := call(ctx, s.client.GetShardIterator, in)
	if err != nil {
		return nil, s.errorf(ctx, "get shard iterator", stream.ErrShardNotFound, stream.ErrInvalidPosition, fmt.Errorf("shard %s: %w", shardID, err))
	}
	if aws.ToString(out.ShardIterator) == "" {
		return nil, fmt.Errorf("kinesis: get shard iterator %s/%s: no iterator in the response: %w", s.Name(), shardID, stream.ErrTransient)
	}
	return &iterator{s: s, shardID: shardID, token: *out.ShardIterator}, nil
}

// sequenceNumber is the form Kinesis accepts for a sequence number; the
// service answers others with a ValidationException, which says less.
var sequenceNumber = regexp.MustCompile(`^(0|[1-9][0-9]{0,128})$`)

// iterator reads one shard with GetRecords.
type iterator struct {
	s       *Stream
	shardID string
	token   string // the next shard iterator; "" once the shard ended
	// pending is a batch that ended the shard, held while its children
	// could not be listed: the next Next returns it once they can.
	pending *stream.Batch
}

// Next returns up to max records (GetRecords with Limit). At the end of a
// closed shard — no NextShardIterator — the batch has EndOfShard set and
// names the children, from the response or, when the service does not
// give them, from ListShards.
//
// The records' Data is the SDK's decoded buffer, owned by the caller.
func (it *iterator) Next(ctx context.Context, max int) (stream.Batch, error) {
	if it.pending != nil {
		return it.endOfShard(ctx, *it.pending)
	}
	if it.token == "" {
		return stream.Batch{}, fmt.Errorf("kinesis: get records %s/%s: the shard has ended", it.s.Name(), it.shardID)
	}
	if max <= 0 || max > stream.DefaultMaxReadRecords {
		max = stream.DefaultMaxReadRecords
	}
	if err := it.s.reads.wait(ctx, it.shardID); err != nil {
		return stream.Batch{}, fmt.Errorf("kinesis: get records %s/%s: %w", it.s.Name(), it.shardID, err)
	}
	out, err := call(ctx, it.s.client.GetRecords, &kinesis.GetRecordsInput{
		ShardIterator: aws.String(it.token),
		Limit:         aws.Int32(int32(max)),
		StreamARN:     it.s.arnParam(),
	})
	if err != nil {
		return stream.Batch{}, it.s.errorf(ctx, "get records", stream.ErrShardNotFound, nil, fmt.Errorf("shard %s: %w", it.shardID, err))
	}
	b := stream.Batch{
		Records:   make([]stream.Record, len(out.Records)),
		BehindTip: time.Duration(aws.ToInt64(out.MillisBehindLatest)) * time.Millisecond,
	}
	for i, r := range out.Records {
		b.Records[i] = stream.Record{
			Data:           r.Data,
			PartitionKey:   aws.ToString(r.PartitionKey),
			SequenceNumber: aws.ToString(r.SequenceNumber),
			ArrivalTime:    aws.ToTime(r.ApproximateArrivalTimestamp),
		}
	}
	it.token = aws.ToString(out.NextShardIterator)
	if it.token != "" {
		return b, nil
	}
	b.EndOfShard = true
	if len(out.ChildShards) > 0 {
		for _, c := range out.ChildShards {
			b.ChildShards = append(b.ChildShards, aws.ToString(c.ShardId))
		}
		return b, nil
	}
	return it.endOfShard(ctx, b)
}

// endOfShard completes b with the children of the shard from a listing.
// When the listing fails, b is kept for the next call, so that its records
// are not lost, and the error is returned.
func (it *iterator) endOfShard(ctx context.Context, b stream.Batch) (stream.Batch, error) {
	children, err := it.s.children(ctx, it.shardID)
	if err != nil {
		it.pending = &b
		return stream.Batch{}, fmt.Errorf("kinesis: end of shard %s: children: %w", it.shardID, err)
	}
	it.pending = nil
	b.ChildShards = children
	return b, nil
}
