package forward

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elbstream/elbstream/forward/output"
	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/checkpoint"
	cplocal "github.com/elbstream/elbstream/stream/checkpoint/local"
	"github.com/elbstream/elbstream/stream/consumer"
	"github.com/elbstream/elbstream/stream/kpl"
	"github.com/elbstream/elbstream/stream/local"
)

// eventsStream is a local events stream holding KPL-aggregated JSON events
// with unique event.ids, and a checkpoint store.
type eventsStream struct {
	stream  *local.Stream
	store   checkpoint.Store
	ids     []string
	perRec  int // events per record
	records int
}

// newEventsStream writes records aggregated records of perRec events each,
// spread over the shards by partition key.
func newEventsStream(t testing.TB, shards, records, perRec int) *eventsStream {
	t.Helper()
	dir := t.TempDir()
	s, err := local.Open(dir+"/stream", local.Options{Shards: shards})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	store, err := cplocal.Open(dir + "/checkpoints.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	es := &eventsStream{stream: s, store: store, perRec: perRec}
	es.put(t, t.Name(), records)
	return es
}

// put appends records more records; prefix keeps their ids unique.
func (es *eventsStream) put(t testing.TB, prefix string, records int) {
	t.Helper()
	var entries []stream.Entry
	flush := func() {
		if len(entries) == 0 {
			return
		}
		res, err := es.stream.Put(context.Background(), entries)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if !r.OK() {
				t.Fatalf("put: %+v", r)
			}
		}
		entries = entries[:0]
	}
	var a kpl.Aggregator
	for r := range records {
		pk := strconv.Itoa(es.records + r)
		for i := range es.perRec {
			e := testEvent(prefix+"-", es.records+r, i)
			if ok, err := a.Add(kpl.Record{PartitionKey: pk, Data: e, Position: -1}); err != nil || !ok {
				t.Fatalf("aggregate: %v %v", ok, err)
			}
			es.ids = append(es.ids, eventID(t, e))
		}
		entries = append(entries, a.Flush())
		if len(entries) == 100 {
			flush()
		}
	}
	flush()
	es.records += records
}

// run forwards es to out under consumer name until ctx ends or, with
// drain, everything was delivered.
func (es *eventsStream) run(ctx context.Context, out Sender, cfg Config, name string, drain bool, m *Metrics) error {
	f := New(out, cfg, m, nil)
	return f.Run(ctx, consumer.Config{
		Stream:       es.stream,
		Checkpoints:  es.store,
		Consumer:     name,
		Drain:        drain,
		PollInterval: 10 * time.Millisecond,
		MaxRecords:   50,
	})
}

func openOutput(t testing.TB, url string, cfg output.Config) output.Output {
	t.Helper()
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 50 * time.Millisecond
	}
	out, err := output.Open(url, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	return out
}

// assertCheckpointedToEnd checks that every shard's checkpoint is its last
// record.
func (es *eventsStream) assertCheckpointedToEnd(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	shards, err := es.stream.Shards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range shards {
		r := &stream.Reader{Stream: es.stream, ShardID: sh.ID, PollInterval: time.Millisecond}
		last := ""
		for {
			b, err := r.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Records) == 0 {
				break
			}
			last = b.Records[len(b.Records)-1].SequenceNumber
		}
		cp, err := es.store.Get(ctx, name, sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		if last != "" && cp.Sequence != last {
			t.Errorf("%s: checkpoint %q, want the last record %s", sh.ID, cp.Sequence, last)
		}
	}
}

