package ingest

import (
	"context"
	"encoding/json"
	"fmt"
)

// Task is one object to read from Offset on.
type Task struct {
	Object
	// Offset is the byte offset in the decompressed object of the first
	// line not yet written; 0 reads the whole object.
	Offset int64 `json:"offset,omitempty"`
	// Gzip records that the stored object is gzip-compressed. A plain
	// object resumes with a ranged GetObject starting just before Offset;
	// a gzip stream cannot be entered in the middle, so a gzip object is
	// read again from its start and its first Offset decompressed bytes
	// are discarded.
	Gzip bool `json:"gzip,omitempty"`
}

// Continuation is the event an ingest Lambda function sends itself when its
// deadline approaches: the objects, and where in them, the next invocation
// is to continue. On the wire it is {"elbstreamContinuation": {...}}.
type Continuation struct {
	Tasks []Task `json:"tasks"`
	// Hop counts the continuations in the chain; the first is 1.
	Hop int `json:"hop"`
}

// MarshalEvent returns the continuation as a Lambda event payload.
func (c *Continuation) MarshalEvent() ([]byte, error) {
	return json.Marshal(struct {
		C *Continuation `json:"elbstreamContinuation"`
	}{c})
}

// Invoker starts another invocation of the running function asynchronously
// (Lambda InvocationType Event) with payload as its event. The production
// implementation is LambdaInvoker; tests use a fake.
type Invoker interface {
	InvokeAsync(ctx context.Context, payload []byte) error
}

// InvokerFunc adapts a function to Invoker.
type InvokerFunc func(ctx context.Context, payload []byte) error

// InvokeAsync calls f.
func (f InvokerFunc) InvokeAsync(ctx context.Context, payload []byte) error { return f(ctx, payload) }

func invokeContinuation(ctx context.Context, inv Invoker, c *Continuation) error {
	payload, err := c.MarshalEvent()
	if err != nil {
		return fmt.Errorf("ingest: continuation: %w", err)
	}
	if err := inv.InvokeAsync(ctx, payload); err != nil {
		return fmt.Errorf("ingest: invoke continuation: %w", err)
	}
	return nil
}
