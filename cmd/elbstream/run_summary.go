package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/elbstream/elbstream/forward"
	"github.com/elbstream/elbstream/ingest"
	"github.com/elbstream/elbstream/internal/bytesize"
	"github.com/elbstream/elbstream/transform"
)

// writeSummary prints the end-of-run report and returns how many lines
// read are unaccounted for (negative: more events delivered than lines).
//
//	lines read = events delivered + control lines skipped + empty lines skipped
//	             + lines the raw stream refused
//
// where lines read counts every line of every object read (empty ones
// included), events delivered are those the output acknowledged (or wrote
// and flushed, for outputs without acknowledgements), parse failures are
// delivered events, and refused lines are those of objects that failed
// because the raw stream refused their writes.
func (p *pipeline) writeSummary(r runReport) int64 {
	w := p.io.err
	in, tr, fw := r.ingest, r.transform, r.forward
	read := in.LinesRead + in.EmptyLines
	refused := in.LinesRead - in.Lines
	delivered := fw.EventsAcked
	missing := read - delivered - tr.Skipped - in.EmptyLines - refused

	if r.resumedEvents > 0 || r.resumedLines > 0 {
		fmt.Fprintf(w, "run: resumed: delivered %d events a previous run had left undelivered (%d of its raw lines were still to transform); not counted below\n",
			r.resumedEvents, r.resumedLines)
	}
	fmt.Fprintf(w, "run: %d objects read, %s (%s stored)", in.Objects, bytesize.Format(in.Bytes), bytesize.Format(in.StoredBytes))
	if n := in.SkippedTotal(); n > 0 {
		reasons := make([]string, 0, len(in.Skipped))
		for k, v := range in.Skipped {
			reasons = append(reasons, fmt.Sprintf("%s %d", k, v))
		}
		sort.Strings(reasons)
		fmt.Fprintf(w, "; %d skipped (%s)", n, strings.Join(reasons, ", "))
		if in.Skipped[skipIngested] > 0 {
			fmt.Fprint(w, "; --reingest reads already ingested sources again")
		}
	}
	if in.FailedObjects > 0 {
		fmt.Fprintf(w, "; %d FAILED", in.FailedObjects)
	}
	if in.Stopped > 0 {
		fmt.Fprintf(w, "; %d stopped part way by the interruption", in.Stopped)
	}
	fmt.Fprintln(w)
	if p.resumedObjects > 0 {
		fmt.Fprintf(w, "run: %d objects taken up where an earlier run, interrupted or failing, stopped reading them (their lines before that were delivered then)\n", p.resumedObjects)
	}
	fmt.Fprintf(w, "run: %12d lines read\n", read)
	fmt.Fprintf(w, "run: %12d events delivered to %s (%d of them parse failures, tagged _elbparsefailure)\n", delivered, p.out, tr.ParseFailures)
	fmt.Fprintf(w, "run: %12d control lines skipped (Enable AccessLog for ELB …)\n", tr.Skipped)
	fmt.Fprintf(w, "run: %12d empty lines skipped\n", in.EmptyLines)
	refusedTerm := ""
	if refused != 0 {
		fmt.Fprintf(w, "run: %12d lines the raw stream did not accept (their objects FAILED, named below)\n", refused)
		refusedTerm = fmt.Sprintf(" + %d not accepted", refused)
	}
	switch {
	case r.interrupted:
		fmt.Fprintf(w, "run: interrupted: %d lines read are not delivered yet\n", missing)
	case missing == 0:
		fmt.Fprintf(w, "run: reconciled: %d read = %d delivered + %d control + %d empty%s\n", read, delivered, tr.Skipped, in.EmptyLines, refusedTerm)
	default:
		fmt.Fprintf(w, "run: NOT RECONCILED: %d read ≠ %d delivered + %d control + %d empty%s (off by %d)\n",
			read, delivered, tr.Skipped, in.EmptyLines, refusedTerm, missing)
	}
	fmt.Fprintf(w, "run: pipeline: %d lines in %d raw records → %d lines → %d events in %d records → %d events read → %d %s, on %d shards\n",
		in.Lines, in.Records, tr.Lines, tr.Events, tr.Entries, fw.EventsRead, fw.EventsAcked, fw.Guarantee, r.shards)
	var extra []string
	if in.TruncatedLines > 0 {
		extra = append(extra, fmt.Sprintf("%d lines truncated to the line limit (delivered, marked)", in.TruncatedLines))
	}
	if tr.Truncated > 0 {
		extra = append(extra, fmt.Sprintf("%d lines cut to fit an events record (delivered, marked)", tr.Truncated))
	}
	if tr.Undecodable > 0 {
		extra = append(extra, fmt.Sprintf("%d undecodable raw records", tr.Undecodable))
	}
	if fw.Malformed > 0 {
		extra = append(extra, fmt.Sprintf("%d undeliverable event records skipped", fw.Malformed))
	}
	if in.Retries+tr.Retries > 0 {
		extra = append(extra, fmt.Sprintf("%d stream puts retried", in.Retries+tr.Retries))
	}
	if len(extra) > 0 {
		fmt.Fprintf(w, "run: %s\n", strings.Join(extra, "; "))
	}
	writeParseFailures(w, "run: ", tr.LastFailures)
	rate := 0.0
	if secs := r.took.Seconds(); secs > 0 {
		rate = float64(delivered) / secs
	}
	fmt.Fprintf(w, "run: output: connections opened %d, events re-sent after connection failures %d, sends retried %d; %v (%.0f events/s)\n",
		r.output.ConnectionsCreated, r.output.EventsRetried, fw.Retries, r.took.Round(time.Millisecond), rate)
	for _, e := range in.Errors {
		fmt.Fprintf(w, "run: error: %s\n", e)
	}
	// The output's failures were retried (or their data skipped and
	// counted above): whether the run failed is the exit status's to say.
	for _, f := range r.failures {
		fmt.Fprintf(w, "run: forward failure %s\n", f)
	}
	return missing
}

// showProgress redraws one status line on stderr twice a second, when
// --progress says so. In auto mode it stays off when stdout is the same
// terminal as stderr and the events go there: the redraws would tear the
// events apart.
func (p *pipeline) showProgress(is *ingest.Stats, ts *transform.Stats, fm *forward.Metrics, began time.Time) (stop func()) {
	w := p.io.err
	auto := isTerminal(w) && !(p.flags.to == "stdout" && isTerminal(p.io.out))
	return progressLine(w, progressWanted(p.flags.progress, auto), 500*time.Millisecond, func(w io.Writer) {
		in, tr, fw := is.Summary(), ts.Snapshot(), fm.Snapshot()
		secs := time.Since(began).Seconds()
		fmt.Fprintf(w, "read %d objects, %d lines (%s) │ transformed %s │ delivered %d events (%s), %.0f/s",
			in.Objects, in.LinesRead+in.EmptyLines, bytesize.Format(in.Bytes), runPercent(tr.Lines, in.Lines),
			fw.EventsAcked, runPercent(fw.EventsAcked+tr.Skipped, in.Lines), float64(fw.EventsAcked)/secs)
	})
}

// runPercent is n of total, as progress shows it.
func runPercent(n, total int64) string {
	if total <= 0 {
		return "0%"
	}
	return fmt.Sprintf("%d%%", n*100/total)
}
