package output

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
)

// lineWriter is the stdout and file outputs: one JSON event per line, one
// Send at a time so lines of concurrent Sends never interleave.
type lineWriter struct {
	name string
	sync func() error // file: fsync; stdout: nothing
	f    io.Closer    // nil for stdout, which is not ours to close

	mu     sync.Mutex
	w      *bufio.Writer
	closed bool

	c counters
}

func newStdout(w io.Writer) *lineWriter {
	return &lineWriter{name: "stdout", w: bufio.NewWriterSize(w, 64<<10), sync: func() error { return nil }}
}

func openFile(path string) (*lineWriter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	sync := f.Sync
	if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
		// fsync of a character device or a pipe (file:/dev/null, a FIFO)
		// fails with EINVAL, and Send would retry it forever; there is
		// nothing to make durable.
		sync = func() error { return nil }
	}
	return &lineWriter{name: "file:" + path, w: bufio.NewWriterSize(f, 64<<10), sync: sync, f: f}, nil
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
	o.c.sent.Add(uint64(len(events)))
	var n int
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
		// bufio keeps the error: the writer is broken for good, and which
		// lines reached the file is unknown.
		o.c.failures.Add(1)
		return &SendError{Total: len(events), Err: fmt.Errorf("%s: %w", o.name, err)}
	}
	o.c.bytes.Add(uint64(n))
	o.c.acked.Add(uint64(len(events)))
	o.c.windows.Add(1)
	return nil
}

func (o *lineWriter) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil
	}
	o.closed = true
	err := o.w.Flush()
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
