package local_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/local"
)

func Example() {
	dir, err := os.MkdirTemp("", "elbstream-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	s, err := local.Open(dir, local.Options{Shards: 2})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()

	// Put: one result per entry; an entry is on disk once its result is OK.
	results, err := s.Put(ctx, []stream.Entry{
		{Data: []byte("first line"), PartitionKey: "object-1"},
		{Data: []byte("second line"), PartitionKey: "object-1"},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range results {
		if !r.OK() {
			log.Fatalf("%s: %s", r.ErrorCode, r.ErrorMessage) // retry such entries alone
		}
	}

	// Read the shard the entries went to (same key, same shard) from its
	// oldest record.
	it, err := s.Iterate(ctx, results[0].ShardID, stream.Position{Kind: stream.TrimHorizon})
	if err != nil {
		log.Fatal(err)
	}
	b, err := it.Next(ctx, 100)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range b.Records {
		fmt.Printf("%s (%s)\n", r.Data, r.PartitionKey)
	}
	fmt.Println("behind tip:", b.BehindTip)
	// Output:
	// first line (object-1)
	// second line (object-1)
	// behind tip: 0s
}

// A split closes the parent; a reader reaching its end is told where to go
// next.
func ExampleStream_SplitShard() {
	dir, err := os.MkdirTemp("", "elbstream-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := local.Open(dir, local.Options{Shards: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()

	// Split shard 0 in the middle of the hash space, 2^127.
	if err := s.SplitShard(ctx, "shardId-000000000000", "170141183460469231731687303715884105728"); err != nil {
		log.Fatal(err)
	}
	shards, err := s.Shards(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, sh := range shards {
		fmt.Printf("%s parent=%q closed=%v [%s, %s]\n", sh.ID, sh.ParentID, sh.Closed(), sh.HashKeyStart, sh.HashKeyEnd)
	}
	it, err := s.Iterate(ctx, "shardId-000000000000", stream.Position{Kind: stream.TrimHorizon})
	if err != nil {
		log.Fatal(err)
	}
	b, err := it.Next(ctx, 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("end of shard:", b.EndOfShard, "children:", b.ChildShards)
	// Output:
	// shardId-000000000000 parent="" closed=true [0, 340282366920938463463374607431768211455]
	// shardId-000000000001 parent="shardId-000000000000" closed=false [0, 170141183460469231731687303715884105727]
	// shardId-000000000002 parent="shardId-000000000000" closed=false [170141183460469231731687303715884105728, 340282366920938463463374607431768211455]
	// end of shard: true children: [shardId-000000000001 shardId-000000000002]
}
