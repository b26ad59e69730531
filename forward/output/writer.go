package output

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
)

// maxTornTail is the longest incomplete last line openFile cuts off: no
// event is longer than a stream record (1 MiB on Kinesis).
const maxTornTail = 1 << 20

// lineWriter is the stdout and file outputs: one JSON event per line, one
// Send at a time so lines of concurrent Sends never interleave.
//
// A failed write or sync does not break the output for good: the next Send
// starts clean. A regular file is cut back to its size after the last
// successful Send, so that it holds only whole lines (the failed Send's
// events are sent again by the caller); on stdout or a pipe, which cannot
// be cut, a line the failure left incomplete is ended before the next
// event, so that no event is glued to a torn one.
type lineWriter struct {
	name string
	sync func() error // file: fsync; stdout: nothing
	f    io.Closer    // nil for stdout, which is not ours to close
	file *os.File     // a regular file, cut back after a failure; else nil

	mu       sync.Mutex
	out      *lastByte
	w        *bufio.Writer
	size     int64 // file: its size after the last successful Send
	goodLast byte  // file: its last byte then ('\n' when empty)
	failed   error // the last Send failed with this; reset before the next
	closed   bool

	c counters
}

// lastByte remembers the last byte that reached w.
type lastByte struct {
	w    io.Writer
	last byte
}

func (l *lastByte) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if n > 0 {
		l.last = p[n-1]
	}
	return n, err
}

func newLineWriter(name string, w io.Writer) *lineWriter {
	out := &lastByte{w: w, last: '\n'}
	return &lineWriter{name: name, out: out, w: bufio.NewWriterSize(out, 64<<10), sync: func() error { return nil }}
}

func newStdout(w io.Writer) *lineWriter { return newLineWriter("stdout", w) }

// openFile opens path to append to, creating it. A regular file whose last
// line is incomplete — a write cut short by a crash, whose events were
// never acknowledged and are sent again — has that line cut off, so the
// next event starts a line of its own.
func openFile(path string) (*lineWriter, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	o := newLineWriter("file:"+path, f)
	o.f = f
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("output: %w", err)
	}
	if !fi.Mode().IsRegular() {
		// fsync of a character device or a pipe (file:/dev/null, a FIFO)
		// fails with EINVAL, and Send would retry it forever; there is
		// nothing to make durable.
		return o, nil
	}
	o.file, o.sync = f, f.Sync
	if o.size, err = cutTornTail(f, fi.Size()); err != nil {
		f.Close()
		return nil, fmt.Errorf("output: %s: %w", path, err)
	}
	if o.size > 0 {
		// Either it ends with a newline, or what follows its last newline
		// is not an event of ours (see cutTornTail): end that line first.
		var b [1]byte
		if _, err := f.ReadAt(b[:], o.size-1); err != nil {
			f.Close()
			return nil, fmt.Errorf("output: %s: %w", path, err)
		}
		o.out.last = b[0]
	}
	o.goodLast = o.out.last
	return o, nil
}

// cutTornTail truncates f, of size bytes, after its last newline when what
// follows it looks like the start of an event cut short: up to maxTornTail
// bytes beginning with '{'. It returns the size f has then.
func cutTornTail(f *os.File, size int64) (int64, error) {
	if size == 0 {
		return 0, nil
	}
	n := min(size, maxTornTail+1)
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, size-n); err != nil {
		return 0, err
	}
	if buf[n-1] == '\n' {
		return size, nil
	}
	i := bytes.LastIndexByte(buf, '\n')
	if i < 0 && n < size {
		return size, nil // a last line longer than any event: not ours
	}
	tail := buf[i+1:]
	if tail[0] != '{' {
		return size, nil
	}
	size -= int64(len(tail))
	if err := f.Truncate(size); err != nil {
		return 0, fmt.Errorf("cut the incomplete last line: %w", err)
	}
	return size, f.Sync()
}

func (o *lineWriter) String() string                { return o.name }
func (o *lineWriter) Guarantee() Guarantee          { return Written }
func (o *lineWriter) Connect(context.Context) error { return nil }

func (o *lineWriter) Stats() Stats { return o.c.stats() }

// Send writes each event and a newline, flushes, and for a file syncs. The
// context is not consulted during the write: a local write does not hang
// the way a network peer can.
func (o *lineWriter) Send(ctx context.Context, events [][]byte) error {
	if len(events) == 0 {
		return nil
	}
	if err := validLines(events); err != nil {
		return &SendError{Total: len(events), Err: err}
	}
	if err := ctx.Err(); err != nil {
		return &SendError{Total: len(events), Err: err}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return &SendError{Total: len(events), Err: ErrClosed}
	}
	if err := o.restart(); err != nil {
		o.c.failures.Add(1)
		return &SendError{Total: len(events), Err: fmt.Errorf("%s: after %v: %w", o.name, o.failed, err)}
	}
	o.c.sent.Add(uint64(len(events)))
	var n int
	if o.out.last != '\n' {
		o.w.WriteByte('\n') // end the line a failure or a stranger left
		n++
	}
	for _, e := range events {
		n += len(e) + 1
		o.w.Write(e)
		o.w.WriteByte('\n')
	}
	err := o.w.Flush()
	if err == nil {
		err = o.sync()
	}
	if err != nil {
		// Which lines reached the output is unknown: the next Send
		// starts from the last good state (see restart).
		o.failed = err
		o.c.failures.Add(1)
		return &SendError{Total: len(events), Err: fmt.Errorf("%s: %w", o.name, err)}
	}
	o.size += int64(n)
	o.goodLast = '\n'
	o.c.bytes.Add(uint64(n))
	o.c.acked.Add(uint64(len(events)))
	o.c.windows.Add(1)
	return nil
}

// restart makes the output usable after a failed Send: bufio keeps a write
// error for good, so the buffer is dropped, and a regular file is cut back
// to its last good size (a cut that fails is tried again at the next Send).
func (o *lineWriter) restart() error {
	if o.failed == nil {
		return nil
	}
	if o.file != nil {
		if err := o.file.Truncate(o.size); err != nil {
			return fmt.Errorf("cut back to %d bytes: %w", o.size, err)
		}
		o.out.last = o.goodLast
	}
	o.w.Reset(o.out)
	o.failed = nil
	return nil
}

func (o *lineWriter) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil
	}
	o.closed = true
	err := o.restart() // leave whole lines
	if err == nil {
		err = o.w.Flush()
	}
	if o.f != nil {
		if cerr := o.f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("%s: close: %w", o.name, err)
	}
	return nil
}
