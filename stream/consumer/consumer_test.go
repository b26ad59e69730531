package consumer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/checkpoint"
)

func TestDrainEmptyStream(t *testing.T) {
	e := newEnv(t, 2)
	drain(t, e.config("c"), newRecorder().process)
}

func TestDrainExactlyOnceAcrossRestart(t *testing.T) {
	e := newEnv(t, 4)
	want := e.put(t, 1000, spread)
	rec := newRecorder()
	drain(t, e.config("c"), rec.process)
	rec.exactlyOnce(t, want)

	want = append(want, e.put(t, 500, spread)...)
	cfg := e.config("c")
	cfg.Owner = "another-process"
	drain(t, cfg, rec.process)
	rec.exactlyOnce(t, want)

	cps, err := e.store.List(context.Background(), "c")
	if err != nil || len(cps) != 4 {
		t.Fatalf("checkpoints: %+v %v", cps, err)
	}
	for _, cp := range cps {
		if cp.Owner != "" {
			t.Errorf("%s still leased to %s after Run returned", cp.ShardID, cp.Owner)
		}
	}
}

// Cancelling Run lets the batch in hand finish (its context stays alive)
// and be checkpointed: a restart delivers nothing twice.
func TestShutdownFinishesBatchInHand(t *testing.T) {
	e := newEnv(t, 4)
	want := e.put(t, 2000, spread)
	rec := newRecorder()
	ctx, cancelRun := context.WithCancel(context.Background())
	defer cancelRun()
	var batches atomic.Int32
	process := func(ctx context.Context, shard string, b stream.Batch) (string, error) {
		if batches.Add(1) == 3 {
			cancelRun()
			// Run's context is cancelled; this one is not.
			time.Sleep(50 * time.Millisecond)
			if ctx.Err() != nil {
				return "", fmt.Errorf("process context cancelled with Run's: %w", ctx.Err())
			}
		}
		return rec.process(ctx, shard, b)
	}
	cfg := e.config("c")
	cfg.Drain = false
	if err := Run(ctx, cfg, process); err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	if rec.total() >= len(want) {
		t.Fatalf("everything was processed before the shutdown took effect; the test proves nothing")
	}
	drain(t, e.config("c"), rec.process)
	rec.exactlyOnce(t, want)
}

// A crash in the middle of a batch re-delivers exactly the part of that
// batch that process had not reported done — never more: the other shards
// finish and checkpoint their batches in hand before Run returns. The bound
// is therefore the unacknowledged records of the batch in hand, at most
// MaxRecords per shard.
func TestCrashRedeliversOnlyUnacknowledged(t *testing.T) {
	e := newEnv(t, 4)
	want := e.put(t, 2000, spread)
	errCrash := errors.New("crash")

	first := newRecorder()
	var unacked []string
	var calls atomic.Int32
	process := func(ctx context.Context, shard string, b stream.Batch) (string, error) {
		if calls.Add(1) != 5 {
			return first.process(ctx, shard, b)
		}
		half := len(b.Records) / 2
		first.add(b.Records[:half])
		for _, r := range b.Records[half:] {
			unacked = append(unacked, string(r.Data))
		}
		return b.Records[half-1].SequenceNumber, errCrash
	}
	// At most the unacknowledged half of one batch (MaxRecords) comes again.
	e.crashThenRestart(t, want, first, &unacked, errCrash, process)
}

func TestConsumersAreIndependent(t *testing.T) {
	e := newEnv(t, 3)
	want := e.put(t, 600, spread)
	a, b := newRecorder(), newRecorder()
	drain(t, e.config("a"), a.process)
	// b starts from the beginning although a has checkpointed everything.
	drain(t, e.config("b"), b.process)
	a.exactlyOnce(t, want)
	b.exactlyOnce(t, want)
	// And a has nothing left.
	drain(t, e.config("a"), a.process)
	a.exactlyOnce(t, want)
}

