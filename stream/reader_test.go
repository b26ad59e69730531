package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/elbstream/elbstream/internal/backoff"
)

// fakeStream is a Stream whose Iterate is a function field; the other
// methods are not used by the Reader.
type fakeStream struct {
	IterateFunc func(ctx context.Context, shardID string, from Position) (Iterator, error)
}

func (f *fakeStream) Put(context.Context, []Entry) ([]PutResult, error) {
	return nil, errors.New("fake: put not implemented")
}
func (f *fakeStream) Shards(context.Context) ([]Shard, error) {
	return nil, errors.New("fake: shards not implemented")
}
func (f *fakeStream) Iterate(ctx context.Context, shardID string, from Position) (Iterator, error) {
	return f.IterateFunc(ctx, shardID, from)
}
func (f *fakeStream) Limits() Limits { return DefaultLimits() }
func (f *fakeStream) Close() error   { return nil }

type fakeIterator struct {
	NextFunc func(ctx context.Context, max int) (Batch, error)
}

func (f *fakeIterator) Next(ctx context.Context, max int) (Batch, error) { return f.NextFunc(ctx, max) }

// shardLog is a fake shard: records with sequence numbers 1..n, served
// from a position, with scripted failures. Each Iterate opens a new
// iterator; opens records every position asked for.
type shardLog struct {
	t       *testing.T
	n       int  // records in the shard
	closed  bool // the shard is closed: EndOfShard after the last record
	batch   int  // records per batch at most (besides max)
	opens   []Position
	fail    []error // errors returned by successive Next calls before serving
	openErr []error // errors returned by successive Iterate calls
	calls   int     // Next calls
}

func (s *shardLog) stream() *fakeStream {
	return &fakeStream{IterateFunc: func(ctx context.Context, shardID string, from Position) (Iterator, error) {
		if shardID != "shard-0" {
			s.t.Errorf("Iterate(%q), want shard-0", shardID)
		}
		s.opens = append(s.opens, from)
		if len(s.openErr) > 0 {
			err := s.openErr[0]
			s.openErr = s.openErr[1:]
			return nil, err
		}
		next := 1
		switch from.Kind {
		case TrimHorizon:
		case AfterSequence:
			n, err := strconv.Atoi(from.Sequence)
			if err != nil {
				return nil, fmt.Errorf("fake: %w", ErrInvalidPosition)
			}
			next = n + 1
		default:
			s.t.Errorf("Iterate from %+v, want TrimHorizon or AfterSequence", from)
		}
		ended := false
		return &fakeIterator{NextFunc: func(ctx context.Context, max int) (Batch, error) {
			s.calls++
			if ended {
				s.t.Fatal("Next called after EndOfShard")
			}
			if len(s.fail) > 0 {
				err := s.fail[0]
				s.fail = s.fail[1:]
				if err != nil {
					return Batch{}, err
				}
			}
			var b Batch
			for next <= s.n && len(b.Records) < max && len(b.Records) < s.batch {
				b.Records = append(b.Records, Record{SequenceNumber: strconv.Itoa(next), Data: []byte("r" + strconv.Itoa(next))})
				next++
			}
			if next > s.n && len(b.Records) == 0 && s.closed {
				ended = true
				b.EndOfShard = true
				b.ChildShards = []string{"shard-1"}
			}
			return b, nil
		}}, nil
	}}
}

// recordWaits makes r's waits instant and returns what they asked for.
func recordWaits(r *Reader) *[]time.Duration {
	var waits []time.Duration
	r.wait = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return ctx.Err()
	}
	return &waits
}

// readAll calls Next until io.EOF and returns the sequence numbers read.
func readAll(t *testing.T, r *Reader) []string {
	t.Helper()
	var seqs []string
	for i := 0; i < 1000; i++ {
		b, err := r.Next(context.Background())
		if err == io.EOF {
			return seqs
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		for _, rec := range b.Records {
			seqs = append(seqs, rec.SequenceNumber)
		}
	}
	t.Fatal("no io.EOF after 1000 batches")
	return nil
}

func wantSequence(t *testing.T, got []string, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("read %d records %v, want %d", len(got), got, n)
	}
	for i, s := range got {
		if s != strconv.Itoa(i+1) {
			t.Fatalf("record %d has sequence %s, want %d (read %v)", i, s, i+1, got)
		}
	}
}

