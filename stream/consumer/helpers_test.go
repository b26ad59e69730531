package consumer

import (
	"context"
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
