package ingest

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/kpl"
)

// Config tunes ingestion. The zero value works.
type Config struct {
	// MaxLineBytes is the longest line kept whole; a longer line is cut,
	// marked (TruncationMarker) and counted. It is lowered when needed so
	// that a marked line fits one stream record, and raised to
	// MinMaxLineBytes. Default: DefaultMaxLineBytes (64 KiB).
	MaxLineBytes int
	// Writer tunes the PutRecords writer: calls in flight and backoff.
	Writer WriterConfig
	// Filter selects the keys that notifications and listings announce.
	// Objects named explicitly (a CLI argument s3://bucket/key, a file)
	// are not filtered.
	Filter Filter
	// SafetyMargin is how long before a Lambda invocation's deadline the
	// handler stops reading, finishes the writes in flight and invokes
	// the continuation. It is lowered to half the time an invocation
	// starts with, so that every invocation makes progress.
	// Default: DefaultSafetyMargin (20s).
	SafetyMargin time.Duration
}

// DefaultSafetyMargin is the default Config.SafetyMargin.
const DefaultSafetyMargin = 20 * time.Second

// Ingester reads log objects, splits them into lines, packs the lines into
// KPL aggregated records with their provenance, and writes them to a
// stream.
type Ingester struct {
	Stream stream.Stream
	// Objects reads S3 objects; needed only to ingest from S3.
	Objects ObjectGetter
	Config  Config
}

// Run is one ingestion run: objects read one after another, their records
// written through one Writer, so that the writes of one object overlap the
// reading of the next. Results are final once Close has returned.
//
// A Run is used from one goroutine.
type Run struct {
	in     *Ingester
	ctx    context.Context
	cancel context.CancelFunc
	w      *Writer
	stats  *Stats
	limits stream.Limits
	agg    *kpl.Aggregator // being filled by the reader

	// The aggregate's MD5 trailer costs as much CPU as decompression,
	// so a finisher goroutine seals full aggregates and hands them to
	// the writer while the reader fills the next one.
	free      chan *kpl.Aggregator
	sealed    chan sealed
	finished  chan struct{}
	writeFail atomic.Bool // the writer's context ended: stop reading
	stopAt    time.Time   // zero: never stop reading early
	halt      atomic.Bool // Stop was called: stop reading now
	now       func() time.Time
	stopped   bool
	results   []*Result
	forgetAt  int // len(results) at which to forget what is done
	closed    bool

	// OnDone, if set before the first object, is called (from the
	// goroutine using the Run) with each object that was read to its end
	// and every line of which the stream accepted, when the Run forgets
	// it: a Run keeps the results of objects in flight, failed or
	// stopped, not of every object read, so that a run over millions of
	// objects keeps its memory. Results no longer holds such a result
	// afterwards; at Close the rest are still there.
	OnDone func(*Result)
}

// forgetEvery is how many results a Run holds before it forgets those
// that are done (and at least twice as many as it keeps).
const forgetEvery = 1024

// add records res, forgetting the results that are done and the skipped
// ones (their counts are in the stats) every forgetEvery objects.
func (r *Run) add(res *Result) {
	r.results = append(r.results, res)
	if len(r.results) < max(r.forgetAt, forgetEvery) {
		return
	}
	keep := r.results[:0]
	for i, old := range r.results {
		switch {
		case i == len(r.results)-1:
			keep = append(keep, old) // res, not read yet
		case old.Skipped != "":
		case old.readErr == nil && !old.Stopped && old.tracker.done():
			if r.OnDone != nil {
				r.OnDone(old)
			}
		default:
			keep = append(keep, old)
		}
	}
	clear(r.results[len(keep):])
	r.results = keep
	r.forgetAt = 2 * len(keep)
}

