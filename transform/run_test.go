package transform

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/elbstream/elbstream/internal/testenv"
	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/checkpoint"
	"github.com/elbstream/elbstream/stream/checkpoint/dynamodb"
	cplocal "github.com/elbstream/elbstream/stream/checkpoint/local"
	"github.com/elbstream/elbstream/stream/kinesis/kinesistest"
	"github.com/elbstream/elbstream/stream/local"
)

// runEnv is where an end-to-end test runs: a raw stream, an events stream
// and a checkpoint store.
type runEnv struct {
	raw, events stream.Stream
	checkpoints checkpoint.Store
}

const (
	rawShards    = 3
	eventsShards = 2
)

func localEnv(t *testing.T) runEnv {
	dir := t.TempDir()
	raw, err := local.Open(filepath.Join(dir, "raw"), local.Options{Shards: rawShards})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	evs, err := local.Open(filepath.Join(dir, "events"), local.Options{Shards: eventsShards})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { evs.Close() })
	cps, err := cplocal.Open(filepath.Join(dir, "checkpoints.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cps.Close() })
	return runEnv{raw: raw, events: evs, checkpoints: cps}
}

func kinesisEnv(t *testing.T) runEnv {
	testenv.DynamoDB(t)
	raw := kinesistest.NewStream(t, rawShards)
	evs := kinesistest.NewStream(t, eventsShards)
	cps, err := dynamodb.Open(context.Background(), testenv.AWSConfig(t), kinesistest.UniqueName(t), dynamodb.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cps.Close() })
	return runEnv{raw: raw, events: evs, checkpoints: cps}
}

func TestRunLocal(t *testing.T)   { testRun(t, localEnv) }
func TestRunKinesis(t *testing.T) { testRun(t, kinesisEnv) }

func testRun(t *testing.T, env func(*testing.T) runEnv) {
	t.Run("Drain", func(t *testing.T) { testRunDrain(t, env(t)) })
	t.Run("StopAndRestart", func(t *testing.T) { testRunStopAndRestart(t, env(t)) })
	t.Run("CrashAndRestart", func(t *testing.T) { testRunCrashAndRestart(t, env(t)) })
}

// The raw fixture of the end-to-end tests: 9 objects of 4 records of 40
// lines, spread over the raw shards by object.
func e2eRaw(t *testing.T) rawFixture { return makeRaw(t, 9, 4, 40, mixedText) }

// batchRecords is the raw records per batch in the end-to-end tests, so
// that a run has many batches and a stop lands in the middle.
const batchRecords = 3

func testRunDrain(t *testing.T, e runEnv) {
	f := e2eRaw(t)
	putRaw(t, e.raw, f)
	s := newStage(t, e.events, Config{})
	if err := s.Run(context.Background(), runConfig(e, "drain")); err != nil {
		t.Fatalf("Run: %v", err)
	}
	evs := readEvents(t, e.events)
	checkOneEventPerLine(t, f, evs)
	st := s.Stats().Snapshot()
	if st.Records != int64(len(f.records)) || st.Events != int64(len(evs)) || st.Lag != 0 {
		t.Errorf("stats %+v: want %d records, %d events, no lag", st, len(f.records), len(evs))
	}
	// Drained: a second run finds nothing to do.
	again := newStage(t, e.events, Config{})
	if err := again.Run(context.Background(), runConfig(e, "drain")); err != nil {
		t.Fatalf("second Run: %v", err)
	}
	if n := again.Stats().Snapshot().Records; n != 0 {
		t.Fatalf("second run read %d records: the checkpoints did not hold", n)
	}
}

// A stop (SIGTERM) finishes the batches in hand and checkpoints them, so a
// restart produces no duplicate at all.
func testRunStopAndRestart(t *testing.T, e runEnv) {
	f := e2eRaw(t)
	putRaw(t, e.raw, f)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	sink := &countingSink{Stream: e.events, after: 4, then: stop}
	first := newStage(t, sink, Config{})
	cfg := runConfig(e, "stop")
	cfg.Drain = false
	if err := first.Run(ctx, cfg); err != nil {
		t.Fatalf("Run stopped by its context: %v", err)
	}
	if n := first.Stats().Snapshot().Records; n == 0 || n == int64(len(f.records)) {
		t.Fatalf("the first run read %d of %d records; the stop should land in the middle", n, len(f.records))
	}
	second := newStage(t, e.events, Config{})
	if err := second.Run(context.Background(), runConfig(e, "stop")); err != nil {
		t.Fatalf("restarted Run: %v", err)
	}
	checkOneEventPerLine(t, f, readEvents(t, e.events))
}

