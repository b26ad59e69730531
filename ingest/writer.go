package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/elbstream/elbstream/stream"
)

// Writer defaults.
const (
	// DefaultConcurrency is the number of PutRecords calls in flight.
	DefaultConcurrency = 4
	// DefaultMinBackoff is the first retry's wait.
	DefaultMinBackoff = 100 * time.Millisecond
	// DefaultMaxBackoff caps the wait between retries.
	DefaultMaxBackoff = 5 * time.Second
)

// WriterConfig tunes a Writer. The zero value works.
type WriterConfig struct {
	// Concurrency is the number of Put calls in flight. Memory held by
	// the writer is at most (Concurrency+1) × Limits().MaxPutBytes.
	// Default: DefaultConcurrency (4).
	Concurrency int
	// MinBackoff is the first retry's wait. Default: 100ms.
	MinBackoff time.Duration
	// MaxBackoff caps the jittered exponential wait between retries.
	// Default: 5s.
	MaxBackoff time.Duration
}

func (c WriterConfig) withDefaults() WriterConfig {
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = DefaultMinBackoff
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	c.MinBackoff = min(c.MinBackoff, c.MaxBackoff)
	return c
}

// Writer puts aggregated records on a stream: it packs them into Put calls
// within the stream's limits (entries and bytes per call), keeps up to
// Concurrency calls in flight, and retries only the entries that failed —
// throttled or internal failures, and calls that failed as a whole with a
// retryable error — with capped, jittered backoff, until each is accepted,
// rejected for good, or the writer's context ends. Write blocks while all
// calls are busy, which bounds memory and slows the reader to the stream's
// pace.
//
// Each entry belongs to a Tracker (one per object), which ends up knowing
// whether all its entries were accepted. Results are final once Close has
// returned.
//
// Write and Close are called from one goroutine.
type Writer struct {
	s      stream.Stream
	limits stream.Limits
	cfg    WriterConfig
	stats  *Stats
	ctx    context.Context
	cancel context.CancelCauseFunc // ends ctx on a failure no retry cures

	work chan *putBatch
	wg   sync.WaitGroup
	cur  *putBatch
	done bool
}

// putBatch is one Put call's worth of entries.
type putBatch struct {
	entries []stream.Entry
	refs    []entryRef
	bytes   int
}

// entryRef says where an entry came from.
type entryRef struct {
	t     *Tracker
	first int64 // offset of its first line in the object
	lines int64
}

