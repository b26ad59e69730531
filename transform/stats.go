package transform

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// keepFailures is how many of the latest parse failures Stats keeps, so
// that a summary can say why lines failed, not only how many.
const keepFailures = 5

// Failure is a line that did not parse, forwarded as a failure event.
type Failure struct {
	Source   string // the line's provenance: "s3://BUCKET/KEY#ETAG", a file, "kinesis:SEQUENCE"
	Position int64  // the line's byte offset in it; -1 for a raw record as a whole
	Err      error  // what was wrong, as the event's error.message says (an *elblog.ParseError)
}

func (f Failure) String() string {
	if f.Position < 0 {
		return fmt.Sprintf("%s: %v", f.Source, f.Err)
	}
	return fmt.Sprintf("%s, line at offset %d: %v", f.Source, f.Position, f.Err)
}

// Stats counts what the stage did. It is safe for concurrent use; workers
// add their counts once per raw record group and per Put, not per line, so
// that the shard goroutines do not contend on it.
type Stats struct {
	records       atomic.Int64
	lines         atomic.Int64
	events        atomic.Int64
	parseFailures atomic.Int64
	skipped       atomic.Int64
	undecodable   atomic.Int64
	truncated     atomic.Int64
	bytesIn       atomic.Int64
	bytesOut      atomic.Int64
	entries       atomic.Int64
	retries       atomic.Int64
	throttled     atomic.Int64

	mu       sync.Mutex
	lag      map[string]time.Duration
	failures []Failure // the latest, oldest first
}

// Snapshot is a copy of the counters at one moment.
type Snapshot struct {
	Records       int64 // raw records read
	Lines         int64 // lines (user records) decoded from them
	Events        int64 // events encoded: parsed lines plus parse failures
	ParseFailures int64 // lines that did not parse, forwarded tagged _elbparsefailure
	Skipped       int64 // AWS control lines, dropped by design
	Undecodable   int64 // raw records that could not be deaggregated
	Truncated     int64 // lines whose event did not fit in a record, encoded from their start
	BytesIn       int64 // raw record data read
	BytesOut      int64 // event record data and partition keys accepted by the events stream
	Entries       int64 // aggregated event records accepted by the events stream
	Retries       int64 // entries put again after a failed attempt
	Throttled     int64 // entries refused for throughput (each retried)
	// Lag is how far behind the tip the furthest-behind shard was at its
	// last batch.
	Lag time.Duration
	// LastFailures are the latest parse failures, oldest first (at most
	// five).
	LastFailures []Failure
}

// Snapshot returns the current counters.
func (s *Stats) Snapshot() Snapshot {
	snap := Snapshot{
		Records:       s.records.Load(),
		Lines:         s.lines.Load(),
		Events:        s.events.Load(),
		ParseFailures: s.parseFailures.Load(),
		Skipped:       s.skipped.Load(),
		Undecodable:   s.undecodable.Load(),
		Truncated:     s.truncated.Load(),
		BytesIn:       s.bytesIn.Load(),
		BytesOut:      s.bytesOut.Load(),
		Entries:       s.entries.Load(),
		Retries:       s.retries.Load(),
		Throttled:     s.throttled.Load(),
	}
	s.mu.Lock()
	for _, d := range s.lag {
		snap.Lag = max(snap.Lag, d)
	}
	snap.LastFailures = append([]Failure(nil), s.failures...)
	s.mu.Unlock()
	return snap
}

// ObserveLag records how far behind the tip a shard's reader is.
func (s *Stats) ObserveLag(shardID string, behind time.Duration) {
	s.mu.Lock()
	if s.lag == nil {
		s.lag = map[string]time.Duration{}
	}
	s.lag[shardID] = behind
	s.mu.Unlock()
}

// forgetLag drops a shard this process no longer reads from the lag.
func (s *Stats) forgetLag(shardID string) {
	s.mu.Lock()
	delete(s.lag, shardID)
	s.mu.Unlock()
}

// counts is one worker's tally, added to Stats in one go.
type counts struct {
	records, lines, events, parseFailures, skipped, undecodable, truncated, bytesIn int64

	failures  [keepFailures]Failure // the latest, a ring
	nFailures int                   // failures noted, of which the ring keeps the last
}

// lastFailure is the latest failure noted, or nil.
func (c *counts) lastFailure() *Failure {
	if c.nFailures == 0 {
		return nil
	}
	f := c.failures[(c.nFailures-1)%keepFailures]
	return &f
}

// fail notes a parse failure for the summary (the count is separate).
func (c *counts) fail(f Failure) {
	c.failures[c.nFailures%keepFailures] = f
	c.nFailures++
}

// blameLast replaces the error of the latest failure.
func (c *counts) blameLast(err error) {
	if c.nFailures > 0 {
		c.failures[(c.nFailures-1)%keepFailures].Err = err
	}
}

func (s *Stats) add(c *counts) {
	if s == nil {
		return
	}
	s.records.Add(c.records)
	s.lines.Add(c.lines)
	s.events.Add(c.events)
	s.parseFailures.Add(c.parseFailures)
	s.skipped.Add(c.skipped)
	s.undecodable.Add(c.undecodable)
	s.truncated.Add(c.truncated)
	s.bytesIn.Add(c.bytesIn)
	if c.nFailures > 0 {
		s.mu.Lock()
		for i := max(0, c.nFailures-keepFailures); i < c.nFailures; i++ {
			s.failures = append(s.failures, c.failures[i%keepFailures])
		}
		if n := len(s.failures); n > keepFailures {
			s.failures = append(s.failures[:0], s.failures[n-keepFailures:]...)
		}
		s.mu.Unlock()
	}
	*c = counts{}
}

// Sub returns the counts of s since earlier. Lag and LastFailures are s's.
func (s Snapshot) Sub(earlier Snapshot) Snapshot {
	return Snapshot{
		Records:       s.Records - earlier.Records,
		Lines:         s.Lines - earlier.Lines,
		Events:        s.Events - earlier.Events,
		ParseFailures: s.ParseFailures - earlier.ParseFailures,
		Skipped:       s.Skipped - earlier.Skipped,
		Undecodable:   s.Undecodable - earlier.Undecodable,
		Truncated:     s.Truncated - earlier.Truncated,
		BytesIn:       s.BytesIn - earlier.BytesIn,
		BytesOut:      s.BytesOut - earlier.BytesOut,
		Entries:       s.Entries - earlier.Entries,
		Retries:       s.Retries - earlier.Retries,
		Throttled:     s.Throttled - earlier.Throttled,
		Lag:           s.Lag,
		LastFailures:  s.LastFailures,
	}
}
