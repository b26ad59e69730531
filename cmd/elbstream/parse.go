package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/elbstream/elbstream/internal/bytesize"
	"github.com/elbstream/elbstream/transform/elblog"
)

func init() {
	register(&command{
		name:    "parse",
		summary: "parse load-balancer log lines on stdin into JSON events on stdout",
		run:     runParse,
	})
}

const parseAbout = `
Reads CLB, ALB, ALB connection and NLB log lines on stdin (plain text, any
line length; decompress first: zcat file.log.gz | elbstream parse), writes
one JSON event per line on stdout, and a summary on stderr: lines, events,
parse failures, skipped control lines, and the last few failures.

A line that does not parse is still an event, with event.original,
error.message and tags ["_elbparsefailure"]. AWS's control lines ("Enable
AccessLog for ELB: ...") and blank lines are skipped and counted. event.id
is derived from --source and the line number, so the same input always
gives the same ids. Exit status 0 when all input was read and written.`

func runParse(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("parse", "[flags] < LOG", parseAbout, io)
	var ef transformEncoderFlags
	ef.register(fs)
	source := fs.String("source", "-", "identity of the input for event.id (the `NAME` of the object the lines come from); a line's position is its line number")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(fs, fmt.Sprintf("unexpected argument %q: lines are read from stdin", fs.Arg(0)))
	}
	enc, err := ef.encoder()
	if err != nil {
		return usageError(fs, err.Error())
	}
	sum, err := parseLines(ctx, &enc, *source, io.in, io.out)
	sum.print(io.err)
	return err
}

// parseSummary counts what parseLines did.
type parseSummary struct {
	lines, parsed, failed, skipped int64
	in, out                        int64 // bytes
	elapsed                        time.Duration
	failures                       []string // the last few, "line N: why"
}

const parseKeepFailures = 5

// Buffer sizes for stdin and stdout: large enough that reads and writes are
// rare next to parsing. A line longer than the read buffer is assembled in
// a separate buffer, so any length works.
const (
	parseReadBuffer  = 1 << 20
	parseWriteBuffer = 1 << 20
)

// parseLines encodes every line of r as one JSON line on w. It stops at the
// end of r, at the first read or write error, or when ctx is done (checked
// between lines); what was encoded is flushed in every case.
func parseLines(ctx context.Context, enc *elblog.Encoder, source string, r io.Reader, w io.Writer) (sum parseSummary, err error) {
	start := time.Now()
	br := bufio.NewReaderSize(r, parseReadBuffer)
	bw := bufio.NewWriterSize(w, parseWriteBuffer)
	defer func() {
		if ferr := bw.Flush(); ferr != nil && err == nil {
			err = fmt.Errorf("write stdout: %w", ferr)
		}
		sum.elapsed = time.Since(start)
	}()
	var (
		long []byte // a line longer than br's buffer
		out  []byte // the event being written
		done = ctx.Done()
	)
	for {
		select {
		case <-done:
			return sum, fmt.Errorf("interrupted after %d lines: %w", sum.lines, ctx.Err())
		default:
		}
		line, rerr := br.ReadSlice('\n')
		if errors.Is(rerr, bufio.ErrBufferFull) {
			long = append(long[:0], line...)
			for errors.Is(rerr, bufio.ErrBufferFull) {
				line, rerr = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if len(line) > 0 {
			sum.lines++
			sum.in += int64(len(line))
			p := elblog.Provenance{Source: source, Position: sum.lines}
			var outcome elblog.Outcome
			var perr error
			out, outcome, perr = enc.AppendJSON(out[:0], line, p)
			switch outcome {
			case elblog.Skipped:
				sum.skipped++
			case elblog.Failed:
				if len(out) == 0 { // the encoder itself is misconfigured
					return sum, perr
				}
				sum.failed++
				sum.failures = append(sum.failures, fmt.Sprintf("line %d: %v", sum.lines, perr))
				if len(sum.failures) > parseKeepFailures {
					sum.failures = sum.failures[1:]
				}
			default:
				sum.parsed++
			}
			if outcome != elblog.Skipped {
				out = append(out, '\n')
				sum.out += int64(len(out))
				if _, werr := bw.Write(out); werr != nil {
					return sum, fmt.Errorf("write stdout: %w", werr)
				}
			}
		}
		switch {
		case rerr == io.EOF:
			return sum, nil
		case rerr != nil:
			return sum, fmt.Errorf("read stdin: %w", rerr)
		}
	}
}

func (s parseSummary) print(w io.Writer) {
	var b strings.Builder
	fmt.Fprintf(&b, "elbstream parse: %d lines: %d events (%d parsed, %d parse failures), %d skipped (control or blank lines)",
		s.lines, s.parsed+s.failed, s.parsed, s.failed, s.skipped)
	fmt.Fprintf(&b, "; %s in, %s out in %s", bytesize.Format(s.in), bytesize.Format(s.out), s.elapsed.Round(s.elapsed/100+1))
	if secs := s.elapsed.Seconds(); secs > 0 && s.lines > 0 {
		fmt.Fprintf(&b, " (%.0f lines/s)", float64(s.lines)/secs)
	}
	b.WriteByte('\n')
	if len(s.failures) > 0 {
		fmt.Fprintf(&b, "last %d parse failures:\n", len(s.failures))
		for _, f := range s.failures {
			fmt.Fprintf(&b, "  %s\n", f)
		}
	}
	io.WriteString(w, b.String())
}
