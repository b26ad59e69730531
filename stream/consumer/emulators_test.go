package consumer

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/elbstream/elbstream/internal/testenv"
	"github.com/elbstream/elbstream/stream"
	cpdynamodb "github.com/elbstream/elbstream/stream/checkpoint/dynamodb"
	"github.com/elbstream/elbstream/stream/kinesis/kinesistest"
)

// The production pairing — Kinesis and DynamoDB — on kinesalite and
// dynalite: drain, restart, drain again; every record exactly once.
func TestOnKinesisWithDynamoDB(t *testing.T) {
	testenv.DynamoDB(t)
	s := kinesistest.NewStream(t, 2)
	table := fmt.Sprintf("elbstream-test-consumer-%08x", rand.Uint32())
	store, err := cpdynamodb.New(dynamodb.NewFromConfig(testenv.AWSConfig(t)), table, cpdynamodb.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	put := func(n, from int) []string { return putOn(t, s, n, from) }
	want := put(300, 0)
	cfg := Config{
		Stream: s, Checkpoints: store, Consumer: "c", Drain: true,
		MaxRecords: 100, PollInterval: 50 * time.Millisecond, ListInterval: 100 * time.Millisecond,
		LeaseTTL: 5 * time.Second,
	}
	drain(t, cfg, rec.process)
	rec.exactlyOnce(t, want)
	want = append(want, put(100, 300)...)
	cfg.Owner = "restarted"
	drain(t, cfg, rec.process)
	rec.exactlyOnce(t, want)
}

// putOn puts n records "r<from>"… spread over the shards, and returns their
// data.
func putOn(t *testing.T, s stream.Stream, n, from int) []string {
	t.Helper()
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("r%d", from+i))
	}
	entries := make([]stream.Entry, 0, n)
	for i, d := range want {
		entries = append(entries, stream.Entry{Data: []byte(d), PartitionKey: spread(from + i)})
	}
	res, err := s.Put(context.Background(), entries)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if !r.OK() {
			t.Fatalf("put: %s", r.ErrorCode)
		}
	}
	return want
}

// A drain that finds a shard closed reads it to its end, SHARD_END, and
// then its children. kinesalite answers an empty page, 0 ms behind, before
// it says that a closed shard ended, when the shard's last record is more
// than a second older than the split: the drain took that page for the tip
// and exited 0 with the children never read, drain after drain.
func TestDrainOnKinesisReadsAClosedShardToItsEnd(t *testing.T) {
	s := kinesistest.NewStream(t, 1)
	e := newEnv(t, 1) // for its local checkpoint store
	rec := newRecorder()
	cfg := Config{
		Stream: s, Checkpoints: e.store, Consumer: "c", Drain: true,
		MaxRecords: 100, PollInterval: 50 * time.Millisecond, ListInterval: 100 * time.Millisecond,
		LeaseTTL: 5 * time.Second,
	}
	want := putOn(t, s, 50, 0)
	drain(t, cfg, rec.process)          // checkpointed after the last record
	time.Sleep(2500 * time.Millisecond) // which is more than a second older than the split
	if err := s.SplitShard(context.Background(), "shardId-000000000000", "170141183460469231731687303715884105728"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		shards, err := s.Shards(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(shards) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("split not done: %d shards", len(shards))
		}
		time.Sleep(50 * time.Millisecond)
	}
	want = append(want, putOn(t, s, 50, 50)...)
	drain(t, cfg, rec.process)
	rec.exactlyOnce(t, want)
}
