package kinesis

import (
	"context"
	"testing"
	"time"
)

// TestReadPacer: calls of one shard are minReadGap apart, other shards are
// not held back, and a wait given up frees its slot.
func TestReadPacer(t *testing.T) {
	var p readPacer
	ctx := context.Background()
	start := time.Now()
	for range 3 {
		if err := p.wait(ctx, "a"); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took < 2*minReadGap {
		t.Errorf("3 calls of one shard took %v, want at least %v", took, 2*minReadGap)
	}
	other := time.Now()
	if err := p.wait(ctx, "b"); err != nil || time.Since(other) > minReadGap/2 {
		t.Errorf("another shard waited %v (%v)", time.Since(other), err)
	}
	// A wait cancelled before its slot leaves the slot to the next caller.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := p.wait(cctx, "a"); err == nil {
		t.Fatal("a cancelled wait returned nil")
	}
	again := time.Now()
	if err := p.wait(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(again); took > minReadGap+minReadGap/2 {
		t.Errorf("the call after a cancelled wait waited %v: the cancelled one kept its slot", took)
	}
}