func TestForwardDrainsToBeats(t *testing.T) {
	es := newEventsStream(t, 3, 120, 25)
	rcv := startBeats(t, nil)
	out := openOutput(t, rcv.url(), output.Config{WindowSize: 100})
	m := &Metrics{Output: out.Stats}
	if err := es.run(context.Background(), out, Config{Window: 200}, "forward", true, m); err != nil {
		t.Fatal(err)
	}
	missing, dups := rcv.ledger.report(es.ids)
	if missing != 0 || dups != 0 {
		t.Errorf("%d of %d events missing, %d duplicates", missing, len(es.ids), dups)
	}
	es.assertCheckpointedToEnd(t, "forward")
	s := m.Snapshot()
	if s.EventsAcked != int64(len(es.ids)) || s.Records != 120 || s.Output.ConnectionsCreated == 0 {
		t.Errorf("stats %+v", s)
	}
	// The summary's lag per shard outlives the drain that read them.
	if shards, _ := es.stream.Shards(context.Background()); len(s.BehindTip) != len(shards) {
		t.Errorf("behind tip %v after the drain, want every shard's", s.BehindTip)
	}
	// Batches span several windows here: their acknowledged prefixes were
	// checkpointed before each batch ended.
	if s.Checkpoints == 0 {
		t.Errorf("no mid-batch checkpoints: %+v", s)
	}

	// A second drain has nothing left to send.
	before := s.EventsSent
	if err := es.run(context.Background(), out, Config{Window: 200}, "forward", true, m); err != nil {
		t.Fatal(err)
	}
	if got := m.Snapshot().EventsSent; got != before {
		t.Errorf("second drain sent %d events", got-before)
	}
}

// CheckpointInterval is the least time between two checkpoints of a shard,
// the consumer's end-of-batch ones included: under an interval longer than
// the run, no batch is checkpointed in the middle. The throttle's clock
// used to start at zero in every batch, so the first window of each was
// checkpointed at once, right after the previous batch's end.
func TestCheckpointIntervalSpansBatches(t *testing.T) {
	const records, perRec = 200, 5 // MaxRecords 50: four batches of 25 windows
	for _, tc := range []struct {
		interval time.Duration
		mid      func(int64) bool
		want     string
	}{
		{0, func(n int64) bool { return n >= 4*24 }, "every window but the last of each batch"},
		{time.Hour, func(n int64) bool { return n == 0 }, "none"},
	} {
		es := newEventsStream(t, 1, records, perRec)
		m := new(Metrics)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := es.run(ctx, &fakeSender{}, Config{Window: 10, CheckpointInterval: tc.interval}, "fw", true, m)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		es.assertCheckpointedToEnd(t, "fw")
		if n := m.Snapshot().Checkpoints; !tc.mid(n) {
			t.Errorf("CheckpointInterval %v: %d mid-batch checkpoints, want %s", tc.interval, n, tc.want)
		}
	}
}

