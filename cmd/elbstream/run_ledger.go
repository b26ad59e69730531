package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/elbstream/elbstream/ingest"
)

// ledger is the list of sources a kept data directory has ingested:
// DATA/ingested.jsonl, one {"source","name","at"} per line for a source
// ingested completely, with "next" (and "gzip") for one whose ingest an
// interruption stopped at that offset, or that failed with every line
// before it accepted, appended and synced after each run's ingest. Sources are identified as their provenance
// (ingest.FileSource, ingest.S3Source): a file that changes, or an object
// overwritten with new content, is new.
type ledger struct {
	path    string
	seen    map[string]bool
	partial map[string]ledgerEntry // stopped sources, by source: where to go on
	f       *os.File
	err     error // of a write by done, reported by record
}

type ledgerEntry struct {
	Source string    `json:"source"`
	Name   string    `json:"name"`
	Next   int64     `json:"next,omitempty"` // > 0: read up to here, every line before it accepted
	Gzip   bool      `json:"gzip,omitempty"` // with next: the stored object is gzip
	At     time.Time `json:"at"`
}

func openLedger(path string) (*ledger, error) {
	l := &ledger{path: path, seen: map[string]bool{}, partial: map[string]ledgerEntry{}}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	l.f = f
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e ledgerEntry
		// A line cut by a crash mid-append is ignored: its source is
		// read again, which duplicates nothing downstream (same ids).
		switch {
		case json.Unmarshal(sc.Bytes(), &e) != nil || e.Source == "":
		case e.Next > 0:
			if e.Next > l.partial[e.Source].Next {
				l.partial[e.Source] = e
			}
		default:
			l.seen[e.Source] = true
		}
	}
	if err := sc.Err(); err != nil {
		f.Close()
		return nil, fmt.Errorf("ledger %s: %w", path, err)
	}
	return l, nil
}

func (l *ledger) has(source string) bool { return l.seen[source] }
func (l *ledger) empty() bool            { return len(l.seen) == 0 && len(l.partial) == 0 }

// resumeAt returns where an earlier run stopped reading source, if one did
// and none finished it since: ingest goes on from there.
func (l *ledger) resumeAt(source string) (next int64, gzip bool) {
	if l.seen[source] {
		return 0, false
	}
	e := l.partial[source]
	return e.Next, e.Gzip
}

// record appends the sources of results that were read to their end and
// whose every line the raw stream accepted, and where the read of those an
// interruption stopped, or that failed, can go on (Result.Resume and
// Result.Accepted: every line before it accepted).
func (l *ledger) record(results []*ingest.Result) error {
	var b []byte
	now := time.Now().UTC()
	for _, r := range results {
		b = l.appendEntry(b, r, now)
	}
	if l.err != nil {
		return fmt.Errorf("ledger %s: %w", l.path, l.err)
	}
	if len(b) == 0 {
		return l.sync()
	}
	if _, err := l.f.Write(b); err != nil {
		return fmt.Errorf("ledger %s: %w", l.path, err)
	}
	return l.sync()
}

// done appends the entry of a result the ingest run forgets as done
// (ingest.Run.OnDone), unsynced: record syncs it with the rest. Losing it
// in a crash costs only a re-read (the same ids downstream).
func (l *ledger) done(r *ingest.Result) {
	if b := l.appendEntry(nil, r, time.Now().UTC()); len(b) > 0 && l.err == nil {
		_, l.err = l.f.Write(b)
	}
}

// appendEntry appends r's ledger line to b, if r says something new: that
// it was ingested completely, or how far a stopped or failed read got. A
// failed source is taken up there by the next run, which fails it again by
// name if it is still broken (a cut gzip stream), without delivering its
// first lines twice.
func (l *ledger) appendEntry(b []byte, r *ingest.Result, now time.Time) []byte {
	if r.Skipped != "" || r.Source == "" || l.seen[r.Source] {
		return b
	}
	e := ledgerEntry{Source: r.Source, Name: r.Name, At: now}
	if t, ok := r.Resume(); ok || r.Err() != nil {
		if !ok {
			t.Offset, t.Gzip = r.Accepted(), r.Gzip
		}
		if t.Offset <= l.partial[r.Source].Next {
			return b // no further than before
		}
		e.Next, e.Gzip = t.Offset, t.Gzip
		l.partial[r.Source] = e
	} else {
		l.seen[r.Source] = true
	}
	line, _ := json.Marshal(e)
	return append(append(b, line...), '\n')
}

func (l *ledger) sync() error {
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("ledger %s: %w", l.path, err)
	}
	return nil
}

func (l *ledger) Close() error { return l.f.Close() }
