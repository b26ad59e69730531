package stream_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/kinesis"
)

// Read one shard of a Kinesis stream from its oldest record to its end.
func ExampleReader() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	s, err := kinesis.Open(ctx, cfg, "elb-raw")
	if err != nil {
		log.Fatal(err)
	}
	r := &stream.Reader{Stream: s, ShardID: "shardId-000000000000", From: stream.Position{Kind: stream.TrimHorizon}}
	for {
		b, err := r.Next(ctx) // retries throttling and expired iterators
		if errors.Is(err, io.EOF) {
			break // the shard was closed by a split or merge and is read
		}
		if err != nil {
			log.Fatal(err)
		}
		for _, rec := range b.Records {
			fmt.Printf("%s %d bytes\n", rec.SequenceNumber, len(rec.Data))
		}
		if b.EndOfShard {
			fmt.Println("continue with", b.ChildShards)
		}
	}
}

// Read the shards of a resharded stream in an order that keeps each
// partition key's records in order: children after their parents.
func ExampleReady() {
	shards := []stream.Shard{
		{ID: "shardId-000000000000", EndingSequence: "900"},                                                      // split into 1 and 2
		{ID: "shardId-000000000001", ParentID: "shardId-000000000000", EndingSequence: "950"},                    // merged with 2 into 3
		{ID: "shardId-000000000002", ParentID: "shardId-000000000000", EndingSequence: "960"},                    // merged with 1 into 3
		{ID: "shardId-000000000003", ParentID: "shardId-000000000001", AdjacentParentID: "shardId-000000000002"}, // open
	}
	finished := map[string]bool{}
	for {
		ready := stream.Ready(shards, func(id string) bool { return finished[id] })
		if len(ready) == 0 {
			break
		}
		for _, s := range ready {
			fmt.Println("read", s.ID)
			finished[s.ID] = true // a consumer marks a shard once it is read to its end
		}
	}
	// Output:
	// read shardId-000000000000
	// read shardId-000000000001
	// read shardId-000000000002
	// read shardId-000000000003
}
