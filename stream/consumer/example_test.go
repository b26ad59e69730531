package consumer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/elbstream/elbstream/stream"
	cplocal "github.com/elbstream/elbstream/stream/checkpoint/local"
	"github.com/elbstream/elbstream/stream/consumer"
	"github.com/elbstream/elbstream/stream/local"
)

// Drain an embedded stream once, checkpointing in a local store.
func ExampleRun() {
	dir, _ := os.MkdirTemp("", "consumer-example")
	defer os.RemoveAll(dir)
	s, _ := local.Open(filepath.Join(dir, "stream"), local.Options{Shards: 2})
	defer s.Close()
	cps, _ := cplocal.Open(filepath.Join(dir, "checkpoints.db"))
	defer cps.Close()

	ctx := context.Background()
	s.Put(ctx, []stream.Entry{
		{Data: []byte("a"), PartitionKey: "1"},
		{Data: []byte("b"), PartitionKey: "2"},
		{Data: []byte("c"), PartitionKey: "3"},
	})

	var total atomic.Int64 // process runs on one goroutine per shard
	err := consumer.Run(ctx, consumer.Config{
		Stream:      s,
		Checkpoints: cps,
		Consumer:    "example",
		Drain:       true,
	}, func(ctx context.Context, shardID string, b stream.Batch) (string, error) {
		total.Add(int64(len(b.Records)))
		return b.Records[len(b.Records)-1].SequenceNumber, nil
	})
	fmt.Println(total.Load(), err)
	// Output: 3 <nil>
}
