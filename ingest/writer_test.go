package ingest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream"
)

// fakeStream is a stream.Stream made of function fields, for unit tests of
// the writer. Methods without a function fail the test.
type fakeStream struct {
	PutFunc func(ctx context.Context, entries []stream.Entry) ([]stream.PutResult, error)
	limits  stream.Limits
}

func (f *fakeStream) Put(ctx context.Context, entries []stream.Entry) ([]stream.PutResult, error) {
	return f.PutFunc(ctx, entries)
}
func (f *fakeStream) Shards(context.Context) ([]stream.Shard, error) { panic("not used") }
func (f *fakeStream) Iterate(context.Context, string, stream.Position) (stream.Iterator, error) {
	panic("not used")
}
func (f *fakeStream) Limits() stream.Limits { return f.limits }
func (f *fakeStream) Close() error          { return nil }

// recorder accepts entries and remembers them, failing some on request.
type recorder struct {
	mu       sync.Mutex
	accepted map[string]int // by Data
	calls    int
	inFlight atomic.Int32
	maxIn    atomic.Int32
	limits   stream.Limits
	// fail, when set, returns the error code for an entry ("" accepts).
	fail func(e stream.Entry) string
	// callErr, when set, fails a whole call.
	callErr func() error
	t       *testing.T
}

