package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/elbstream/elbstream/ingest"
	"github.com/elbstream/elbstream/internal/bytesize"
	"github.com/elbstream/elbstream/transform/elblog"
)

func init() {
	register(&command{
		name:    "parse",
		summary: "parse load-balancer log lines (files, directories or stdin) into JSON events on stdout",
		run:     runParse,
	})
}

const parseAbout = `
Reads CLB, ALB, ALB connection and NLB log lines from each FILE (a
directory: every file under it, recursively, in lexical order, as
elbstream run reads it; "-": stdin), or from stdin when there is none (gzip
or plain, recognised by content; any line length), writes one JSON event
per line on stdout, and a summary on stderr: lines, events, parse failures,
skipped control lines, and the last few failures. Flags may come before,
between or after the FILEs.

A line that does not parse is still an event, with event.original,
error.message and tags ["_elbparsefailure"]. AWS's control lines ("Enable
AccessLog for ELB: ...") and blank lines are skipped and counted.

event.id is deterministic. A FILE's lines get the ids elbstream run gives
them: the source is the file's path, size and modification time, the
position a line's byte offset. Lines on stdin are identified by --source
and their line number.

A FILE that cannot be read (missing, broken gzip) is named on stderr and the
others are still read; its lines before the error are written. Exit status
0 when all input was read and written, 1 otherwise, 2 for bad flags.`

func runParse(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("parse", "[flags] [FILE...]", parseAbout, io)
	var ef transformEncoderFlags
	ef.register(fs)
	source := fs.String("source", "-", "identity of stdin's input for event.id (the `NAME` of the object the lines come from); a line's position is its line number")
	files, err := parseCommandLine(fs, args)
	if err != nil {
		return err
	}
	// --source with FILEs alone is a mistake; ELBSTREAM_SOURCE, which may be
	// set for every parse of a shell or job, names stdin only when it is read.
	sourceGiven := flagGiven(fs, "source")
	if err := applyEnvAndCheck(fs); err != nil {
		return err
	}
	enc, err := ef.encoder()
	if err != nil {
		return usageError(fs, err.Error())
	}
	stdinNamed := 0
	for _, f := range files {
		if f == "-" {
			stdinNamed++
		}
	}
	if stdinNamed > 1 {
		return usageError(fs, `"-" (stdin) given more than once`)
	}
	if len(files) > 0 && stdinNamed == 0 && sourceGiven {
		return usageError(fs, "--source names stdin's input: a FILE is identified by its path, size and modification time, as elbstream run identifies it")
	}

	p := lineParser{enc: &enc, w: bufio.NewWriterSize(io.out, parseWriteBuffer), start: time.Now()}
	if len(files) == 0 {
		err = p.stdin(ctx, io.in, *source)
	} else {
		err = p.files(ctx, files, io.in, *source, io.err)
	}
	if ferr := p.w.Flush(); ferr != nil && err == nil {
		err = fmt.Errorf("write stdout: %w", ferr)
	}
	p.sum.elapsed = time.Since(p.start)
	p.sum.print(io.err)
	return err
}