// Two owners of one consumer share the shards: a shard is never processed
// by both at once, even with batches that outlast the lease TTL (renewal
// keeps the lease), and when one owner stops the other takes its shards.
func TestTwoOwnersNeverProcessOneShardAtOnce(t *testing.T) {
	e := newEnv(t, 4)
	var mu sync.Mutex
	inflight := map[string]string{} // shard -> owner processing it
	rec := newRecorder()
	processAs := func(owner string) ProcessFunc {
		return func(ctx context.Context, shard string, b stream.Batch) (string, error) {
			mu.Lock()
			if other := inflight[shard]; other != "" {
				t.Errorf("%s: %s processing while %s is", shard, owner, other)
			}
			inflight[shard] = owner
			mu.Unlock()
			defer func() {
				mu.Lock()
				delete(inflight, shard)
				mu.Unlock()
			}()
			d := time.Duration(rand.IntN(10)) * time.Millisecond
			if rand.IntN(10) == 0 {
				d = 800 * time.Millisecond // longer than the lease TTL
			}
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-time.After(d):
			}
			return rec.process(ctx, shard, b)
		}
	}
	cfg := e.config("shared")
	cfg.Drain = false
	cfg.LeaseTTL = 600 * time.Millisecond
	cfg.MaxRecords = 20
	cfgA, cfgB := cfg, cfg
	cfgA.Owner, cfgB.Owner = "A", "B"
	cancelA, doneA := runAsync(cfgA, processAs("A"))
	cancelB, doneB := runAsync(cfgB, processAs("B"))
	defer cancelB()
	defer cancelA()

	var want []string
	for range 10 {
		want = append(want, e.put(t, 50, spread)...)
		time.Sleep(20 * time.Millisecond)
	}
	eventually(t, "half of the records", func() bool { return rec.total() >= len(want)/2 })
	cancelA()
	if err := wait(t, doneA); err != nil {
		t.Fatalf("A: %v", err)
	}
	want = append(want, e.put(t, 200, spread)...)
	eventually(t, "every record", func() bool {
		for _, d := range want {
			if rec.count(d) == 0 {
				return false
			}
		}
		return true
	})
	cancelB()
	if err := wait(t, doneB); err != nil {
		t.Fatalf("B: %v", err)
	}
	dups := 0
	for _, d := range want {
		dups += rec.count(d) - 1
	}
	// Duplicates are legal (at least once) only when a lease is lost, which
	// a loaded machine can cause; graceful handover makes none.
	t.Logf("%d records, %d duplicates", len(want), dups)
}

// A shard drained to its tip and then split while the drain goes on (another
// shard still in hand) is read on to its end, and its children after it:
// the drain used to leave it drained, never SHARD_END, so that its
// children were never ready and what they held was never read.
func TestDrainReadsAShardSplitDuringTheDrain(t *testing.T) {
	e := newEnv(t, 2)
	want := e.put(t, 100, spread)
	const a, b = "shardId-000000000000", "shardId-000000000001"
	rec := newRecorder()
	cfg := e.config("c")
	aAtTip := make(chan struct{})
	var once sync.Once
	cfg.Observe = func(shard string, batch stream.Batch) {
		if shard == a && len(batch.Records) == 0 && batch.BehindTip == 0 {
			once.Do(func() { close(aAtTip) })
		}
	}
	releaseB := make(chan struct{})
	var holdB sync.Once
	process := func(ctx context.Context, shard string, batch stream.Batch) (string, error) {
		if shard == b {
			holdB.Do(func() { <-releaseB }) // B stays in hand while A is drained and split
		}
		return rec.process(ctx, shard, batch)
	}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		done <- Run(ctx, cfg, process)
	}()
	<-aAtTip
	time.Sleep(100 * time.Millisecond) // A's worker ends at its tip, drained
	if err := e.stream.SplitShard(context.Background(), a, "85070591730234615865843651857942052864"); err != nil {
		t.Fatal(err)
	}
	want = append(want, e.put(t, 100, spread)...) // some on A's children
	close(releaseB)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for i, d := range want {
		if rec.count(d) == 0 {
			t.Fatalf("record %d of %d never processed: the drain left a split shard's children unread", i, len(want))
		}
	}
}