// Result is the outcome of one object.
type Result struct {
	Task Task
	// Name is what the object is called in messages (s3://…, or a path).
	Name string
	// Source is the provenance identity the lines were written with.
	Source string
	// Skipped is the reason the object was not read, or "".
	Skipped string
	// Stopped is set when reading stopped early for the deadline; Next
	// is then where to resume.
	Stopped bool
	// Next is the offset after the last line read.
	Next int64
	// VersionID and ETag are those of the object read (S3 only).
	VersionID, ETag string
	// Gzip is set when the stored object was gzip-compressed.
	Gzip bool

	readErr error
	tracker Tracker
	counted bool // among the objects read, from when its read ended
}

// Err returns why the object was not ingested completely: a read error
// (missing object, broken gzip, …) or a write failure. It is final once
// the Run is closed.
func (r *Result) Err() error {
	if r.readErr != nil {
		return r.readErr
	}
	if r.Skipped != "" {
		return nil
	}
	return r.tracker.Err()
}

// Accepted returns the offset below which the stream accepted every line of
// the object, once the run is closed: where a later read can take up a
// failed object without writing any line twice (and with none lost, since
// a line is written whole or not at all).
func (r *Result) Accepted() int64 {
	next := max(r.Next, r.Task.Offset)
	if u, failed := r.tracker.Unwritten(); failed {
		next = min(next, u)
	}
	return next
}

// Resume returns where a later invocation should continue the object, when
// it was not finished: after a deadline stop, or when writes failed only
// because the write deadline passed. ok is false when the object is done or
// failed for another reason.
func (r *Result) Resume() (t Task, ok bool) {
	if r.readErr != nil || r.Skipped != "" {
		return Task{}, false
	}
	next, stopped := r.Next, r.Stopped
	if err := r.tracker.Err(); err != nil {
		if !errors.Is(err, context.DeadlineExceeded) {
			return Task{}, false
		}
		u, _ := r.tracker.Unwritten()
		next, stopped = min(next, u), true
	}
	if !stopped {
		return Task{}, false
	}
	t = r.Task
	t.Offset, t.Gzip = next, r.Gzip
	if r.ETag != "" {
		t.ETag = r.ETag
	}
	if r.VersionID != "" {
		t.VersionID = r.VersionID
	}
	return t, true
}

// Start begins a run bound to ctx: when ctx ends, reading stops and
// records not yet accepted fail.
func (in *Ingester) Start(ctx context.Context) *Run {
	return in.start(ctx, time.Time{}, time.Time{})
}

// start begins a run that stops reading at stopAt and gives up writing at
// writeBy (either may be zero: never).
func (in *Ingester) start(ctx context.Context, stopAt, writeBy time.Time) *Run {
	ctx, cancel := context.WithCancel(ctx)
	wctx, wcancel := context.WithCancel(ctx)
	if !writeBy.IsZero() {
		wctx, wcancel = context.WithDeadline(ctx, writeBy)
	}
	stats := new(Stats)
	r := &Run{
		in:     in,
		ctx:    ctx,
		cancel: func() { wcancel(); cancel() },
		stats:  stats,
		limits: limitsOf(in.Stream),
		stopAt: stopAt,
		now:    time.Now,
		w:      NewWriter(wctx, in.Stream, in.Config.Writer, stats),
	}
	r.free = make(chan *kpl.Aggregator, aggregators)
	for range aggregators {
		r.free <- &kpl.Aggregator{MaxBytes: r.limits.MaxRecordBytes}
	}
	r.agg = <-r.free
	r.sealed = make(chan sealed, aggregators-2)
	r.finished = make(chan struct{})
	go r.finish()
	return r
}

// refused fails res without reading it when the stream refuses writes for
// good, and reports whether it did.
func (r *Run) refused(res *Result) bool {
	if err := r.w.Failed(); err != nil {
		res.readErr = fmt.Errorf("not read: the stream refuses writes: %w", err)
		return true
	}
	return false
}

// Stats returns the run's live counters.
func (r *Run) Stats() *Stats { return r.stats }

// Stopped reports whether reading stopped for the deadline or Stop.
func (r *Run) Stopped() bool { return r.stopped || r.halt.Load() }

