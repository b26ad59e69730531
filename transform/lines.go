package transform

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/elbstream/elbstream/stream/kpl"
	"github.com/elbstream/elbstream/transform/elblog"
)

// emitFunc receives each event made from a raw record, with the line and
// provenance it was made from. ev and line are only valid during the call.
type emitFunc func(ev, line []byte, p elblog.Provenance) error

// lineEncoder turns raw record data into events: it deaggregates, splits
// user records into lines and encodes each line. It is not safe for
// concurrent use; it allocates nothing per line once its buffers are warm.
type lineEncoder struct {
	enc elblog.Encoder
	dec kpl.Decoder
	ev  []byte // the event being built, reused
	// The outcome and error of the event emitted for the line in hand,
	// which emit may replace (worker.add encodes a line too long for a
	// record again, cut): the line counts as a parse failure when the
	// event that stands for it is one.
	last    elblog.Outcome
	lastErr error
	c       counts
}

// newLineEncoder returns a lineEncoder with its own encoder configured as
// template. Only template's settings are copied: an Encoder keeps scratch
// space that must not be shared.
func newLineEncoder(template *elblog.Encoder) *lineEncoder {
	return &lineEncoder{enc: elblog.Encoder{Format: template.Format, Schema: template.Schema, Fields: template.Fields}}
}

// checkEncoder reports an invalid encoder configuration.
func checkEncoder(template *elblog.Encoder) error {
	e := newLineEncoder(template).enc
	return e.Init()
}

// errUndecodable wraps the kpl error of a raw record that cannot be
// deaggregated. Nothing was emitted for such a record: kpl checks the whole
// aggregate before delivering its first user record.
type errUndecodable struct{ err error }

func (e errUndecodable) Error() string { return "undecodable record: " + e.err.Error() }
func (e errUndecodable) Unwrap() error { return e.err }

// record emits the events of one raw record, in order. A raw record that
// cannot be deaggregated gives an errUndecodable; an error of emit stops
// the record and is returned as is.
//
// origin identifies the raw record ("kinesis:SEQUENCE") and sub is the
// subsequence number of its first user record (0 unless Firehose already
// deaggregated it). They stand in for a user record's provenance when it
// carries none (a foreign producer's record, or Firehose's deaggregation,
// which drops the provenance fields): the line's event.id then comes from
// "ORIGIN/SUBSEQUENCE" and the line's byte offset in the user record, so
// that it is still unique and still the same when the record is processed
// again.
func (e *lineEncoder) record(data []byte, origin string, sub int64, emit emitFunc) error {
	e.c.records++
	e.c.bytesIn += int64(len(data))
	err := e.dec.Decode(data, func(u kpl.Record) error {
		if u.Source == "" || u.Position < 0 {
			u.Source = origin + "/" + strconv.FormatInt(sub, 10)
			u.Position = 0
		}
		sub++
		return e.userRecord(u, emit)
	})
	if err != nil && (errors.Is(err, kpl.ErrChecksum) || errors.Is(err, kpl.ErrMalformed)) {
		e.c.undecodable++
		return errUndecodable{err}
	}
	return err
}

// userRecord emits the events of one user record. A user record is one
// line as ingest writes it; a foreign producer's record holding several
// newline-separated lines is split, each line keeping its own byte offset.
// A trailing newline or carriage return is not part of a line, and empty
// lines are not lines.
func (e *lineEncoder) userRecord(u kpl.Record, emit emitFunc) error {
	data := u.Data
	pos := u.Position
	for len(data) > 0 {
		line := data
		data = nil
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line, data = line[:i], line[i+1:]
		}
		p := elblog.Provenance{Source: u.Source, Position: pos}
		pos += int64(len(line)) + 1
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) == 0 {
			continue
		}
		if err := e.line(line, p, emit); err != nil {
			return err
		}
	}
	return nil
}

// standIn emits the failure event of a line standing for a raw record that
// could not be deaggregated, and keeps why (cause) among the failures
// instead of the parse error of the stand-in itself.
func (e *lineEncoder) standIn(line []byte, p elblog.Provenance, cause error, emit emitFunc) error {
	n := e.c.nFailures
	err := e.line(line, p, emit)
	if e.c.nFailures > n {
		e.c.blameLast(fmt.Errorf("raw record not deaggregated: %w", cause))
	}
	return err
}

// line encodes one line and emits its event, unless it is a control line.
func (e *lineEncoder) line(line []byte, p elblog.Provenance, emit emitFunc) error {
	e.c.lines++
	ev, outcome, err := e.enc.AppendJSON(e.ev[:0], line, p)
	e.ev, e.last, e.lastErr = ev, outcome, err
	if errors.Is(err, elblog.ErrConfig) { // New and the handlers check it first
		return err
	}
	if outcome == elblog.Skipped {
		e.c.skipped++
		return nil
	}
	e.c.events++
	err = emit(ev, line, p)
	if e.last == elblog.Failed { // the error of a Failed line is in its event
		e.c.parseFailures++
		e.c.fail(Failure{Source: p.Source, Position: p.Position, Err: e.lastErr})
	}
	return err
}