// After a split, the children are read only once the parent is finished,
// so one partition key's records are processed in order.
func TestReshardingKeepsKeyOrder(t *testing.T) {
	e := newEnv(t, 1)
	one := func(int) string { return "the-key" }
	want := e.put(t, 300, one)
	ctx := context.Background()
	if err := e.stream.SplitShard(ctx, "shardId-000000000000", "170141183460469231731687303715884105728"); err != nil {
		t.Fatal(err)
	}
	want = append(want, e.put(t, 300, one)...)
	want = append(want, e.put(t, 300, spread)...)

	rec := newRecorder()
	drain(t, e.config("c"), rec.process)
	rec.exactlyOnce(t, want)
	var keyed []int
	for _, d := range rec.order {
		n, _ := strconv.Atoi(strings.TrimPrefix(d, "r"))
		if n < 600 {
			keyed = append(keyed, n)
		}
	}
	if !slices.IsSorted(keyed) {
		t.Fatalf("the key's records were processed out of order: %v", keyed)
	}
	cp, err := e.store.Get(ctx, "c", "shardId-000000000000")
	if err != nil || !cp.Finished() {
		t.Fatalf("parent checkpoint %+v %v, want SHARD_END", cp, err)
	}
}

// An operator's Rewind takes effect on a running consumer: it drops the
// shard and reads it again from the rewound position.
func TestRewindWhileRunning(t *testing.T) {
	e := newEnv(t, 1)
	want := e.put(t, 250, spread)
	rec := newRecorder()
	cfg := e.config("c")
	cfg.Drain = false
	cfg.LeaseTTL = time.Second // the rewind is noticed at the next renewal, LeaseTTL/3
	cancel, done := runAsync(cfg, rec.process)
	defer cancel()
	// Counts, not totals: on a loaded machine a lease may be lost and a
	// batch delivered twice, which at-least-once allows.
	passes := func(n int) func() bool {
		return func() bool {
			for _, d := range want {
				if rec.count(d) < n {
					return false
				}
			}
			return true
		}
	}
	eventually(t, "first pass", passes(1))
	if err := e.store.Rewind(context.Background(), "c", "shardId-000000000000", checkpoint.TrimHorizon); err != nil {
		t.Fatal(err)
	}
	eventually(t, "second pass", passes(2))
	cancel()
	if err := wait(t, done); err != nil {
		t.Fatal(err)
	}
}

// A rewind is most often noticed by a Checkpoint in the middle of a batch
// (the forwarder's, window by window): the refused ProcessFunc stops with
// Checkpoint's error as its doc asks, and the shard is dropped and read
// again from the rewound position. Run used to fail on that error, so that
// `checkpoints rewind` stopped a running forwarder.
func TestRewindSeenByACheckpointInTheBatchDropsTheShard(t *testing.T) {
	e := newEnv(t, 1)
	want := e.put(t, 300, spread)
	rec := newRecorder()
	var once sync.Once
	var rewoundTo string
	process := func(ctx context.Context, shard string, b stream.Batch) (string, error) {
		first := false
		once.Do(func() { first = true })
		if !first || len(b.Records) < 20 {
			return rec.process(ctx, shard, b)
		}
		rec.add(b.Records[:10])
		if err := Checkpoint(ctx, b.Records[9].SequenceNumber); err != nil {
			t.Errorf("checkpoint before the rewind: %v", err)
		}
		rewoundTo = b.Records[4].SequenceNumber
		if err := e.store.Rewind(context.Background(), "c", shard, rewoundTo); err != nil {
			t.Errorf("rewind: %v", err)
		}
		rec.add(b.Records[10:20])
		err := Checkpoint(ctx, b.Records[19].SequenceNumber)
		if !errors.Is(err, checkpoint.ErrNotOwner) {
			t.Errorf("checkpoint after the rewind: %v, want ErrNotOwner", err)
		}
		return b.Records[19].SequenceNumber, err
	}
	cfg := e.config("c")
	released := 0
	cfg.Released = func(string) { released++ } // called from Run's goroutine only
	drain(t, cfg, process)
	if rewoundTo == "" {
		t.Fatal("no batch of 20 records: the test proves nothing")
	}
	if released != 1 {
		t.Errorf("Released called %d times, want once: for the rewound shard, not for the drained one", released)
	}
	for i, d := range want {
		n := rec.count(d)
		switch {
		case n == 0:
			t.Fatalf("record %d never delivered", i)
		case i >= 5 && i < 20 && n < 2:
			t.Fatalf("record %d delivered %d times, want it read again after the rewind", i, n)
		}
	}
}