// Stop makes reading stop at the next line boundary, as the deadline stop
// does: the object in hand ends Stopped, with Next where to resume (see
// Result.Resume), and objects given afterwards are not read (Stopped at
// their first line). Writes already made go on; Close waits for them. Stop
// may be called from any goroutine (a signal handler's), unlike the rest.
func (r *Run) Stop() { r.halt.Store(true) }

// Results returns the results the Run holds, in the order the objects were
// given: every object's until the Run forgets those done (see OnDone).
func (r *Run) Results() []*Result { return r.results }

// Skip records an object that is not read, with the reason.
func (r *Run) Skip(t Task, name, reason string) *Result {
	res := &Result{Task: t, Name: name, Skipped: reason}
	r.stats.Skip(reason)
	r.add(res)
	return res
}

// Close waits until every record written is accepted or has failed, and
// finalises the results. It returns an error naming the objects that
// failed, if any.
func (r *Run) Close() error {
	if r.closed {
		return r.err()
	}
	r.closed = true
	close(r.sealed)
	<-r.finished
	r.w.Close()
	r.cancel()
	// Each object ends as one of read, skipped, failed or stopped: one
	// counted as read when its read ended moves if its writes did not all
	// get through.
	for _, res := range r.results {
		err := res.Err()
		_, resume := res.Resume()
		if (resume || err != nil) && res.counted {
			res.counted = false
			r.stats.objects.Add(-1)
		}
		switch {
		case resume:
			r.stats.stopped.Add(1)
		case err != nil:
			r.stats.failed.Add(1)
			r.stats.Error(fmt.Errorf("%s: %w", res.Name, err))
		}
	}
	return r.err()
}

// Failed returns the objects that failed (and are not to be continued).
// It is final once the run is closed.
func (r *Run) Failed() []*Result {
	var failed []*Result
	for _, res := range r.results {
		if res.Err() != nil {
			if _, ok := res.Resume(); !ok {
				failed = append(failed, res)
			}
		}
	}
	return failed
}

func (r *Run) err() error {
	var failed []error
	for _, res := range r.Failed() {
		failed = append(failed, fmt.Errorf("%s: %w", res.Name, res.Err()))
	}
	switch len(failed) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("ingest: %w", failed[0])
	}
	return fmt.Errorf("ingest: %d objects failed: %w", len(failed), errors.Join(failed...))
}

// count counts an object whose read ended (stored size bytes) as read, or,
// when it held nothing at all, as skipped (SkipEmpty). One stopped part way
// is counted at Close, as are failed writes.
func (r *Run) count(res *Result, size int64) {
	switch {
	case res.readErr != nil, res.Stopped:
	case size == 0 && res.Task.Offset == 0:
		res.Skipped = SkipEmpty
		r.stats.Skip(SkipEmpty)
	default:
		r.stats.objects.Add(1)
		res.counted = true
	}
}

// expired reports whether reading must stop now.
func (r *Run) expired() bool {
	return r.halt.Load() || !r.stopAt.IsZero() && !r.now().Before(r.stopAt)
}

