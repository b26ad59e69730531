package kinesis

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/elbstream/elbstream/stream"
)

// listShardsPage is the most shards ListShards returns in one page (the
// service's maximum is 10,000; 1,000 is its default).
const listShardsPage = 1000

// Shards lists every shard the stream retains, open and closed, ordered by
// shard id: ListShards, following NextToken.
func (s *Stream) Shards(ctx context.Context) ([]stream.Shard, error) {
	var shards []stream.Shard
	in := s.listFrom("")
	for restarts := 0; ; {
		out, err := call(ctx, s.client.ListShards, in)
		var expired *types.ExpiredNextTokenException
		if errors.As(err, &expired) && restarts < 3 {
			restarts++
			// A NextToken lives 300 seconds. Continue after the last shard
			// seen rather than fail a listing that was merely slow.
			in = s.listFrom(lastID(shards))
			continue
		}
		if err != nil {
			return nil, s.errorf(ctx, "list shards", stream.ErrStreamNotFound, nil, err)
		}
		for _, sh := range out.Shards {
			shards = append(shards, shardOf(sh))
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		// With NextToken the request must not name the stream.
		in = &kinesis.ListShardsInput{NextToken: out.NextToken, MaxResults: aws.Int32(listShardsPage)}
	}
	slices.SortFunc(shards, func(a, b stream.Shard) int { return strings.Compare(a.ID, b.ID) })
	// A listing restarted after an expired token may repeat a shard.
	return slices.CompactFunc(shards, func(a, b stream.Shard) bool { return a.ID == b.ID }), nil
}

// listFrom is the first request of a listing that starts after shard
// after ("" for the first shard).
func (s *Stream) listFrom(after string) *kinesis.ListShardsInput {
	in := &kinesis.ListShardsInput{
		StreamName: s.nameParam(),
		StreamARN:  s.arnParam(),
		MaxResults: aws.Int32(listShardsPage),
	}
	if after != "" {
		in.ExclusiveStartShardId = aws.String(after)
	}
	return in
}

func lastID(shards []stream.Shard) string {
	if len(shards) == 0 {
		return ""
	}
	return shards[len(shards)-1].ID
}

// children returns the ids of the shards whose parent or adjacent parent
// is shardID, from a fresh listing. GetRecords names the children itself at
// the end of a shard; this is for services that do not (kinesalite).
func (s *Stream) children(ctx context.Context, shardID string) ([]string, error) {
	shards, err := s.Shards(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, sh := range shards {
		if sh.ParentID == shardID || sh.AdjacentParentID == shardID {
			ids = append(ids, sh.ID)
		}
	}
	return ids, nil
}

func shardOf(sh types.Shard) stream.Shard {
	out := stream.Shard{
		ID:               aws.ToString(sh.ShardId),
		ParentID:         aws.ToString(sh.ParentShardId),
		AdjacentParentID: aws.ToString(sh.AdjacentParentShardId),
	}
	if r := sh.HashKeyRange; r != nil {
		out.HashKeyStart = aws.ToString(r.StartingHashKey)
		out.HashKeyEnd = aws.ToString(r.EndingHashKey)
	}
	if r := sh.SequenceNumberRange; r != nil {
		out.StartingSequence = aws.ToString(r.StartingSequenceNumber)
		out.EndingSequence = aws.ToString(r.EndingSequenceNumber)
	}
	return out
}
