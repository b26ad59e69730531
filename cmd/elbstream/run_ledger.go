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
// before it accepted, appended and synced after each run's ingest.
// Sources are identified as their provenance (ingest.FileSource,
// ingest.S3Source): a file that changes, or an object overwritten with new
// content, is new.
type ledger struct {
	path    string
	seen    map[string]bool
	partial map[string]ledgerEntry // stopped sources, by source: where to go on
	f       *os.File
	size    int64  // bytes of whole entries in the file
	pending []byte // entries a failed write left: written with the next
}

// ledgerReserve is the room kept allocated past the ledger's end (where
// the filesystem can), so that a disk that fills up with the streams
// still takes the ledger's entries: without them the next run would read,
// and deliver, every source again. About 2,000 entries of AWS's key layout
// (450-510 bytes each, measured on `run --sample` objects).
const ledgerReserve = 1 << 20

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
	var last int64 // where the last line starts
	for sc.Scan() {
		last, l.size = l.size, l.size+int64(len(sc.Bytes()))+1
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
	// A last line without its newline was cut by a crash or a full disk:
	// it is cut off, or the next entry would be glued to it and lost too.
	fi, err := f.Stat()
	switch {
	case err != nil:
		f.Close()
		return nil, fmt.Errorf("ledger: %w", err)
	case fi.Size() < l.size:
		l.size = last
		if err := f.Truncate(last); err != nil {
			f.Close()
			return nil, fmt.Errorf("ledger %s: cut its torn last line: %w", path, err)
		}
	default:
		l.size = fi.Size()
	}
	// With no room for the ledger, a run would deliver its sources and
	// then fail to record them, and the next run would deliver them again.
	if err := reserve(f, l.size, ledgerReserve); err != nil {
		f.Close()
		return nil, fmt.Errorf("ledger %s: no room to keep it: %w", path, err)
	}
	return l, nil
}

// write appends b and the entries a failed write left, whole: a write
// that fails (a full disk) is cut back to the last whole entry, and its
// entries are kept for the next write.
func (l *ledger) write(b []byte) error {
	l.pending = append(l.pending, b...)
	if len(l.pending) == 0 {
		return nil
	}
	n, err := l.f.Write(l.pending)
	if err != nil {
		if n > 0 {
			if terr := l.f.Truncate(l.size); terr != nil {
				err = fmt.Errorf("%w (and cutting off the torn entry: %v)", err, terr)
			}
		}
		return err
	}
	l.size += int64(n)
	l.pending = l.pending[:0]
	reserve(l.f, l.size, ledgerReserve) // room for the next, if the disk has it
	return nil
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
	if err := l.write(b); err != nil {
		return fmt.Errorf("ledger %s: %w: the next run reads the sources it misses again (their events with the same ids)", l.path, err)
	}
	return l.sync()
}

// done appends the entry of a result the ingest run forgets as done
// (ingest.Run.OnDone), unsynced: record syncs it with the rest. Losing it
// in a crash costs only a re-read (the same ids downstream); a failed
// write keeps it for the next.
func (l *ledger) done(r *ingest.Result) {
	l.write(l.appendEntry(nil, r, time.Now().UTC()))
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