// A crash — the events stream failing for good mid-put, and the process
// dying before it can checkpoint anything more — loses nothing: the
// restart re-reads from the last checkpoint. Duplicates come only from
// the batches in flight: at most one batch per raw shard, that is
// rawShards × batchRecords raw records' worth of events, and a duplicate
// carries the same event.id as its original.
func testRunCrashAndRestart(t *testing.T, e runEnv) {
	f := e2eRaw(t)
	putRaw(t, e.raw, f)
	crashed := make(chan struct{})
	var once sync.Once
	crash := func() { once.Do(func() { close(crashed) }) }
	sink := &countingSink{Stream: e.events, after: 5, then: crash, crashed: crashed}
	cps := &crashingStore{Store: e.checkpoints, crashed: crashed}
	first := newStage(t, sink, Config{})
	cfg := runConfig(e, "crash")
	cfg.Checkpoints = cps
	cfg.Drain = false
	if err := first.Run(context.Background(), cfg); err == nil {
		t.Fatal("Run survived the crash")
	}
	if n := first.Stats().Snapshot().Records; n == 0 || n == int64(len(f.records)) {
		t.Fatalf("the first run read %d of %d records; the crash should land in the middle", n, len(f.records))
	}
	second := newStage(t, e.events, Config{})
	if err := second.Run(context.Background(), runConfig(e, "crash")); err != nil {
		t.Fatalf("restarted Run: %v", err)
	}

	evs := readEvents(t, e.events)
	byLine := map[string][]event{}
	for _, ev := range evs {
		k := line{Source: ev.Record.Source, Position: ev.Record.Position}.key()
		byLine[k] = append(byLine[k], ev)
	}
	var unique []event
	dups := 0
	for _, same := range byLine {
		unique = append(unique, same[0])
		for _, d := range same[1:] {
			if d.ID != same[0].ID {
				t.Fatalf("duplicate of line %s with another event.id: %s vs %s", same[0].Record.Source, d.ID, same[0].ID)
			}
			dups++
		}
	}
	checkOneEventPerLine(t, f, unique)
	perRecord := len(f.lines[0])
	if bound := rawShards * batchRecords * perRecord; dups > bound {
		t.Fatalf("%d duplicate events; the batches in flight bound them to %d", dups, bound)
	}
	t.Logf("%d duplicate events after the crash (bound %d)", dups, rawShards*batchRecords*perRecord)
}

func runConfig(e runEnv, consumer string) RunConfig {
	return RunConfig{
		From:          e.raw,
		Checkpoints:   e.checkpoints,
		Consumer:      consumer,
		Drain:         true,
		MaxRecords:    batchRecords,
		PollInterval:  20 * time.Millisecond,
		LeaseTTL:      time.Second, // a crashed run's leases expire soon
		ShutdownGrace: 10 * time.Second,
		ListInterval:  50 * time.Millisecond,
	}
}

// putRaw writes the raw records, retrying refused entries.
func putRaw(t *testing.T, s stream.Stream, f rawFixture) {
	t.Helper()
	ctx := context.Background()
	todo := make([]stream.Entry, 0, len(f.records))
	for _, r := range f.records {
		todo = append(todo, stream.Entry{Data: r.Data, PartitionKey: r.PartitionKey})
	}
	for attempt := 0; len(todo) > 0; attempt++ {
		if attempt == 50 {
			t.Fatalf("put raw records: %d still refused", len(todo))
		}
		n := min(len(todo), 100)
		res, err := s.Put(ctx, todo[:n])
		if err != nil {
			t.Fatalf("put raw records: %v", err)
		}
		var again []stream.Entry
		for i, r := range res {
			if !r.OK() {
				again = append(again, todo[i])
			}
		}
		todo = append(again, todo[n:]...)
	}
}

// readEvents reads every shard of the events stream to its tip.
func readEvents(t *testing.T, s stream.Stream) []event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	shards, err := s.Shards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var entries []stream.Entry
	for _, sh := range shards {
		r := &stream.Reader{Stream: s, ShardID: sh.ID, PollInterval: 10 * time.Millisecond}
		for {
			b, err := r.Next(ctx)
			if err != nil {
				t.Fatalf("read events shard %s: %v", sh.ID, err)
			}
			for _, rec := range b.Records {
				entries = append(entries, stream.Entry{Data: rec.Data, PartitionKey: rec.PartitionKey})
			}
			if len(b.Records) == 0 && b.BehindTip == 0 || b.EndOfShard {
				break
			}
		}
	}
	return decodeEvents(t, entries)
}

// countingSink passes Puts to the stream; after `after` successful calls
// it calls then. Once crashed is closed, every Put fails for good, after
// writing the first half of its entries: a stream that dies mid-request.
type countingSink struct {
	stream.Stream
	after   int
	then    func()
	crashed chan struct{}

	mu    sync.Mutex
	calls int
}

var errCrash = errors.New("injected crash")

func (s *countingSink) Put(ctx context.Context, entries []stream.Entry) ([]stream.PutResult, error) {
	if s.crashed != nil {
		select {
		case <-s.crashed:
			half := len(entries) / 2
			res, err := s.Stream.Put(ctx, entries[:half])
			if err != nil {
				return nil, err
			}
			for range entries[half:] {
				res = append(res, stream.PutResult{ErrorCode: "KMSAccessDeniedException", ErrorMessage: errCrash.Error()})
			}
			return res, nil
		default:
		}
	}
	res, err := s.Stream.Put(ctx, entries)
	if err == nil {
		s.mu.Lock()
		s.calls++
		if s.calls == s.after {
			s.then()
		}
		s.mu.Unlock()
	}
	return res, err
}

// crashingStore stops checkpointing once crashed is closed: the process
// died before it could record the batches in flight. It refuses for good
// (checkpoint.ErrUnusable), as a dead process writes nothing more; a
// transient failure would be a brownout, which the consumer rides out.
type crashingStore struct {
	checkpoint.Store
	crashed chan struct{}
}

func (s *crashingStore) Set(ctx context.Context, consumer, shardID, owner, seq string) error {
	select {
	case <-s.crashed:
		return fmt.Errorf("checkpoint %s: %w: %w", shardID, checkpoint.ErrUnusable, errCrash)
	default:
		return s.Store.Set(ctx, consumer, shardID, owner, seq)
	}
}
