package ingest

import (
	"maps"
	"sync"
	"sync/atomic"
)

// maxErrors is how many of the most recent errors a Summary keeps.
const maxErrors = 5

// Stats counts what a run did. It is safe for concurrent use; the writer's
// goroutines update it while the reader does.
type Stats struct {
	objects, failed, continued        atomic.Int64
	stopped                           atomic.Int64
	linesRead, lines                  atomic.Int64
	emptyLines, truncated             atomic.Int64
	bytes, storedBytes                atomic.Int64
	records, putCalls, retries, throt atomic.Int64
	errors                            atomic.Int64

	mu      sync.Mutex
	skipped map[string]int64
	errs    []string // the last maxErrors, oldest first
}

// Summary is a snapshot of Stats, shaped for the per-invocation log line
// and the CLI's final report. Once the run is closed, every object given to
// it is counted once: read (Objects), failed, skipped, or stopped part way
// (Stopped; in Lambda handed on as Continued, with the objects not started).
type Summary struct {
	// Objects read to their end, every line of which the stream accepted
	// (while the run lasts: whose read ended; those whose writes then
	// fail move to FailedObjects).
	Objects int64 `json:"objects"`
	// FailedObjects could not be read or written completely.
	FailedObjects int64 `json:"failedObjects"`
	// Continued objects were handed to a continuation invocation.
	Continued int64 `json:"continued"`
	// Stopped objects were stopped part way, by the deadline or Stop,
	// and not handed on (see Result.Resume): a continuation (Lambda)
	// or the next run takes them up.
	Stopped int64 `json:"stopped,omitempty"`
	// LinesRead counts the lines read from the objects (empty lines are
	// not). Lines of them were accepted; the others were refused with
	// their objects (failed), or cut off by the deadline with their
	// objects' writes, to be read again by the continuation.
	LinesRead int64 `json:"linesRead"`
	// Lines written as user records (empty lines are not).
	Lines int64 `json:"lines"`
	// EmptyLines skipped.
	EmptyLines int64 `json:"emptyLines"`
	// TruncatedLines cut to fit the line limit, marked.
	TruncatedLines int64 `json:"truncatedLines"`
	// Bytes of decompressed content read.
	Bytes int64 `json:"bytes"`
	// StoredBytes read from storage (compressed size for gzip objects).
	StoredBytes int64 `json:"storedBytes"`
	// Records (aggregated stream entries) accepted by the stream.
	Records int64 `json:"records"`
	// PutCalls made, retries included.
	PutCalls int64 `json:"putCalls"`
	// Retries counts entries put again after a failure.
	Retries int64 `json:"retries"`
	// Throttled counts entries the stream refused for throughput.
	Throttled int64 `json:"throttled"`
	// Skipped counts skipped objects and notifications by reason
	// (Skip* constants).
	Skipped map[string]int64 `json:"skipped,omitempty"`
	// ErrorCount counts every error: failed objects, and what failed
	// without an object (an undecodable notification or SQS message, a
	// listing, a continuation that could not be invoked).
	ErrorCount int64 `json:"errorCount"`
	// Errors are the last few errors, oldest first.
	Errors []string `json:"errors,omitempty"`
}

// SkippedTotal returns the number of skipped objects and notifications.
func (s Summary) SkippedTotal() int64 {
	var n int64
	for _, v := range s.Skipped {
		n += v
	}
	return n
}

// Summary returns a snapshot.
func (s *Stats) Summary() Summary {
	s.mu.Lock()
	skipped := maps.Clone(s.skipped)
	errs := append([]string(nil), s.errs...)
	s.mu.Unlock()
	return Summary{
		Objects:        s.objects.Load(),
		FailedObjects:  s.failed.Load(),
		Continued:      s.continued.Load(),
		Stopped:        s.stopped.Load(),
		LinesRead:      s.linesRead.Load(),
		Lines:          s.lines.Load(),
		EmptyLines:     s.emptyLines.Load(),
		TruncatedLines: s.truncated.Load(),
		Bytes:          s.bytes.Load(),
		StoredBytes:    s.storedBytes.Load(),
		Records:        s.records.Load(),
		PutCalls:       s.putCalls.Load(),
		Retries:        s.retries.Load(),
		Throttled:      s.throt.Load(),
		Skipped:        skipped,
		ErrorCount:     s.errors.Load(),
		Errors:         errs,
	}
}

// Skip counts a skipped object or notification.
func (s *Stats) Skip(reason string) {
	s.mu.Lock()
	if s.skipped == nil {
		s.skipped = map[string]int64{}
	}
	s.skipped[reason]++
	s.mu.Unlock()
}

// Error records err among the last few errors.
func (s *Stats) Error(err error) {
	if err == nil {
		return
	}
	s.errors.Add(1)
	s.mu.Lock()
	if len(s.errs) == maxErrors {
		copy(s.errs, s.errs[1:])
		s.errs = s.errs[:maxErrors-1]
	}
	s.errs = append(s.errs, err.Error())
	s.mu.Unlock()
}
