package forward

import "context"

// Sender is what the forwarder needs from an output (an output.Output): deliver a window of
// events, in order, and return once every one of them was acknowledged (or
// written and flushed, for outputs without acknowledgements). On error, any
// part of the window may have been delivered; the forwarder sends the whole
// window again. The events alias stream records: Send must not keep them
// after it returns. Send must be safe for concurrent use (one caller per
// shard).
type Sender interface {
	Send(ctx context.Context, events [][]byte) error
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, events [][]byte) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, events [][]byte) error { return f(ctx, events) }