// An operator's rewind of a forwarder in the middle of a batch (`elbstream
// checkpoints rewind`) is noticed by its next window's checkpoint: the
// forwarder drops the shard and delivers it again from the rewound
// position, and goes on running. It used to stop with the refused
// checkpoint's error.
func TestRewindOfARunningForwarderRedelivers(t *testing.T) {
	es := newEventsStream(t, 1, 100, 5)
	shards, err := es.stream.Shards(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := &fakeSender{SendFunc: func(ctx context.Context, call int, events [][]byte) error {
		if call == 3 { // windows 0-2 acknowledged and checkpointed
			return es.store.Rewind(context.Background(), "live", shards[0].ID, checkpoint.TrimHorizon)
		}
		return nil
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := es.run(ctx, out, Config{Window: 10}, "live", true, new(Metrics)); err != nil {
		t.Fatalf("Run = %v, want the rewound shard delivered again", err)
	}
	count := map[string]int{}
	for _, id := range out.acked {
		count[id]++
	}
	for i, id := range es.ids {
		switch n := count[id]; {
		case n == 0:
			t.Fatalf("event %d never acknowledged", i)
		case i < 30 && n < 2:
			t.Fatalf("event %d acknowledged %d times, want it delivered again after the rewind", i, n)
		}
	}
	es.assertCheckpointedToEnd(t, "live")
}

// takenStore hands every lease to another owner once stolen is set: the
// holder's checkpoints are refused, and no Acquire succeeds.
type takenStore struct {
	checkpoint.Store
	stolen atomic.Bool
}

func (s *takenStore) Set(ctx context.Context, consumer, shard, owner, seq string) error {
	if s.stolen.Load() {
		return fmt.Errorf("%w: lease held by another-forwarder", checkpoint.ErrNotOwner)
	}
	return s.Store.Set(ctx, consumer, shard, owner, seq)
}

func (s *takenStore) Acquire(ctx context.Context, consumer, shard, owner string, ttl time.Duration) (checkpoint.Checkpoint, error) {
	if s.stolen.Load() {
		return checkpoint.Checkpoint{}, fmt.Errorf("%w: another-forwarder", checkpoint.ErrLeaseHeld)
	}
	return s.Store.Acquire(ctx, consumer, shard, owner, ttl)
}

// A shard whose lease went to another forwarder is no longer reported as
// behind the tip here: its last lag used to stay in the metrics (and the
// Prometheus gauge) for ever.
func TestForwardForgetsTheLagOfAShardItLost(t *testing.T) {
	es := newEventsStream(t, 1, 100, 5)
	store := &takenStore{Store: es.store}
	m := new(Metrics)
	out := &fakeSender{SendFunc: func(context.Context, int, [][]byte) error {
		store.stolen.Store(true) // while the first window is in flight
		return nil
	}}
	f := New(out, Config{Window: 10}, m, nil)
	var observed atomic.Bool
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- f.Run(ctx, consumer.Config{
			Stream: es.stream, Checkpoints: store, Consumer: "fw",
			PollInterval: 10 * time.Millisecond, ListInterval: 10 * time.Millisecond, MaxRecords: 50,
			Observe: func(string, stream.Batch) { observed.Store(true) },
		})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !observed.Load() || len(m.Snapshot().BehindTip) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("behind tip %v after the shard's lease was taken", m.Snapshot().BehindTip)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestForwardDrainsToTCP(t *testing.T) {
	es := newEventsStream(t, 2, 60, 30)
	rcv := startTCP(t)
	out := openOutput(t, rcv.url(), output.Config{})
	if err := es.run(context.Background(), out, Config{}, "forward", true, nil); err != nil {
		t.Fatal(err)
	}
	// Written and flushed is all tcp promises; wait for the receiver to
	// read what the kernel holds.
	rcv.ledger.waitArrivals(t, len(es.ids))
	if missing, dups := rcv.ledger.report(es.ids); missing != 0 || dups != 0 {
		t.Errorf("%d missing, %d duplicates", missing, dups)
	}
	es.assertCheckpointedToEnd(t, "forward")
}

func TestForwardReceiverKilledMidRun(t *testing.T) {
	const maxInFlight = 300
	es := newEventsStream(t, 3, 150, 20) // 3000 events
	// The receiver is killed while it holds a batch unacknowledged, a third
	// of the way in.
	reached, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var rcv *beatsReceiver
	rcv = startBeats(t, func(int) {
		if rcv.ledger.arrivalsNow() >= len(es.ids)/3 {
			once.Do(func() { close(reached); <-release })
		}
	})
	out := openOutput(t, rcv.url(), output.Config{WindowSize: 50})
	m := &Metrics{Output: out.Stats}
	cfg := Config{Window: 100, MaxInFlight: maxInFlight}
	done := make(chan error, 1)
	go func() { done <- es.run(context.Background(), out, cfg, "forward", true, m) }()

	<-reached
	rcv.kill(func() { close(release) }) // unacknowledged batches are lost with it
	rcv.start()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	missing, dups := rcv.ledger.report(es.ids)
	if missing != 0 {
		t.Errorf("%d of %d events never arrived", missing, len(es.ids))
	}
	// Only what was in flight at the kill can arrive twice.
	if dups > maxInFlight {
		t.Errorf("%d duplicates, more than the %d events in flight", dups, maxInFlight)
	}
	es.assertCheckpointedToEnd(t, "forward")
	s := m.Snapshot()
	if s.Output.ConnectionsCreated < 2 {
		t.Errorf("%d connections created: the kill did not make the output redial", s.Output.ConnectionsCreated)
	}
	t.Logf("%d events, %d duplicates, %d resent by the output", len(es.ids), dups, s.Output.EventsRetried)
}

func TestForwardStoppedMidRunResumesFromCheckpoints(t *testing.T) {
	const shards, perRec = 3, 20
	es := newEventsStream(t, shards, 150, perRec)
	cfg := Config{Window: 50}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// SIGTERM arrives while the receiver holds a window, a third of the way.
	var once sync.Once
	var rcv *beatsReceiver
	rcv = startBeats(t, func(int) {
		if rcv.ledger.arrivalsNow() >= len(es.ids)/3 {
			once.Do(cancel)
		}
	})
	out := openOutput(t, rcv.url(), output.Config{WindowSize: 50})
	done := make(chan error, 1)
	go func() { done <- es.run(ctx, out, cfg, "forward", false, nil) }()
	if err := <-done; err != nil {
		t.Fatalf("stopped run: %v", err)
	}
	stoppedAt := rcv.ledger.arrivalsNow()
	if stoppedAt >= len(es.ids) {
		t.Fatalf("everything was delivered before the stop took effect")
	}
	if err := es.run(context.Background(), out, cfg, "forward", true, nil); err != nil {
		t.Fatal(err)
	}
	missing, dups := rcv.ledger.report(es.ids)
	if missing != 0 {
		t.Errorf("%d of %d events never arrived", missing, len(es.ids))
	}
	// A graceful stop checkpoints everything acknowledged; only a record
	// whose events were partly sent is sent again: one per shard at most.
	if dups > shards*perRec {
		t.Errorf("%d duplicates, more than one record per shard (%d)", dups, shards*perRec)
	}
	t.Logf("stopped after %d of %d events; %d duplicates", stoppedAt, len(es.ids), dups)
}

func TestForwardSlowReceiverBoundsEventsInFlight(t *testing.T) {
	const window, maxInFlight = 40, 100
	es := newEventsStream(t, 4, 80, 15)
	// A slow receiver, holding each batch a moment before acknowledging:
	// windows of all four shards pile up against the in-flight limit.
	rcv := startBeats(t, func(int) { time.Sleep(time.Millisecond) })
	out := openOutput(t, rcv.url(), output.Config{WindowSize: window, Connections: 4})
	m := &Metrics{}
	if err := es.run(context.Background(), out, Config{Window: window, MaxInFlight: maxInFlight}, "forward", true, m); err != nil {
		t.Fatal(err)
	}
	if missing, _ := rcv.ledger.report(es.ids); missing != 0 {
		t.Fatalf("%d events missing", missing)
	}
	if got := rcv.ledger.maxOutstandingNow(); got > maxInFlight {
		t.Errorf("receiver held %d unacknowledged events at once, limit %d", got, maxInFlight)
	}
	if got := m.Snapshot().MaxInFlight; got > maxInFlight {
		t.Errorf("%d events in flight at once, limit %d", got, maxInFlight)
	}
	t.Logf("in flight at most: %d (forwarder), %d (receiver); limit %d, 4 shards × window %d = %d without it",
		m.Snapshot().MaxInFlight, rcv.ledger.maxOutstandingNow(), maxInFlight, window, 4*window)
}

func TestReplayUnderNewConsumerLeavesLiveUntouched(t *testing.T) {
	es := newEventsStream(t, 2, 40, 10)
	rcv := startBeats(t, nil)
	out := openOutput(t, rcv.url(), output.Config{})
	if err := es.run(context.Background(), out, Config{}, "live", true, nil); err != nil {
		t.Fatal(err)
	}
	live, err := es.store.List(context.Background(), "live")
	if err != nil || len(live) != 2 {
		t.Fatal(live, err)
	}
	// More events arrive after a cut; replay from the cut under a new name.
	time.Sleep(2 * time.Millisecond)
	cut := time.Now()
	time.Sleep(2 * time.Millisecond)
	firstNew := len(es.ids)
	es.put(t, "late", 20)

	replay := newLedgerReceiver(t)
	out2 := openOutput(t, replay.url(), output.Config{})
	f := New(out2, Config{}, nil, nil)
	err = f.Run(context.Background(), consumer.Config{
		Stream: es.stream, Checkpoints: es.store, Consumer: "replay-" + t.Name(),
		StartAt: stream.Since(cut), Drain: true, PollInterval: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if missing, dups := replay.ledger.report(es.ids[firstNew:]); missing != 0 || dups != 0 {
		t.Errorf("replay: %d missing, %d duplicates", missing, dups)
	}
	if got := replay.ledger.arrivalsNow(); got != len(es.ids)-firstNew {
		t.Errorf("replay delivered %d events, want the %d after the cut", got, len(es.ids)-firstNew)
	}
	after, err := es.store.List(context.Background(), "live")
	if err != nil {
		t.Fatal(err)
	}
	for i := range live {
		if after[i].Sequence != live[i].Sequence || !after[i].UpdatedAt.Equal(live[i].UpdatedAt) {
			t.Errorf("live checkpoint moved: %+v -> %+v", live[i], after[i])
		}
	}
}

// newLedgerReceiver is a second beats receiver for a replay.
func newLedgerReceiver(t *testing.T) *beatsReceiver { return startBeats(t, nil) }

func TestHandlerWithBeatsReceiverKilledMidBatch(t *testing.T) {
	data, ids := recordsOf(t, "lambda-", 40, 25) // 1000 events
	ev := kinesisEvent(data)
	var once sync.Once
	var rcv *beatsReceiver
	killed, closed := make(chan struct{}), make(chan struct{})
	rcv = startBeats(t, func(int) {
		if rcv.ledger.arrivalsNow() >= 400 {
			once.Do(func() { close(killed) })
			// No batch from the kill point on is acknowledged before the
			// receiver is gone: the handler's sends cannot all succeed,
			// however late the kill comes on a loaded machine.
			<-closed
		}
	})
	go func() {
		<-killed
		rcv.kill(func() { close(closed) })
	}()
	out := openOutput(t, rcv.url(), output.Config{WindowSize: 50})
	h := NewHandler(out, Config{Window: 100, SafetyMargin: 300 * time.Millisecond}, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	resp, err := h.Handle(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Errorf("Handle returned after the invocation's deadline")
	}
	if len(resp.BatchItemFailures) != 1 {
		t.Fatalf("failures %+v, want one", resp.BatchItemFailures)
	}
	failed := -1
	for i, r := range ev.Records {
		if r.Kinesis.SequenceNumber == resp.BatchItemFailures[0].ItemIdentifier {
			failed = i
		}
	}
	if failed <= 0 {
		t.Fatalf("failure at record %d", failed)
	}
	seen := rcv.ledger.seenSet()
	for _, rid := range ids[:failed] {
		for _, id := range rid {
			if seen[id] == 0 {
				t.Fatalf("record before the failure has event %s undelivered", id)
			}
		}
	}

	// Lambda retries from the failed record on a warm environment: the
	// same output redials the restarted receiver.
	rcv.start()
	retry := kinesisEvent(data)
	retry.Records = retry.Records[failed:]
	resp, err = h.Handle(context.Background(), retry)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("retry: %+v %v", resp, err)
	}
	seen = rcv.ledger.seenSet()
	for _, rid := range ids {
		for _, id := range rid {
			if seen[id] == 0 {
				t.Fatalf("event %s never arrived", id)
			}
		}
	}
}
