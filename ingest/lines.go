package ingest

import (
	"bufio"
	"errors"
	"io"

	"github.com/elbstream/elbstream/internal/linecut"
)

// DefaultMaxLineBytes is the longest line kept whole. ALB user agents and
// URLs reach 8 KB; 64 KiB leaves room for anything a load balancer writes.
const DefaultMaxLineBytes = 64 << 10

// MinMaxLineBytes is the smallest line limit a LineReader accepts, so that a
// truncated line still has room for its marker and some of its text; a
// smaller one is raised to it.
const MinMaxLineBytes = 256

// TruncationMarker starts the text appended to a line that was cut to fit
// the line limit: the kept prefix is followed by
//
//	" [elbstream: line truncated from N bytes]"
//
// where N is the line's original length without its terminator. The
// transform sees the marker as part of the line (the line then normally
// fails to parse and is forwarded with its original text and a parse-failure
// tag), so a cut line is visible downstream, never silently shortened.
const TruncationMarker = linecut.Marker

// LineReader splits a byte stream into lines ending in LF or CRLF, keeping
// each line's byte offset in the stream. A final line without a terminator
// is returned too. Memory is bounded by the line limit, whatever the input.
//
// A line longer than the limit is cut on a UTF-8 boundary, marked with
// TruncationMarker, and returned as one line; the rest of it is read and
// discarded, so offsets stay exact.
//
// A LineReader is not safe for concurrent use.
type LineReader struct {
	r     *bufio.Reader
	max   int
	next  int64 // offset of the next line
	line  []byte
	pos   int64
	orig  int // original length of a truncated line; 0 if not truncated
	long  []byte
	err   error
	lines int64
}

// NewLineReader returns a LineReader over r whose first byte is at offset
// start of the stream (non-zero when reading resumes mid-object). maxLine is
// the longest line kept whole; 0 means DefaultMaxLineBytes, values below 256
// are raised to 256.
func NewLineReader(r io.Reader, maxLine int, start int64) *LineReader {
	if maxLine <= 0 {
		maxLine = DefaultMaxLineBytes
	}
	maxLine = max(maxLine, MinMaxLineBytes)
	// Room for the longest kept line plus CRLF, so that ReadSlice returns
	// every line that is short enough in one piece.
	size := max(maxLine+2, 4096)
	return &LineReader{r: bufio.NewReaderSize(r, size), max: maxLine, next: start}
}

// Scan advances to the next line. It returns false at the end of the input
// or on a read error; Err tells which.
func (l *LineReader) Scan() bool {
	if l.err != nil {
		return false
	}
	l.pos = l.next
	l.orig = 0
	b, err := l.r.ReadSlice('\n')
	switch {
	case err == nil:
		l.next += int64(len(b))
		l.line = trimEOL(b)
		if len(l.line) > l.max {
			l.truncate(l.line, len(l.line))
		}
	case errors.Is(err, bufio.ErrBufferFull):
		l.next += int64(len(b))
		if !l.readLong(b) {
			return false
		}
	case errors.Is(err, io.EOF):
		l.next += int64(len(b))
		if len(b) == 0 {
			l.err = io.EOF
			return false
		}
		// A last line without a terminator.
		l.line = b
		if len(b) > 0 && b[len(b)-1] == '\r' {
			l.line = b[:len(b)-1]
		}
		if len(l.line) > l.max {
			l.truncate(l.line, len(l.line))
		}
		l.err = io.EOF
		l.lines++
		return true
	default:
		// A partial line before a read error is not returned: its end
		// is unknown.
		l.err = err
		return false
	}
	l.lines++
	return true
}

// readLong handles a line longer than the buffer: it keeps the head,
// discards the rest up to the terminator, and marks the line truncated.
func (l *LineReader) readLong(head []byte) bool {
	l.long = append(l.long[:0], head[:min(len(head), l.max)]...)
	n := len(head)
	last := head[len(head)-1]
	for {
		b, err := l.r.ReadSlice('\n')
		l.next += int64(len(b))
		n += len(b)
		switch {
		case err == nil:
			// n counts the terminator: take LF, and CR before it, off.
			n--
			if len(b) >= 2 {
				last = b[len(b)-2]
			}
			if last == '\r' {
				n--
			}
			l.cut(n)
			return true
		case errors.Is(err, bufio.ErrBufferFull):
			last = b[len(b)-1]
		case errors.Is(err, io.EOF):
			if len(b) > 0 {
				last = b[len(b)-1]
			}
			if last == '\r' {
				n--
			}
			l.cut(n)
			l.err = io.EOF
			return true
		default:
			l.err = err
			return false
		}
	}
}

// truncate makes the current line a marked prefix of b, whose full length
// is orig.
func (l *LineReader) truncate(b []byte, orig int) {
	l.long = append(l.long[:0], b[:min(len(b), l.max)]...)
	l.cut(orig)
}

// cut shortens l.long, which holds at least the line's first l.max bytes
// (or all of it), to fit the marker within the limit, backing off to a
// UTF-8 boundary, and makes it the current line.
func (l *LineReader) cut(orig int) {
	l.long = linecut.Append(l.long[:0], l.long, l.max, orig)
	l.line = l.long
	l.orig = orig
}

func trimEOL(b []byte) []byte {
	b = b[:len(b)-1]
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return b
}

// Bytes returns the current line without its terminator. It aliases the
// reader's buffer and is valid only until the next call to Scan.
func (l *LineReader) Bytes() []byte { return l.line }

// Pos returns the byte offset of the current line's first byte.
func (l *LineReader) Pos() int64 { return l.pos }

// Next returns the offset just past the current line and its terminator:
// where the next line starts, and where reading would resume.
func (l *LineReader) Next() int64 { return l.next }

// Truncated returns the current line's original length when it was cut to
// fit the limit, else 0.
func (l *LineReader) Truncated() int { return l.orig }

// Lines returns how many lines Scan has returned.
func (l *LineReader) Lines() int64 { return l.lines }

// Err returns the first read error, or nil at a clean end of input.
func (l *LineReader) Err() error {
	if errors.Is(l.err, io.EOF) {
		return nil
	}
	return l.err
}
