package output

import (
	"context"
	"errors"
	"fmt"
)

// Output delivers events to one receiver. Implementations are safe for
// concurrent use.
type Output interface {
	// Send delivers events, each one JSON object without a trailing newline.
	// It returns nil only when every event is delivered as Guarantee says.
	// Transient failures are retried inside Send (redialing and resending
	// what was not acknowledged) until ctx is done. Any error is a
	// *SendError telling how many leading events were delivered anyway.
	//
	// Send does not retain events or their contents after it returns.
	Send(ctx context.Context, events [][]byte) error

	// Connect makes sure one connection to the receiver is established,
	// dialing it if the pool holds none. It makes one attempt, no retry, so
	// callers can fail fast on a wrong address. Outputs without a
	// connection return nil.
	Connect(ctx context.Context) error

	// Guarantee says what a nil error from Send means.
	Guarantee() Guarantee

	// Stats returns the counters since Open. It is cheap (atomic loads).
	Stats() Stats

	// String returns the output's URL, for logs and summaries.
	String() string

	// Close closes every connection. A Send in progress returns an error
	// wrapping ErrClosed; later Sends return ErrClosed.
	Close() error
}

// Guarantee is what a successful Send means.
type Guarantee int

const (
	// Acknowledged: the receiver acknowledged every event (beats ACK).
	Acknowledged Guarantee = iota
	// Written: every event was written and flushed to the connection, file
	// or standard output; no receiver acknowledged anything (tcp, stdout,
	// file).
	Written
)

func (g Guarantee) String() string {
	switch g {
	case Acknowledged:
		return "acknowledged"
	case Written:
		return "written"
	}
	return fmt.Sprintf("Guarantee(%d)", int(g))
}

// Stats are an Output's counters since Open.
type Stats struct {
	ConnectionsCreated   uint64 // connections dialed and confirmed (connected, TLS handshake done)
	ConnectionsDestroyed uint64 // connections closed, after an error or on Close
	DialErrors           uint64 // dial or TLS handshake attempts that failed
	Failures             uint64 // send attempts that failed on an established connection
	EventsSent           uint64 // events written, resends included
	EventsAcked          uint64 // events delivered as Guarantee says
	EventsRetried        uint64 // events written again after a failure
	Windows              uint64 // windows (beats) or writes (tcp) completed
	Bytes                uint64 // bytes written, framing included, before TLS
}

// Open returns the connections open now.
func (s Stats) Open() uint64 { return s.ConnectionsCreated - s.ConnectionsDestroyed }

// ErrClosed is returned by Send after Close.
var ErrClosed = errors.New("output: closed")

// ErrInvalidEvent is wrapped by a SendError for an event that is not a JSON
// object on one line. Such an event would make a receiver drop the
// connection on every retry, so it is refused before anything is sent.
var ErrInvalidEvent = errors.New("invalid event")

// SendError is the error Send returns when not every event was delivered.
type SendError struct {
	// Delivered is the length of the longest prefix of the events known
	// delivered: events[:Delivered] were all delivered. Events after it may
	// or may not have arrived.
	Delivered int
	// Total is len(events).
	Total int
	// Err is why Send stopped: the context's error, ErrClosed, or a
	// permanent error.
	Err error
	// Last is the last transient error Send retried before stopping, if any.
	Last error
}

func (e *SendError) Error() string {
	msg := fmt.Sprintf("%d of %d events undelivered: %v", e.Total-e.Delivered, e.Total, e.Err)
	if e.Last != nil && e.Last != e.Err {
		msg += fmt.Sprintf(" (last error: %v)", e.Last)
	}
	return msg
}

// Unwrap returns Err and Last, so errors.Is(err, context.DeadlineExceeded)
// and errors.As on the network error both work.
func (e *SendError) Unwrap() []error {
	if e.Last == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Last}
}

// Delivered returns how many leading events of a Send were delivered: all
// of them when err is nil, SendError.Delivered for a *SendError, 0
// otherwise.
func Delivered(err error, total int) int {
	if err == nil {
		return total
	}
	var se *SendError
	if errors.As(err, &se) {
		return se.Delivered
	}
	return 0
}

// InvalidEventError reports the first event of a Send that is not a JSON
// object on one line; nothing of that Send was sent. It matches
// ErrInvalidEvent with errors.Is.
type InvalidEventError struct {
	Index  int    // index of the event in the Send
	Reason string // what is wrong with it
}

func (e *InvalidEventError) Error() string {
	return fmt.Sprintf("event %d: %v: %s", e.Index, ErrInvalidEvent, e.Reason)
}

func (e *InvalidEventError) Is(target error) bool { return target == ErrInvalidEvent }

var (
	_ Output = (*pool)(nil)
	_ Output = (*lineWriter)(nil)
)
