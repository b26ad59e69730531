package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/elbstream/elbstream/ingest"
)

// ledger is the list of sources a kept data directory has ingested
// completely: DATA/ingested.jsonl, one {"source","name","at"} per line,
// appended and synced after each run's ingest. Sources are identified as
// their provenance (ingest.FileSource, ingest.S3Source): a file that
// changes, or an object overwritten with new content, is new.
type ledger struct {
	path string
	seen map[string]bool
	f    *os.File
}

type ledgerEntry struct {
	Source string    `json:"source"`
	Name   string    `json:"name"`
	At     time.Time `json:"at"`
}

func openLedger(path string) (*ledger, error) {
	l := &ledger{path: path, seen: map[string]bool{}}
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
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Source != "" {
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
func (l *ledger) empty() bool            { return len(l.seen) == 0 }

// record appends the sources of results that were read to their end and
// whose every line the raw stream accepted.
func (l *ledger) record(results []*ingest.Result) error {
	var b []byte
	now := time.Now().UTC()
	for _, r := range results {
		if r.Skipped != "" || r.Stopped || r.Source == "" || r.Err() != nil || l.seen[r.Source] {
			continue
		}
		line, _ := json.Marshal(ledgerEntry{Source: r.Source, Name: r.Name, At: now})
		b = append(append(b, line...), '\n')
		l.seen[r.Source] = true
	}
	if len(b) == 0 {
		return nil
	}
	if _, err := l.f.Write(b); err != nil {
		return fmt.Errorf("ledger %s: %w", l.path, err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("ledger %s: %w", l.path, err)
	}
	return nil
}

func (l *ledger) Close() error { return l.f.Close() }
