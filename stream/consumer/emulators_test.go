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
	put := func(n, from int) []string {
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
