package transform

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/elbstream/elbstream/internal/linecut"
	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/kpl"
	"github.com/elbstream/elbstream/transform/elblog"
)

// worker carries one Process call: it encodes the lines of one raw record
// after another, packs the events into aggregates and puts the aggregates
// whenever a PutRecords call's worth is pending. Its buffers are kept
// between calls.
//
// Progress is tracked by raw record index: every aggregate remembers the
// raw record its first event came from. Aggregates are made in raw record
// order, so when a put fails the raw records before the first refused
// aggregate's are exactly those whose events were all accepted.
type worker struct {
	stage *Stage
	le    lineEncoder
	emit  emitFunc // w.add, bound once

	agg      kpl.Aggregator
	aggFirst int    // raw record index of the aggregate's first event
	aggKey   string // partition key of the aggregate

	// The aggregates waiting for the next Put, their data in one reused
	// arena, so that the memory held stays bounded by BufferBytes
	// whatever mix of record sizes comes through.
	pending      []pendingEntry
	arena        []byte
	pendingBytes int
	entries      []stream.Entry // the pending entries, for putAll
	accepted     []bool

	ctx  context.Context // of the Process call in progress
	cur  int             // index of the raw record being encoded
	key  string          // its partition key
	done int             // leading raw records whose events were all accepted

	cut     []byte // the start of a line too long for a record, marked
	trunc   []byte // its event
	message []byte // the line standing for an undecodable record
}

type pendingEntry struct {
	entry stream.Entry
	first int // raw record index of the entry's first event
}

// record encodes raw record i.
func (w *worker) record(ctx context.Context, i int, r *stream.Record) error {
	if w.emit == nil {
		w.emit = w.add
	}
	w.ctx, w.cur = ctx, i
	w.key = r.PartitionKey
	if w.key == "" { // not from Kinesis, which requires one; spread by record
		w.key = cmp.Or(r.SequenceNumber, "0")
	}
	var err error
	if w.agg.Len() > 0 && w.key != w.aggKey {
		err = w.flushAgg()
	}
	if err == nil {
		err = w.le.record(r.Data, "kinesis:"+r.SequenceNumber, 0, w.emit)
	}
	if u, ok := errors.AsType[errUndecodable](err); ok {
		// Nothing of the record was emitted. Say so downstream with one
		// failure event; the record stays in the raw stream.
		w.message = fmt.Appendf(w.message[:0], "elbstream: raw record %s could not be deaggregated: %v", r.SequenceNumber, u.err)
		err = w.le.standIn(w.message, elblog.Provenance{Source: "kinesis:" + r.SequenceNumber, Position: -1}, u.err, w.emit)
	}
	w.stage.stats.add(&w.le.c)
	return err
}

// add puts one event into the aggregate.
func (w *worker) add(ev, line []byte, p elblog.Provenance) error {
	r := kpl.Record{PartitionKey: w.key, Data: ev, Source: p.Source, Position: p.Position}
	err := w.addRecord(r)
	if errors.Is(err, kpl.ErrTooLarge) {
		// Only a line of hundreds of kilobytes makes an event that cannot
		// fit in a record on its own. Encode its start instead, marked as
		// ingest marks a line over its limit, rather than block the shard
		// on it for ever. The line counts as a parse failure as the cut's
		// event says (the cut usually fails to parse).
		w.cut = linecut.Append(w.cut[:0], line, w.stage.limits.MaxRecordBytes/8, len(line))
		w.trunc, w.le.last, w.le.lastErr = w.le.enc.AppendJSON(w.trunc[:0], w.cut, p)
		w.le.c.truncated++
		r.Data = w.trunc
		err = w.addRecord(r)
	}
	return err
}

// addRecord adds r to the aggregate, flushing the aggregate first if r
// does not fit.
func (w *worker) addRecord(r kpl.Record) error {
	if w.agg.Len() == 0 {
		w.aggFirst, w.aggKey = w.cur, w.key
	}
	ok, err := w.agg.Add(r)
	if err != nil {
		return fmt.Errorf("aggregate event: %w", err)
	}
	if ok {
		return nil
	}
	if err := w.flushAgg(); err != nil {
		return err
	}
	w.aggFirst, w.aggKey = w.cur, w.key
	if ok, err = w.agg.Add(r); err != nil {
		return fmt.Errorf("aggregate event: %w", err)
	} else if !ok {
		return errors.New("aggregate event: refused by an empty aggregate")
	}
	return nil
}

// flushAgg moves the aggregate to the pending entries, and puts them once
// another aggregate might not fit in the same PutRecords call.
func (w *worker) flushAgg() error {
	if w.agg.Len() == 0 {
		return nil
	}
	start := len(w.arena)
	e := w.agg.AppendFlush(w.arena)
	w.arena = e.Data
	e.Data = e.Data[start:len(e.Data):len(e.Data)]
	w.pending = append(w.pending, pendingEntry{entry: e, first: w.aggFirst})
	w.pendingBytes += e.Size()
	lim := w.stage.limits
	if len(w.pending) >= lim.MaxPutEntries || w.pendingBytes+lim.MaxRecordBytes > w.stage.bufferBytes() {
		return w.put()
	}
	return nil
}

// put puts the pending entries and advances done.
func (w *worker) put() error {
	if n := len(w.pending); n > 0 {
		w.entries = w.entries[:0]
		for _, p := range w.pending {
			w.entries = append(w.entries, p.entry)
		}
		if cap(w.accepted) < n {
			w.accepted = make([]bool, n)
		}
		accepted := w.accepted[:n]
		err := w.stage.putAll(w.ctx, w.entries, accepted)
		if err != nil {
			for k, ok := range accepted {
				if !ok {
					w.done = w.pending[k].first
					break
				}
			}
			return err
		}
		w.clearPending()
	}
	w.done = w.cur
	if w.agg.Len() > 0 {
		w.done = min(w.done, w.aggFirst)
	}
	return nil
}

// finish puts everything encoded so far; records before i are all encoded.
// It returns how many records are done, and cause if they all are.
func (w *worker) finish(ctx context.Context, i int, cause error) (int, error) {
	w.ctx, w.cur = ctx, i
	if err := w.flushAgg(); err != nil {
		return w.done, err
	}
	if err := w.put(); err != nil {
		return w.done, err
	}
	return w.done, cause
}

func (w *worker) clearPending() {
	clear(w.pending) // drop references into arrays the arena outgrew
	w.pending, w.arena, w.pendingBytes = w.pending[:0], w.arena[:0], 0
	clear(w.entries)
	w.entries = w.entries[:0]
}

func (w *worker) reset() {
	w.agg.Reset()
	w.clearPending()
	w.ctx, w.cur, w.key, w.done = nil, 0, "", 0
	w.le.c = counts{}
}
