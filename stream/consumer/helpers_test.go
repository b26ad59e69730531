package consumer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/checkpoint"
	cplocal "github.com/elbstream/elbstream/stream/checkpoint/local"
	"github.com/elbstream/elbstream/stream/local"
)

// env is a real embedded stream and a real local checkpoint store.
type env struct {
	stream *local.Stream
	store  *cplocal.Store
	next   int // data counter: record i carries "r<i>"
}

func newEnv(t *testing.T, shards int) *env {
	t.Helper()
	s, err := local.Open(t.TempDir(), local.Options{Shards: shards})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	cs, err := cplocal.Open(filepath.Join(t.TempDir(), "checkpoints.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return &env{stream: s, store: cs}
}

// put writes n records with data r<i> and partition key key(i), retrying
// failed entries, and returns their data.
func (e *env) put(t *testing.T, n int, key func(i int) string) []string {
	t.Helper()
	var data []string
	for n > 0 {
		m := min(n, 500)
		entries := make([]stream.Entry, m)
		for j := range entries {
			d := fmt.Sprintf("r%d", e.next)
			entries[j] = stream.Entry{Data: []byte(d), PartitionKey: key(e.next)}
			data = append(data, d)
			e.next++
		}
		res, err := e.stream.Put(context.Background(), entries)
		if err != nil {
			t.Fatal(err)
		}
		for j, r := range res {
			if !r.OK() {
				t.Fatalf("put %q: %s", entries[j].Data, r.ErrorCode)
			}
		}
		n -= m
	}
	return data
}

func spread(i int) string { return fmt.Sprintf("key-%d", i%37) }

// config is a test configuration: quick listings and polls.
func (e *env) config(consumer string) Config {
	return Config{
		Stream:        e.stream,
		Checkpoints:   e.store,
		Consumer:      consumer,
		Drain:         true,
		MaxRecords:    100,
		PollInterval:  10 * time.Millisecond,
		ListInterval:  20 * time.Millisecond,
		LeaseTTL:      3 * time.Second,
		ShutdownGrace: 10 * time.Second,
	}
}

// recorder counts deliveries of each record's data.
type recorder struct {
	mu     sync.Mutex
	counts map[string]int
	order  []string
}

func newRecorder() *recorder { return &recorder{counts: map[string]int{}} }

func (r *recorder) add(recs []stream.Record) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range recs {
		r.counts[string(rec.Data)]++
		r.order = append(r.order, string(rec.Data))
	}
}

func (r *recorder) process(ctx context.Context, shard string, b stream.Batch) (string, error) {
	r.add(b.Records)
	return b.Records[len(b.Records)-1].SequenceNumber, nil
}

func (r *recorder) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.order)
}

func (r *recorder) count(d string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[d]
}

// exactlyOnce fails unless every datum was delivered exactly once and
// nothing else was.
func (r *recorder) exactlyOnce(t *testing.T, want []string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range want {
		if n := r.counts[d]; n != 1 {
			t.Errorf("%s delivered %d times", d, n)
		}
	}
	if len(r.counts) != len(want) {
		t.Errorf("%d distinct records delivered, want %d", len(r.counts), len(want))
	}
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// runAsync starts Run and returns its cancel and result channel.
func runAsync(cfg Config, process ProcessFunc) (context.CancelFunc, <-chan error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, process) }()
	return cancel, done
}

func wait(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

func drain(t *testing.T, cfg Config, process ProcessFunc) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := Run(ctx, cfg, process); err != nil {
		t.Fatalf("drain: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("drain did not finish")
	}
}

// noRelease is the store as a crashed process leaves it: leases are never
// released, they expire.
type noRelease struct{ checkpoint.Store }

func (noRelease) Release(context.Context, string, string, string) error { return nil }

// crashThenRestart runs process as an owner that crashes — Run must fail
// with errCrash, and its leases are never released — then drains the
// stream with a new owner once those leases expire. It checks that what
// first had processed (and checkpointed) is not delivered again, that
// every record in *lost (filled by process: what was not checkpointed at
// the crash) is delivered exactly once after the restart, and that over
// both runs every record of want arrived exactly once.
func (e *env) crashThenRestart(t *testing.T, want []string, first *recorder, lost *[]string, errCrash error, process ProcessFunc) {
	t.Helper()
	cfg := e.config("c")
	cfg.Checkpoints = noRelease{e.store}
	cfg.Owner = "crashed"
	cfg.LeaseTTL = time.Second // the restart waits for it to expire
	cfg.Drain = false
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := Run(ctx, cfg, process); !errors.Is(err, errCrash) {
		t.Fatalf("Run = %v, want the crash", err)
	}
	if len(*lost) == 0 {
		t.Fatal("the crash did not happen mid-batch")
	}

	second := newRecorder()
	cfg = e.config("c")
	cfg.Owner = "restarted"
	drain(t, cfg, second.process)
	for d := range second.counts {
		if first.counts[d] > 0 {
			t.Errorf("%s was checkpointed before the crash and delivered again", d)
		}
	}
	for _, d := range *lost {
		if second.counts[d] != 1 {
			t.Errorf("%s, not checkpointed at the crash, delivered %d times after the restart, want once", d, second.counts[d])
		}
	}
	all := newRecorder()
	for _, r := range []*recorder{first, second} {
		for d, n := range r.counts {
			all.counts[d] += n
		}
	}
	all.exactlyOnce(t, want)
	t.Logf("delivered again after the crash: %d records", len(*lost))
}