// flagGiven reports whether the flag was set: on the command line, and,
// once the environment is applied, from it.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// parseSummary counts what a lineParser did.
type parseSummary struct {
	files, unreadable              int // FILE arguments, and those not read to their end
	lines, parsed, failed, skipped int64
	in, out                        int64 // bytes (decompressed)
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

// lineParser encodes the lines of its inputs as JSON lines on w, counting
// into sum.
type lineParser struct {
	enc   *elblog.Encoder
	w     *bufio.Writer
	start time.Time
	sum   parseSummary
	long  []byte // a line longer than the read buffer
	out   []byte // the event being written
}

// input is one stream of lines and how its lines are identified.
type input struct {
	name    string // for failures: "" for stdin, else the FILE
	source  string // provenance identity
	offsets bool   // positions are byte offsets (as in the pipeline), not line numbers
}

// errRead marks an error reading an input, as opposed to writing stdout or
// being interrupted: a FILE that cannot be read does not stop the others.
type errRead struct{ err error }

func (e errRead) Error() string { return e.err.Error() }
func (e errRead) Unwrap() error { return e.err }

// stdin parses the lines of r, gzip or plain, identified by source and
// their line number.
func (p *lineParser) stdin(ctx context.Context, r io.Reader, source string) error {
	content, _, err := ingest.Decompress(r)
	if err == nil {
		err = p.lines(ctx, content, input{source: source})
	}
	if re := (errRead{}); errors.As(err, &re) {
		return fmt.Errorf("read stdin: %w", re.err)
	}
	return err
}

// files parses each file in turn: a directory's files recursively, in
// lexical order (skipping what elbstream run skips, such as AWS's
// ELBAccessLogTestFile), and "-" as stdin, identified by source. A file
// that cannot be read is named on warn and the next one is read; the error
// returned then says how many.
func (p *lineParser) files(ctx context.Context, names []string, stdin io.Reader, source string, warn io.Writer) error {
	one := func(name string) error {
		p.sum.files++
		var err error
		if name == "-" {
			var content io.Reader
			if content, _, err = ingest.Decompress(stdin); err != nil {
				err = errRead{err}
			} else {
				err = p.lines(ctx, content, input{name: "stdin", source: source})
			}
		} else {
			err = p.file(ctx, name)
		}
		if re := (errRead{}); errors.As(err, &re) {
			p.sum.unreadable++
			if name == "-" {
				name = "stdin"
			}
			fmt.Fprintf(warn, "elbstream parse: %s: %v\n", name, re.err)
			return nil
		}
		return err
	}
	for _, name := range names {
		var err error
		if fi, serr := os.Stat(name); name != "-" && serr == nil && fi.IsDir() {
			var stop error // what stopped the walk from its callback
			werr := ingest.WalkFiles(name, ingest.Filter{}, func(path, skip string, err error) error {
				switch {
				case err != nil:
					// A directory that cannot be listed: named, counted,
					// and the files beside it still parsed.
					p.sum.files++
					p.sum.unreadable++
					fmt.Fprintf(warn, "elbstream parse: %s: %v\n", path, err)
				case skip == "":
					stop = one(path)
				}
				if stop == nil {
					stop = ctx.Err()
				}
				return stop
			})
			err = cmp.Or(stop, werr)
		} else {
			err = one(name)
		}
		if err != nil {
			return err
		}
	}
	if p.sum.unreadable > 0 {
		return fmt.Errorf("%d of %d files could not be read to their end (named above)", p.sum.unreadable, p.sum.files)
	}
	return nil
}

// file parses one file, gzip or plain, with the provenance the pipeline
// gives it: ingest.FileSource and byte offsets in the decompressed content.
func (p *lineParser) file(ctx context.Context, name string) error {
	f, err := os.Open(name)
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return errRead{fmt.Errorf("%s: %w", pe.Op, pe.Err)} // the caller names the file
	}
	if err != nil {
		return errRead{err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return errRead{err}
	}
	if fi.IsDir() {
		return errRead{errors.New("is a directory")}
	}
	source, err := ingest.FileSource(name, fi)
	if err != nil {
		return errRead{err}
	}
	content, _, err := ingest.Decompress(f)
	if err != nil {
		return errRead{err}
	}
	return p.lines(ctx, content, input{name: name, source: source, offsets: true})
}

// lines encodes every line of r. It stops at the end of r, at the first
// read error (an errRead; the partial line before it is dropped) or write
// error, or when ctx is done (checked between lines).
func (p *lineParser) lines(ctx context.Context, r io.Reader, in input) error {
	br := bufio.NewReaderSize(r, parseReadBuffer)
	var number, offset int64 // of the line in r
	done := ctx.Done()
	for {
		select {
		case <-done:
			return fmt.Errorf("interrupted after %d lines: %w", p.sum.lines, ctx.Err())
		default:
		}
		line, rerr := br.ReadSlice('\n')
		if errors.Is(rerr, bufio.ErrBufferFull) {
			p.long = append(p.long[:0], line...)
			for errors.Is(rerr, bufio.ErrBufferFull) {
				line, rerr = br.ReadSlice('\n')
				p.long = append(p.long, line...)
			}
			line = p.long
		}
		if rerr != nil && rerr != io.EOF {
			// A partial line before a read error is not encoded, as ingest
			// does not send it: its end is unknown.
			return errRead{fmt.Errorf("after %d lines: %w", number, rerr)}
		}
		if len(line) > 0 {
			number++
			pos := number
			if in.offsets {
				pos = offset
			}
			offset += int64(len(line))
			if err := p.line(line, elblog.Provenance{Source: in.source, Position: pos}, in.name, number); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			return nil
		}
	}
}

// line encodes and writes one line, the number-th of input name.
func (p *lineParser) line(line []byte, prov elblog.Provenance, name string, number int64) error {
	s := &p.sum
	s.lines++
	s.in += int64(len(line))
	var outcome elblog.Outcome
	var err error
	p.out, outcome, err = p.enc.AppendJSON(p.out[:0], line, prov)
	switch outcome {
	case elblog.Skipped:
		s.skipped++
		return nil
	case elblog.Failed:
		if len(p.out) == 0 { // the encoder itself is misconfigured
			return err
		}
		s.failed++
		where := fmt.Sprintf("line %d", number)
		if name != "" {
			where = name + " " + where
		}
		s.failures = append(s.failures, where+": "+err.Error())
		if len(s.failures) > parseKeepFailures {
			s.failures = s.failures[1:]
		}
	default:
		s.parsed++
	}
	p.out = append(p.out, '\n')
	s.out += int64(len(p.out))
	if _, err := p.w.Write(p.out); err != nil {
		return fmt.Errorf("write stdout: %w", err)
	}
	return nil
}

func (s parseSummary) print(w io.Writer) {
	var b strings.Builder
	b.WriteString("elbstream parse: ")
	if s.files > 0 {
		noun := "files"
		if s.files == 1 {
			noun = "file"
		}
		fmt.Fprintf(&b, "%d %s (%d unreadable): ", s.files, noun, s.unreadable)
	}
	fmt.Fprintf(&b, "%d lines: %d events (%d parsed, %d parse failures), %d skipped (control or blank lines)",
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