func TestReaderReadsToEndOfShard(t *testing.T) {
	log := &shardLog{t: t, n: 25, closed: true, batch: 10}
	r := &Reader{Stream: log.stream(), ShardID: "shard-0"}
	waits := recordWaits(r)

	var ends int
	var children []string
	var seqs []string
	for {
		b, err := r.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if b.EndOfShard {
			ends++
			children = b.ChildShards
		}
		for _, rec := range b.Records {
			seqs = append(seqs, rec.SequenceNumber)
		}
		if r.Last() != "" && len(seqs) > 0 && r.Last() != seqs[len(seqs)-1] {
			t.Fatalf("Last() = %s after reading %v", r.Last(), seqs)
		}
	}
	wantSequence(t, seqs, 25)
	if ends != 1 || len(children) != 1 || children[0] != "shard-1" {
		t.Errorf("EndOfShard seen %d times with children %v, want once with [shard-1]", ends, children)
	}
	if len(log.opens) != 1 || log.opens[0].Kind != TrimHorizon {
		t.Errorf("opened at %+v, want once at TrimHorizon", log.opens)
	}
	if len(*waits) != 0 {
		t.Errorf("waited %v, want no wait when every batch had records", *waits)
	}
	if _, err := r.Next(context.Background()); err != io.EOF {
		t.Errorf("Next after io.EOF = %v, want io.EOF again", err)
	}
}

func TestReaderPassesMaxRecords(t *testing.T) {
	log := &shardLog{t: t, n: 7, closed: true, batch: 100}
	r := &Reader{Stream: log.stream(), ShardID: "shard-0", MaxRecords: 3}
	recordWaits(r)
	b, err := r.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Records) != 3 {
		t.Errorf("first batch has %d records, want MaxRecords = 3", len(b.Records))
	}
	wantSequence(t, append([]string{"1", "2", "3"}, readAll(t, r)...), 7)
}

func TestReaderRetriesThrottlingAndTransientFailures(t *testing.T) {
	log := &shardLog{t: t, n: 5, closed: true, batch: 100,
		fail: []error{
			fmt.Errorf("get records: %w", ErrThrottled),
			fmt.Errorf("get records: %w", ErrTransient),
			fmt.Errorf("get records: %w", ErrThrottled),
		},
		openErr: []error{fmt.Errorf("get shard iterator: %w", ErrThrottled)},
	}
	r := &Reader{Stream: log.stream(), ShardID: "shard-0", MaxBackoff: 300 * time.Millisecond}
	waits := recordWaits(r)

	wantSequence(t, readAll(t, r), 5)
	if r.Retries() != 4 {
		t.Errorf("Retries() = %d, want 4", r.Retries())
	}
	if len(*waits) != 4 {
		t.Fatalf("waited %v, want 4 backoffs", *waits)
	}
	for i, d := range *waits {
		if d <= 0 || d > 300*time.Millisecond {
			t.Errorf("backoff %d = %v, want in (0, MaxBackoff]", i, d)
		}
	}
	// Throttling on the iterator keeps the iterator: only the failed open
	// is repeated.
	if len(log.opens) != 2 {
		t.Errorf("opened %d times, want 2 (one failed)", len(log.opens))
	}
}

func TestReaderReopensExpiredIteratorAfterLast(t *testing.T) {
	log := &shardLog{t: t, n: 30, closed: true, batch: 10}
	r := &Reader{Stream: log.stream(), ShardID: "shard-0"}
	waits := recordWaits(r)

	b, err := r.Next(context.Background())
	if err != nil || len(b.Records) != 10 {
		t.Fatalf("first Next = %d records, %v", len(b.Records), err)
	}
	// The iterator expires while the consumer works on the batch; twice
	// in a row, so that the second expiry is backed off.
	log.fail = []error{
		fmt.Errorf("get records: %w", ErrExpiredIterator),
		fmt.Errorf("get records: %w", ErrExpiredIterator),
	}
	seqs := append([]string{}, recordSeqs(b)...)
	seqs = append(seqs, readAll(t, r)...)
	wantSequence(t, seqs, 30)

	want := []Position{{Kind: TrimHorizon}, After("10"), After("10")}
	if fmt.Sprint(log.opens) != fmt.Sprint(want) {
		t.Errorf("opened at %v, want %v", log.opens, want)
	}
	if len(*waits) != 1 {
		t.Errorf("waited %v, want one backoff (the first expiry re-opens at once)", *waits)
	}
}

func TestReaderReopensExpiredIteratorAtFromWhenNothingRead(t *testing.T) {
	log := &shardLog{t: t, n: 3, closed: true, batch: 10,
		fail: []error{fmt.Errorf("get records: %w", ErrExpiredIterator)}}
	from := After("1")
	r := &Reader{Stream: log.stream(), ShardID: "shard-0", From: from}
	recordWaits(r)
	seqs := readAll(t, r)
	if fmt.Sprint(seqs) != "[2 3]" {
		t.Errorf("read %v, want [2 3]", seqs)
	}
	if want := []Position{from, from}; fmt.Sprint(log.opens) != fmt.Sprint(want) {
		t.Errorf("opened at %v, want %v", log.opens, want)
	}
}

