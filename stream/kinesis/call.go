package kinesis

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// callTimeout bounds one API call, retries by the SDK included. Without it
// a request lost on a dead connection waits for TCP to notice, minutes in
// which a shard is not read; KCL bounds its Kinesis requests the same way
// (30 seconds). A call that times out while the caller's context is alive
// fails with stream.ErrTransient.
var callTimeout = 30 * time.Second

// call runs op(in) with callTimeout.
func call[In, Out any](ctx context.Context, op func(context.Context, In, ...func(*kinesis.Options)) (Out, error), in In) (Out, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return op(ctx, in)
}
