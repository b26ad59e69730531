package forward

import (
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elbstream/elbstream/forward/output"
	"github.com/elbstream/elbstream/internal/bytesize"
)

// Metrics counts what the forwarder did. The loop and the handler update it
// as they go; Snapshot, the Prometheus collector and the summary read it.
// A Metrics is safe for concurrent use; its zero value is ready.
type Metrics struct {
	records     atomic.Int64
	bytes       atomic.Int64
	eventsRead  atomic.Int64
	eventsSent  atomic.Int64
	eventsAcked atomic.Int64
	retries     atomic.Int64
	malformed   atomic.Int64
	checkpoints atomic.Int64
	inFlight    atomic.Int64
	maxInFlight atomic.Int64

	// Output, when set, reports the output's counters (connections,
	// resends), for the summary, /metrics and readiness.
	Output func() output.Stats
	// Guarantee is what the output's delivery means (Acknowledged for
	// beats, Written for tcp, stdout and file), so that the summary says
	// "written" where nothing was acknowledged.
	Guarantee output.Guarantee

	mu       sync.Mutex
	behind   map[string]time.Duration // per shard, from the last batch read
	oldest   map[string]time.Time     // per shard in delivery: arrival of its oldest record not acknowledged
	failures []Failure                // the last few, oldest first
}

// Failure is one error worth showing in the summary.
type Failure struct {
	Time time.Time
	Err  string
}

// maxFailures is how many recent failures a Metrics keeps.
const maxFailures = 5

// Stats is a snapshot of Metrics.
type Stats struct {
	Records     int64 // stream records handed to the forwarder
	Bytes       int64 // their data bytes
	EventsRead  int64 // events deaggregated from them
	EventsSent  int64 // events handed to the output, resends included
	EventsAcked int64 // events the output acknowledged
	Retries     int64 // failed Send calls that were retried
	Malformed   int64 // records (or empty events) skipped as undeliverable
	Checkpoints int64 // checkpoints written by the forwarder mid-batch
	InFlight    int64 // events inside Send now
	// MaxInFlight is the most events that were inside Send at once.
	MaxInFlight int64
	Output      output.Stats // zero unless Metrics.Output is set
	Guarantee   output.Guarantee
	// BehindTip is each shard's distance from the newest record, as of the
	// last batch read.
	BehindTip map[string]time.Duration
	// OldestUnacked is, per shard read, the age of its oldest record whose
	// events are not all acknowledged (0 with nothing in delivery): the
	// forwarder's IteratorAge, which grows while delivery is stuck, where
	// BehindTip waits for the next read.
	OldestUnacked map[string]time.Duration
	Failures      []Failure
}

// Snapshot returns the current counts.
func (m *Metrics) Snapshot() Stats {
	s := Stats{
		Records:     m.records.Load(),
		Bytes:       m.bytes.Load(),
		EventsRead:  m.eventsRead.Load(),
		EventsSent:  m.eventsSent.Load(),
		EventsAcked: m.eventsAcked.Load(),
		Retries:     m.retries.Load(),
		Malformed:   m.malformed.Load(),
		Checkpoints: m.checkpoints.Load(),
		InFlight:    m.inFlight.Load(),
		MaxInFlight: m.maxInFlight.Load(),
		Guarantee:   m.Guarantee,
	}
	if m.Output != nil {
		s.Output = m.Output()
	}
	now := time.Now()
	m.mu.Lock()
	s.BehindTip = make(map[string]time.Duration, len(m.behind))
	s.OldestUnacked = make(map[string]time.Duration, len(m.behind))
	for k, v := range m.behind {
		s.BehindTip[k] = v
		s.OldestUnacked[k] = 0
		if t, ok := m.oldest[k]; ok {
			s.OldestUnacked[k] = max(now.Sub(t), 0)
		}
	}
	s.Failures = append([]Failure(nil), m.failures...)
	m.mu.Unlock()
	return s
}

