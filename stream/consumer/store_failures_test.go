package consumer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/elbstream/elbstream/internal/testenv"
	"github.com/elbstream/elbstream/stream/checkpoint"
	cpdynamodb "github.com/elbstream/elbstream/stream/checkpoint/dynamodb"
)

// brownoutStore fails every Set for a while, as a store in a brownout does
// (5xx, timeouts), then recovers.
type brownoutStore struct {
	checkpoint.Store
	mu    sync.Mutex
	until time.Time
	fails int
}

func (s *brownoutStore) Set(ctx context.Context, consumer, shard, owner, seq string) error {
	s.mu.Lock()
	if s.until.IsZero() {
		s.until = time.Now().Add(3 * time.Second) // longer than the lease's headroom
	}
	bad := time.Now().Before(s.until)
	if bad {
		s.fails++
	}
	s.mu.Unlock()
	if bad {
		return errors.New("operation error DynamoDB: UpdateItem, https response error StatusCode: 500, InternalServerError")
	}
	return s.Store.Set(ctx, consumer, shard, owner, seq)
}

// TestCheckpointBrownoutDropsTheShardNotTheConsumer: checkpoints that keep
// failing until the lease ends drop the shard, which is taken again once
// the store answers and read from its last checkpoint; Run goes on and
// drains, every record processed (at least once).
func TestCheckpointBrownoutDropsTheShardNotTheConsumer(t *testing.T) {
	e := newEnv(t, 1)
	want := e.put(t, 50, spread)
	rec := newRecorder()
	cfg := e.config("c")
	bs := &brownoutStore{Store: e.store}
	cfg.Checkpoints = bs
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := Run(ctx, cfg, rec.process); err != nil {
		t.Fatalf("Run = %v after %d failed checkpoints: a store brownout stopped the consumer", err, bs.fails)
	}
	if bs.fails == 0 {
		t.Fatal("no checkpoint failed: the test tested nothing")
	}
	for _, d := range want {
		if rec.count(d) == 0 {
			t.Fatalf("record %s not processed", d)
		}
	}
}

// TestMissingCheckpointTableFailsRun: a checkpoints table that does not
// exist (here on dynalite) fails Run at once with checkpoint.ErrUnusable,
// naming the table, instead of being retried until the process ends.
func TestMissingCheckpointTableFailsRun(t *testing.T) {
	testenv.DynamoDB(t)
	table := fmt.Sprintf("elbstream-test-missing-%08x", rand.Uint32())
	store, err := cpdynamodb.New(dynamodb.NewFromConfig(testenv.AWSConfig(t)), table, cpdynamodb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, 1)
	e.put(t, 5, spread)
	cfg := e.config("c")
	cfg.Checkpoints = store
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = Run(ctx, cfg, newRecorder().process)
	if !errors.Is(err, checkpoint.ErrUnusable) || ctx.Err() != nil {
		t.Fatalf("Run = %v (ctx %v), want checkpoint.ErrUnusable before the context ends", err, ctx.Err())
	}
	t.Log(err)
}