func TestReaderReturnsPermanentErrors(t *testing.T) {
	log := &shardLog{t: t, n: 3, closed: true, batch: 10,
		openErr: []error{fmt.Errorf("get shard iterator: %w", ErrShardNotFound)}}
	r := &Reader{Stream: log.stream(), ShardID: "shard-0"}
	recordWaits(r)
	_, err := r.Next(context.Background())
	if !errors.Is(err, ErrShardNotFound) {
		t.Fatalf("Next = %v, want ErrShardNotFound", err)
	}
	// The reader stays usable: the next call opens again.
	wantSequence(t, readAll(t, r), 3)
}

func TestReaderWaitsAfterEmptyBatch(t *testing.T) {
	log := &shardLog{t: t, n: 2, batch: 10} // open shard: never ends
	r := &Reader{Stream: log.stream(), ShardID: "shard-0", PollInterval: 3 * time.Second}
	waits := recordWaits(r)
	ctx := context.Background()

	for i, want := range []int{2, 0, 0} {
		b, err := r.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Records) != want {
			t.Fatalf("batch %d has %d records, want %d", i, len(b.Records), want)
		}
	}
	// One wait before the third call, none before the second.
	if len(*waits) != 1 {
		t.Fatalf("waited %v, want once", *waits)
	}
	if d := (*waits)[0]; d <= 0 || d > 3*time.Second {
		t.Errorf("waited %v after an empty batch, want in (0, PollInterval]", d)
	}
	if log.calls != 3 {
		t.Errorf("%d Next calls on the iterator, want 3", log.calls)
	}
}

func TestReaderPollsSoonerWhenBehind(t *testing.T) {
	calls := 0
	s := &fakeStream{IterateFunc: func(context.Context, string, Position) (Iterator, error) {
		return &fakeIterator{NextFunc: func(context.Context, int) (Batch, error) {
			calls++
			return Batch{BehindTip: time.Hour}, nil
		}}, nil
	}}
	r := &Reader{Stream: s, ShardID: "shard-0", PollInterval: 10 * time.Second}
	waits := recordWaits(r)
	for range 2 {
		if _, err := r.Next(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(*waits) != 1 || (*waits)[0] > behindPoll {
		t.Errorf("waited %v, want one wait of at most %v", *waits, behindPoll)
	}
}

func TestReaderStopsWithContext(t *testing.T) {
	throttled := fmt.Errorf("get records: %w", ErrThrottled)
	s := &fakeStream{IterateFunc: func(context.Context, string, Position) (Iterator, error) {
		return &fakeIterator{NextFunc: func(context.Context, int) (Batch, error) {
			return Batch{}, throttled
		}}, nil
	}}

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		r := &Reader{Stream: s, ShardID: "shard-0"}
		r.wait = func(ctx context.Context, d time.Duration) error {
			cancel() // the process is asked to stop while backing off
			return backoff.Sleep(ctx, d)
		}
		_, err := r.Next(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Next = %v, want context.Canceled", err)
		}
	})

	t.Run("deadline before backoff ends", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		r := &Reader{Stream: s, ShardID: "shard-0", MaxBackoff: 2 * time.Hour}
		waits := recordWaits(r)
		_, err := r.Next(ctx)
		if !errors.Is(err, ErrThrottled) {
			t.Errorf("Next = %v, want the throttling error once backoff would pass the deadline", err)
		}
		for _, d := range *waits {
			if d > time.Hour {
				t.Errorf("slept %v with an hour left", d)
			}
		}
	})

	t.Run("real sleep honours cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		r := &Reader{Stream: s, ShardID: "shard-0", MaxBackoff: time.Hour}
		_, err := r.Next(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Next = %v, want context.Canceled", err)
		}
	})
}

func recordSeqs(b Batch) []string {
	var s []string
	for _, r := range b.Records {
		s = append(s, r.SequenceNumber)
	}
	return s
}

// BenchmarkReaderNext measures what the Reader adds to an Iterator's Next
// (a fake that returns a ready batch of 500 records): "iterator" is the
// baseline, "reader" the same through Reader.Next.
func BenchmarkReaderNext(b *testing.B) {
	batch := Batch{Records: make([]Record, 500)}
	for i := range batch.Records {
		batch.Records[i] = Record{SequenceNumber: strconv.Itoa(i), Data: make([]byte, 100)}
	}
	it := &fakeIterator{NextFunc: func(context.Context, int) (Batch, error) { return batch, nil }}
	s := &fakeStream{IterateFunc: func(context.Context, string, Position) (Iterator, error) { return it, nil }}
	ctx := context.Background()

	b.Run("iterator", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := it.Next(ctx, DefaultMaxReadRecords); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reader", func(b *testing.B) {
		r := &Reader{Stream: s, ShardID: "shard-0"}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Next(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