func (m *Metrics) setBehind(shardID string, d time.Duration) {
	m.mu.Lock()
	if m.behind == nil {
		m.behind = map[string]time.Duration{}
	}
	m.behind[shardID] = d
	m.mu.Unlock()
}

// forgetBehind drops a shard this forwarder no longer reads, so that its
// last lag is not reported (nor alerted on) for ever.
func (m *Metrics) forgetBehind(shardID string) {
	m.mu.Lock()
	delete(m.behind, shardID)
	delete(m.oldest, shardID)
	m.mu.Unlock()
}

// setOldest records the arrival time of the shard's oldest record not yet
// acknowledged; the zero time: none is in delivery.
func (m *Metrics) setOldest(shardID string, arrival time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if arrival.IsZero() {
		delete(m.oldest, shardID)
		return
	}
	if m.oldest == nil {
		m.oldest = map[string]time.Time{}
	}
	m.oldest[shardID] = arrival
}

func (m *Metrics) fail(err error) {
	m.mu.Lock()
	if len(m.failures) == maxFailures {
		copy(m.failures, m.failures[1:])
		m.failures = m.failures[:maxFailures-1]
	}
	m.failures = append(m.failures, Failure{Time: time.Now(), Err: err.Error()})
	m.mu.Unlock()
}

// enter and leave track the events inside Send.
func (m *Metrics) enter(n int) {
	cur := m.inFlight.Add(int64(n))
	for {
		peak := m.maxInFlight.Load()
		if cur <= peak || m.maxInFlight.CompareAndSwap(peak, cur) {
			return
		}
	}
}

func (m *Metrics) leave(n int) { m.inFlight.Add(-int64(n)) }

// MaxBehindTip is the largest BehindTip of any shard.
func (s Stats) MaxBehindTip() time.Duration {
	var most time.Duration
	for _, d := range s.BehindTip {
		most = max(most, d)
	}
	return most
}

// WriteSummary writes the end-of-run summary, one fact per line.
func (s Stats) WriteSummary(w io.Writer, elapsed time.Duration) {
	rate := 0.0
	if sec := elapsed.Seconds(); sec > 0 {
		rate = float64(s.EventsAcked) / sec
	}
	fmt.Fprintf(w, "forward: %d records (%s), %d events read, %d sent, %d %s in %s (%.0f events/s)\n",
		s.Records, bytesize.Format(s.Bytes), s.EventsRead, s.EventsSent, s.EventsAcked, s.Guarantee, elapsed.Round(time.Millisecond), rate)
	fmt.Fprintf(w, "forward: %d malformed skipped, %d sends retried by the forwarder; output: %d events resent, %d failures, %d dial errors\n",
		s.Malformed, s.Retries, s.Output.EventsRetried, s.Output.Failures, s.Output.DialErrors)
	fmt.Fprintf(w, "forward: connections: %d created, %d destroyed, %d open\n",
		s.Output.ConnectionsCreated, s.Output.ConnectionsDestroyed, s.Output.Open())
	if len(s.BehindTip) > 0 {
		ids := make([]string, 0, len(s.BehindTip))
		for id := range s.BehindTip {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		fmt.Fprint(w, "forward: behind tip:")
		for _, id := range ids {
			fmt.Fprintf(w, " %s=%s", id, s.BehindTip[id].Round(time.Millisecond))
		}
		fmt.Fprintln(w)
	}
	for _, f := range s.Failures {
		fmt.Fprintf(w, "forward: failure at %s: %s\n", f.Time.Format(time.RFC3339), f.Err)
	}
}

// WriteProgress writes a one-line progress report, without a newline.
func (s Stats) WriteProgress(w io.Writer, elapsed time.Duration) {
	rate := 0.0
	if sec := elapsed.Seconds(); sec > 0 {
		rate = float64(s.EventsAcked) / sec
	}
	fmt.Fprintf(w, "forward: %d events %s (%.0f/s), %d in flight, %d resent, %d connections, behind tip %s",
		s.EventsAcked, s.Guarantee, rate, s.InFlight, s.Output.EventsRetried, s.Output.Open(), s.MaxBehindTip().Round(time.Second))
}
