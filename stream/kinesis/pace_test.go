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
	// Shard b is booked from now, not behind shard a's next slot.
	if err := p.wait(ctx, "b"); err != nil || !p.next["b"].Before(p.next["a"].Add(minReadGap)) {
		t.Errorf("shard b booked %v after shard a's next slot (%v): held back by it", p.next["b"].Sub(p.next["a"]), err)
	}
	// A wait cancelled before its slot leaves the slot to the next caller.
	booked := p.next["a"]
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := p.wait(cctx, "a"); err == nil {
		t.Fatal("a cancelled wait returned nil")
	}
	if got := p.next["a"]; !got.Equal(booked) {
		t.Errorf("after a cancelled wait the next slot is %v later: the cancelled one kept its slot", got.Sub(booked))
	}
}