func (r *recorder) put(ctx context.Context, entries []stream.Entry) ([]stream.PutResult, error) {
	n := r.inFlight.Add(1)
	defer r.inFlight.Add(-1)
	for {
		m := r.maxIn.Load()
		if n <= m || r.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	size := 0
	for _, e := range entries {
		size += e.Size()
	}
	if len(entries) > r.limits.MaxPutEntries || size > r.limits.MaxPutBytes || len(entries) == 0 {
		r.t.Errorf("Put with %d entries, %d bytes: limits %d, %d", len(entries), size, r.limits.MaxPutEntries, r.limits.MaxPutBytes)
	}
	time.Sleep(time.Millisecond) // let calls overlap
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.callErr != nil {
		if err := r.callErr(); err != nil {
			return nil, err
		}
	}
	res := make([]stream.PutResult, len(entries))
	for i, e := range entries {
		if r.fail != nil {
			if code := r.fail(e); code != "" {
				res[i] = stream.PutResult{ErrorCode: code, ErrorMessage: "injected"}
				continue
			}
		}
		r.accepted[string(e.Data)]++
		res[i] = stream.PutResult{ShardID: "shardId-000000000000", SequenceNumber: strconv.Itoa(r.calls)}
	}
	return res, nil
}

func newRecorder(t *testing.T, limits stream.Limits) (*recorder, *fakeStream) {
	r := &recorder{accepted: map[string]int{}, limits: limits, t: t}
	return r, &fakeStream{PutFunc: r.put, limits: limits}
}

var fastRetry = WriterConfig{Concurrency: 3, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}

func entry(i, size int) stream.Entry {
	d := []byte(fmt.Sprintf("%08d", i))
	for len(d) < size {
		d = append(d, '.')
	}
	return stream.Entry{Data: d, PartitionKey: "pk" + strconv.Itoa(i%7)}
}

func TestWriterBatchesWithinLimits(t *testing.T) {
	limits := stream.Limits{MaxRecordBytes: 1000, MaxPutEntries: 7, MaxPutBytes: 3000, MaxPartitionKey: 256}
	rec, s := newRecorder(t, limits)
	stats := new(Stats)
	w := NewWriter(context.Background(), s, fastRetry, stats)
	var tr Tracker
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 500
	for i := range n {
		if err := w.Write(entry(i, 10+rng.IntN(900)), &tr, int64(i), 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tr.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rec.accepted) != n {
		t.Errorf("%d entries accepted, want %d", len(rec.accepted), n)
	}
	for d, c := range rec.accepted {
		if c != 1 {
			t.Errorf("entry %.8s accepted %d times", d, c)
		}
	}
	if got := rec.maxIn.Load(); got > int32(fastRetry.Concurrency) {
		t.Errorf("%d calls in flight, want <= %d", got, fastRetry.Concurrency)
	}
	s2 := stats.Summary()
	if s2.Records != n || s2.Lines != n || s2.PutCalls != int64(rec.calls) {
		t.Errorf("stats %+v, want %d records and lines, %d calls", s2, n, rec.calls)
	}
}

func TestWriterRetriesOnlyFailedEntries(t *testing.T) {
	rec, s := newRecorder(t, stream.DefaultLimits())
	var attempts sync.Map // Data → tries
	rng := rand.New(rand.NewPCG(5, 6))
	var rngMu sync.Mutex
	rec.fail = func(e stream.Entry) string {
		v, _ := attempts.LoadOrStore(string(e.Data), new(atomic.Int32))
		tries := v.(*atomic.Int32).Add(1)
		rngMu.Lock()
		defer rngMu.Unlock()
		switch {
		case tries > 5:
			return ""
		case rng.IntN(3) == 0:
			return stream.ErrCodeThrottled
		case rng.IntN(10) == 0:
			return stream.ErrCodeInternal
		}
		return ""
	}
	stats := new(Stats)
	w := NewWriter(context.Background(), s, fastRetry, stats)
	var tr Tracker
	const n = 2000
	for i := range n {
		if err := w.Write(entry(i, 50), &tr, int64(i), 2); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	if err := tr.Err(); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if c := rec.accepted[string(entry(i, 50).Data)]; c != 1 {
			t.Fatalf("entry %d accepted %d times, want once", i, c)
		}
	}
	sum := stats.Summary()
	if sum.Throttled == 0 || sum.Retries == 0 {
		t.Errorf("no throttling or retries counted: %+v", sum)
	}
	if sum.Records != n || sum.Lines != 2*n {
		t.Errorf("records %d lines %d, want %d and %d", sum.Records, sum.Lines, n, 2*n)
	}
	if written, accepted := tr.Entries(); written != n || accepted != n {
		t.Errorf("tracker: %d written, %d accepted", written, accepted)
	}
}

func TestWriterPermanentEntryFailure(t *testing.T) {
	rec, s := newRecorder(t, stream.DefaultLimits())
	rec.fail = func(e stream.Entry) string {
		if string(e.Data[:8]) == "00000003" {
			return "KMSAccessDeniedException"
		}
		return ""
	}
	w := NewWriter(context.Background(), s, fastRetry, nil)
	var good, bad Tracker
	for i := range 6 {
		tr := &good
		if i == 3 {
			tr = &bad
		}
		w.Write(entry(i, 10), tr, int64(100*i), 1)
	}
	w.Close()
	if err := good.Err(); err != nil {
		t.Errorf("good object: %v", err)
	}
	err := bad.Err()
	if err == nil {
		t.Fatal("bad object: no error")
	}
	if u, ok := bad.Unwritten(); !ok || u != 300 {
		t.Errorf("Unwritten() = %d, %v; want 300", u, ok)
	}
	if rec.calls != 1 {
		t.Errorf("%d calls: a permanent failure must not be retried", rec.calls)
	}
}

func TestWriterCallErrors(t *testing.T) {
	t.Run("retryable", func(t *testing.T) {
		rec, s := newRecorder(t, stream.DefaultLimits())
		var n int
		rec.callErr = func() error {
			n++
			if n <= 2 {
				return fmt.Errorf("kinesis: put records: %w", stream.ErrThrottled)
			}
			return nil
		}
		w := NewWriter(context.Background(), s, fastRetry, nil)
		var tr Tracker
		w.Write(entry(1, 10), &tr, 0, 1)
		w.Close()
		if err := tr.Err(); err != nil || len(rec.accepted) != 1 {
			t.Errorf("err %v, %d accepted", err, len(rec.accepted))
		}
	})
	t.Run("permanent", func(t *testing.T) {
		rec, s := newRecorder(t, stream.DefaultLimits())
		rec.callErr = func() error { return fmt.Errorf("kinesis: %w", stream.ErrStreamNotFound) }
		w := NewWriter(context.Background(), s, fastRetry, nil)
		var tr Tracker
		w.Write(entry(1, 10), &tr, 0, 1)
		w.Close()
		if err := tr.Err(); !errors.Is(err, stream.ErrStreamNotFound) {
			t.Errorf("err %v, want stream not found", err)
		}
		if rec.calls != 1 {
			t.Errorf("%d calls, want 1", rec.calls)
		}
	})
}

func TestWriterDeadline(t *testing.T) {
	rec, s := newRecorder(t, stream.DefaultLimits())
	// Entries from offset 500 on are throttled for ever.
	rec.fail = func(e stream.Entry) string {
		if i, _ := strconv.Atoi(string(e.Data[:8])); i >= 5 {
			return stream.ErrCodeThrottled
		}
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	w := NewWriter(ctx, s, fastRetry, nil)
	var tr Tracker
	for i := range 10 {
		w.Write(entry(i, 10), &tr, int64(100*i), 1)
	}
	w.Close()
	err := tr.Err()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want deadline exceeded", err)
	}
	if u, ok := tr.Unwritten(); !ok || u != 500 {
		t.Errorf("Unwritten() = %d, %v; want 500", u, ok)
	}
}