// NewWriter starts a writer on s. Its calls run under ctx: when ctx ends,
// entries not yet accepted fail with ctx's error. A Put call that fails
// with an error retrying cannot cure (access denied, no such stream) ends
// the writer the same way, with that error (see Failed): every later entry
// would fail alike. stats may be nil.
func NewWriter(ctx context.Context, s stream.Stream, cfg WriterConfig, stats *Stats) *Writer {
	if stats == nil {
		stats = new(Stats)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	w := &Writer{
		cancel: cancel,
		s:      s,
		limits: limitsOf(s),
		cfg:    cfg.withDefaults(),
		stats:  stats,
		ctx:    ctx,
		work:   make(chan *putBatch),
	}
	w.wg.Add(w.cfg.Concurrency)
	for range w.cfg.Concurrency {
		go func() {
			defer w.wg.Done()
			for b := range w.work {
				w.put(b)
			}
		}()
	}
	return w
}

// limitsOf returns s's limits with Kinesis's defaults for unset fields.
func limitsOf(s stream.Stream) stream.Limits {
	l, d := s.Limits(), stream.DefaultLimits()
	if l.MaxRecordBytes <= 0 {
		l.MaxRecordBytes = d.MaxRecordBytes
	}
	if l.MaxPutEntries <= 0 {
		l.MaxPutEntries = d.MaxPutEntries
	}
	if l.MaxPutBytes <= 0 {
		l.MaxPutBytes = max(d.MaxPutBytes, l.MaxRecordBytes)
	}
	if l.MaxPartitionKey <= 0 {
		l.MaxPartitionKey = d.MaxPartitionKey
	}
	return l
}

// Write queues e, which holds lines lines of t's object starting at offset
// first. e.Data must not be modified afterwards. Write returns an error
// only when the writer's context has ended; the entry is then recorded as
// failed in t, and the caller should stop reading.
func (w *Writer) Write(e stream.Entry, t *Tracker, first, lines int64) error {
	if w.done {
		panic("ingest: Writer.Write after Close")
	}
	t.add()
	size := e.Size()
	if w.cur != nil && (len(w.cur.entries) >= w.limits.MaxPutEntries || w.cur.bytes+size > w.limits.MaxPutBytes) {
		if err := w.send(); err != nil {
			t.fail(first, err)
			return err
		}
	}
	if w.cur == nil {
		w.cur = &putBatch{}
	}
	w.cur.entries = append(w.cur.entries, e)
	w.cur.refs = append(w.cur.refs, entryRef{t: t, first: first, lines: lines})
	w.cur.bytes += size
	return w.ctx.Err()
}

// Flush hands the partly filled call to a worker without waiting for it.
func (w *Writer) Flush() error {
	if w.cur == nil {
		return w.ctx.Err()
	}
	return w.send()
}

func (w *Writer) send() error {
	b := w.cur
	w.cur = nil
	select {
	case w.work <- b:
		return nil
	case <-w.ctx.Done():
		err := fmt.Errorf("put records: %w", context.Cause(w.ctx))
		failRefs(b.refs, nil, err)
		return err
	}
}

// Close sends what is queued and waits until every entry is accepted or
// has failed. It returns the context's error if it ended, else nil; per
// object results are in the Trackers.
func (w *Writer) Close() error {
	if w.done {
		return nil
	}
	err := w.Flush()
	w.done = true
	close(w.work)
	w.wg.Wait()
	return err
}

// put puts one call's worth of entries with stream.PutAll, which puts the
// failed ones again alone, and records each entry's result in its Tracker.
func (w *Writer) put(b *putBatch) {
	if w.ctx.Err() != nil {
		failRefs(b.refs, nil, fmt.Errorf("put records: %w", context.Cause(w.ctx)))
		return
	}
	settled := make([]bool, len(b.refs)) // done was called for the entry
	err := stream.PutAll(w.ctx, w.s, b.entries, stream.PutRetry{
		MinBackoff: w.cfg.MinBackoff,
		MaxBackoff: w.cfg.MaxBackoff,
		OnPut: func(round, n, throttled int) {
			w.stats.putCalls.Add(1)
			if round > 1 {
				w.stats.retries.Add(int64(n))
			}
			w.stats.throt.Add(int64(throttled))
		},
	}, func(i int, r stream.PutResult) {
		settled[i] = true
		ref := b.refs[i]
		if !r.OK() {
			ref.t.fail(ref.first, fmt.Errorf("put records: entry rejected: %s: %s", r.ErrorCode, r.ErrorMessage))
			return
		}
		w.stats.records.Add(1)
		w.stats.lines.Add(ref.lines)
		ref.t.ok()
	})
	if err != nil {
		if w.ctx.Err() == nil && !stream.IsRetryable(err) {
			w.cancel(err)
		}
		failRefs(b.refs, settled, fmt.Errorf("put records: %w", err))
	}
}

// Failed returns the error that ended the writer when a Put call failed
// for good (see NewWriter), and nil otherwise, also once its context was
// cancelled or passed its deadline.
func (w *Writer) Failed() error {
	c := context.Cause(w.ctx)
	if c == nil || errors.Is(c, context.Canceled) || errors.Is(c, context.DeadlineExceeded) {
		return nil
	}
	return c
}

// failRefs records err for every entry of refs not settled yet (all of
// them when settled is nil).
func failRefs(refs []entryRef, settled []bool, err error) {
	for i, r := range refs {
		if settled == nil || !settled[i] {
			r.t.fail(r.first, err)
		}
	}
}

// Tracker follows the entries written for one object. Its results are
// final once the Writer is closed.
type Tracker struct {
	mu        sync.Mutex
	entries   int64
	accepted  int64
	sealing   int64 // entries handed to the finisher, not yet to the writer
	err       error
	unwritten int64 // valid when err != nil
}

func (t *Tracker) seal(n int64) {
	t.mu.Lock()
	t.sealing += n
	t.mu.Unlock()
}

// done reports whether every entry of the object is written and accepted,
// none still on its way to the writer: its outcome can no longer change.
func (t *Tracker) done() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sealing == 0 && t.err == nil && t.accepted == t.entries
}

func (t *Tracker) add() {
	t.mu.Lock()
	t.entries++
	t.mu.Unlock()
}

func (t *Tracker) ok() {
	t.mu.Lock()
	t.accepted++
	t.mu.Unlock()
}

func (t *Tracker) fail(first int64, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err == nil || first < t.unwritten {
		t.unwritten = first
	}
	if t.err == nil {
		t.err = err
	}
}

// Err returns the first write failure of the object's entries, or nil when
// every entry was accepted.
func (t *Tracker) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err == nil && t.accepted < t.entries {
		return errors.New("put records: writes not finished")
	}
	return t.err
}

// Unwritten returns the offset of the first line of the earliest entry
// that was not accepted, when some entry failed: re-reading from there
// loses nothing (and repeats the accepted entries after it).
func (t *Tracker) Unwritten() (int64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.unwritten, t.err != nil
}

// Entries returns how many entries were written for the object and how
// many of them were accepted.
func (t *Tracker) Entries() (written, accepted int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.entries, t.accepted
}