// ingest reads content, whose first byte is at offset start of the
// decompressed object, into records for res.
func (r *Run) ingest(res *Result, content io.Reader, start int64) {
	// A marked line must fit one aggregated record with its partition
	// key, source and framing.
	maxLine := r.in.Config.MaxLineBytes
	if maxLine <= 0 {
		maxLine = DefaultMaxLineBytes
	}
	maxLine = min(maxLine, r.limits.MaxRecordBytes-len(res.Source)-recordOverhead)
	lr := NewLineReader(content, maxLine, start)
	pkBase := partitionKeyBase(res.Source)
	var (
		t       = &res.tracker
		first   int64 // offset of the first line in the aggregate
		counted = start
		packed  int64 // lines added to aggregates
		pk      string
	)
	defer func() { r.stats.linesRead.Add(packed) }()
	res.Next = start
	for i := 0; lr.Scan(); i++ {
		pos := lr.Pos()
		if i&63 == 0 {
			r.stats.bytes.Add(pos - counted)
			counted = pos
			if err := r.ctx.Err(); err != nil {
				res.readErr = err
				break
			}
			if r.expired() {
				res.Stopped, r.stopped = true, true
				break
			}
		}
		res.Next = lr.Next()
		line := lr.Bytes()
		if len(line) == 0 {
			r.stats.emptyLines.Add(1)
			continue
		}
		if lr.Truncated() > 0 {
			r.stats.truncated.Add(1)
		}
		if r.agg.Len() == 0 {
			first, pk = pos, partitionKey(pkBase, pos)
		}
		rec := kpl.Record{PartitionKey: pk, Data: line, Source: res.Source, Position: pos}
		added, err := r.agg.Add(rec)
		if err == nil && !added {
			if err := r.flush(t, first); err != nil {
				res.Next = pos
				break
			}
			first, pk = pos, partitionKey(pkBase, pos)
			rec.PartitionKey = pk
			added, err = r.agg.Add(rec)
		}
		if err != nil || !added {
			// Cannot happen: maxLine leaves room for the record.
			res.readErr = fmt.Errorf("pack line at offset %d: %v", pos, err)
			res.Next = pos
			break
		}
		packed++
	}
	if res.Stopped {
		res.Next = lr.Pos()
	}
	r.stats.bytes.Add(res.Next - counted)
	if err := lr.Err(); err != nil && res.readErr == nil {
		res.readErr = fmt.Errorf("read at offset %d: %w", lr.Next(), err)
	}
	r.flush(t, first)
}

// recordOverhead bounds what an aggregated record holding one line adds to
// the line and its source: magic, digest, protobuf framing, the partition
// key (at most 256 bytes) and the truncation marker's number.
const recordOverhead = 4 + 16 + 64 + 256 + 32

// aggregators is how many aggregates a run holds at most: one being
// filled, one queued, one being sealed.
const aggregators = 3

// sealed is a full aggregate on its way to the writer.
type sealed struct {
	agg   *kpl.Aggregator
	t     *Tracker
	first int64
}

// flush hands the aggregate, if any, to the finisher as one entry of t's
// object. It fails once a write has failed because the writer's context
// ended, which tells the reader to stop.
func (r *Run) flush(t *Tracker, first int64) error {
	if r.agg.Len() == 0 {
		return nil
	}
	if r.writeFail.Load() {
		r.agg.Reset()
		err := fmt.Errorf("put records: %w", context.Cause(r.w.ctx))
		t.add()
		t.fail(first, err)
		return err
	}
	t.seal(1)
	r.sealed <- sealed{agg: r.agg, t: t, first: first}
	r.agg = <-r.free
	return nil
}

// finish seals aggregates (MD5 and all) and writes them, in order.
func (r *Run) finish() {
	defer close(r.finished)
	for s := range r.sealed {
		n := s.agg.Len()
		e := s.agg.Flush()
		r.free <- s.agg
		err := r.w.Write(e, s.t, s.first, int64(n))
		s.t.seal(-1) // counted in entries by Write now
		if err != nil {
			r.writeFail.Store(true)
		}
	}
}

// partitionKeyBase hashes a source identity once per object.
func partitionKeyBase(source string) string {
	h := fnv.New64a()
	h.Write([]byte(source))
	return strconv.FormatUint(h.Sum64(), 16)
}

// partitionKey returns the partition key of the aggregate whose first line
// is at offset pos: the hashed source and the offset. Every aggregate of an
// object gets its own key, so Kinesis's MD5 of the key spreads one object's
// records over all shards; and the key is a function of the content alone,
// so a re-read (or a continuation) puts each aggregate on the same shard
// again. All user records in an aggregate share its key, which keeps the
// records valid for the KCL's deaggregation (see stream/kpl).
func partitionKey(base string, pos int64) string {
	return base + ":" + strconv.FormatInt(pos, 10)
}
