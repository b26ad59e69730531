package consumer

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/elbstream/elbstream/stream"
)

// A ProcessFunc that checkpoints part of its batch with Checkpoint and then
// crashes without returning progress loses only what came after that part.
func TestCheckpointMidBatchBoundsRedelivery(t *testing.T) {
	e := newEnv(t, 2)
	want := e.put(t, 1000, spread)
	errCrash := errors.New("crash")

	first := newRecorder()
	var lost []string
	var calls atomic.Int32
	process := func(ctx context.Context, shard string, b stream.Batch) (string, error) {
		if calls.Add(1) != 3 {
			return first.process(ctx, shard, b)
		}
		quarter := len(b.Records) / 4
		first.add(b.Records[:quarter])
		if err := Checkpoint(ctx, b.Records[quarter-1].SequenceNumber); err != nil {
			t.Errorf("Checkpoint: %v", err)
		}
		for _, r := range b.Records[quarter:] {
			lost = append(lost, string(r.Data))
		}
		return "", errCrash // as if killed: no progress reported on return
	}
	e.crashThenRestart(t, want, first, &lost, errCrash, process)
}

func TestCheckpointRejectsMisuse(t *testing.T) {
	if err := Checkpoint(context.Background(), "1"); err == nil {
		t.Error("Checkpoint outside a ProcessFunc succeeded")
	}
	e := newEnv(t, 1)
	e.put(t, 10, spread)
	var outside error
	process := func(ctx context.Context, shard string, b stream.Batch) (string, error) {
		if outside == nil {
			outside = Checkpoint(ctx, "999999999999999999999999999999999")
		}
		return b.Records[len(b.Records)-1].SequenceNumber, nil
	}
	drain(t, e.config("c"), process)
	if outside == nil {
		t.Error("Checkpoint of a sequence outside the batch succeeded")
	}
}