func TestStartAtLatest(t *testing.T) {
	e := newEnv(t, 2)
	e.put(t, 100, spread)
	rec := newRecorder()
	var mu sync.Mutex
	observed := map[string]bool{}
	cfg := e.config("c")
	cfg.Drain = false
	cfg.StartAt = stream.Position{Kind: stream.Latest}
	cfg.Observe = func(shard string, b stream.Batch) {
		mu.Lock()
		observed[shard] = true
		mu.Unlock()
	}
	cancel, done := runAsync(cfg, rec.process)
	defer cancel()
	eventually(t, "both shards read", func() bool { mu.Lock(); defer mu.Unlock(); return len(observed) == 2 })
	want := e.put(t, 100, spread)
	eventually(t, "new records", func() bool { return rec.total() >= len(want) })
	cancel()
	if err := wait(t, done); err != nil {
		t.Fatal(err)
	}
	rec.exactlyOnce(t, want)
}

// A process that reports part of a batch done without an error gets the
// rest again.
func TestPartialDoneRereadsTheRest(t *testing.T) {
	e := newEnv(t, 1)
	want := e.put(t, 300, spread)
	rec := newRecorder()
	process := func(ctx context.Context, shard string, b stream.Batch) (string, error) {
		n := max(1, len(b.Records)/3)
		rec.add(b.Records[:n])
		return b.Records[n-1].SequenceNumber, nil
	}
	drain(t, e.config("c"), process)
	rec.exactlyOnce(t, want)
}

func TestContractViolationsStopRun(t *testing.T) {
	e := newEnv(t, 1)
	e.put(t, 10, spread)
	for name, process := range map[string]ProcessFunc{
		"no progress": func(context.Context, string, stream.Batch) (string, error) { return "", nil },
		"done not in batch": func(context.Context, string, stream.Batch) (string, error) {
			return "99999999999999999999999999999999999999", nil
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := Run(ctx, e.config(name), process); err == nil || ctx.Err() != nil {
				t.Fatalf("Run = %v", err)
			}
			cp, _ := e.store.Get(ctx, name, "shardId-000000000000")
			if cp.Sequence != "" || cp.Owner != "" {
				t.Fatalf("checkpoint after the violation: %+v", cp)
			}
		})
	}
}

func TestConfigRequired(t *testing.T) {
	if err := Run(context.Background(), Config{}, nil); err == nil {
		t.Fatal("Run with an empty config succeeded")
	}
}

// A rewind fences the holder's lease rather than ending it: a standby
// owner does not take the shard up while the holder, not having noticed
// yet, is still in its batch.
func TestRewindIsNotTakenOverWhileTheHolderWorks(t *testing.T) {
	e := newEnv(t, 1)
	want := e.put(t, 50, spread)
	var mu sync.Mutex
	inflight := ""
	inBatch := make(chan struct{})
	var once sync.Once
	rec := newRecorder()
	processAs := func(owner string) ProcessFunc {
		return func(ctx context.Context, shard string, b stream.Batch) (string, error) {
			mu.Lock()
			if inflight != "" {
				t.Errorf("%s processing while %s is", owner, inflight)
			}
			inflight = owner
			mu.Unlock()
			defer func() {
				mu.Lock()
				inflight = ""
				mu.Unlock()
			}()
			if owner == "A" {
				once.Do(func() {
					close(inBatch)
					// A long batch, in which the rewind comes.
					select {
					case <-ctx.Done():
					case <-time.After(500 * time.Millisecond):
					}
				})
			}
			return rec.process(ctx, shard, b)
		}
	}
	cfg := e.config("shared")
	cfg.Drain = false
	cfg.LeaseTTL = 3 * time.Second // A notices the rewind at its renewal, after its batch
	cfgA, cfgB := cfg, cfg
	cfgA.Owner, cfgB.Owner = "A", "B"
	cancelA, doneA := runAsync(cfgA, processAs("A"))
	defer cancelA()
	<-inBatch
	cancelB, doneB := runAsync(cfgB, processAs("B"))
	defer cancelB()
	time.Sleep(50 * time.Millisecond) // B lists and finds the lease held
	if err := e.store.Rewind(context.Background(), "shared", "shardId-000000000000", checkpoint.TrimHorizon); err != nil {
		t.Fatal(err)
	}
	eventually(t, "every record read again after the rewind", func() bool {
		for _, d := range want {
			if rec.count(d) < 2 {
				return false
			}
		}
		return true
	})
	cancelA()
	cancelB()
	if err := wait(t, doneA); err != nil {
		t.Fatalf("A: %v", err)
	}
	if err := wait(t, doneB); err != nil {
		t.Fatalf("B: %v", err)
	}
}
