package kinesis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/elbstream/elbstream/stream"
)

// apiError is an SDK error with the stream sentinel it means. Its message
// is the SDK's; errors.Is finds the sentinel and errors.As the SDK's typed
// error.
type apiError struct {
	kind error
	err  error
}

func (e *apiError) Error() string   { return e.err.Error() }
func (e *apiError) Unwrap() []error { return []error{e.kind, e.err} }

// errorf wraps err, the failure of op, with what it means: notFound is the
// sentinel for ResourceNotFoundException (stream.ErrStreamNotFound or
// stream.ErrShardNotFound), invalidArg the one for
// InvalidArgumentException (nil for none).
func (s *Stream) errorf(ctx context.Context, op string, notFound, invalidArg error, err error) error {
	if kind := classify(ctx, err, notFound, invalidArg); kind != nil {
		err = &apiError{kind: kind, err: err}
	}
	return fmt.Errorf("kinesis: %s %s: %w", op, s.Name(), err)
}

// throttleCodes are throttling error codes that have no typed error in the
// Kinesis model; some AWS front ends answer with them.
var throttleCodes = map[string]bool{
	"ThrottlingException":      true,
	"Throttling":               true,
	"TooManyRequestsException": true,
	"RequestThrottled":         true,
}

// classify returns the stream sentinel err means, or nil when it means
// nothing a caller could act on by retrying. An error caused by ctx ending
// is never retryable.
func classify(ctx context.Context, err error, notFound, invalidArg error) error {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) {
		// ctx is alive: the call's own timeout (callTimeout) expired.
		return stream.ErrTransient
	}
	var (
		throughput  *types.ProvisionedThroughputExceededException
		kmsThrottle *types.KMSThrottlingException
		limit       *types.LimitExceededException
		expired     *types.ExpiredIteratorException
		missing     *types.ResourceNotFoundException
		internal    *types.InternalFailureException
		inUse       *types.ResourceInUseException
		invalid     *types.InvalidArgumentException
		api         smithy.APIError
		status      interface{ HTTPStatusCode() int }
		sendErr     *smithyhttp.RequestSendError
		timeout     interface{ Timeout() bool }
	)
	switch {
	case errors.As(err, &throughput), errors.As(err, &kmsThrottle), errors.As(err, &limit):
		return stream.ErrThrottled
	case errors.As(err, &expired):
		return stream.ErrExpiredIterator
	case errors.As(err, &missing):
		return notFound
	case errors.As(err, &internal):
		return stream.ErrTransient
	case errors.As(err, &inUse):
		// The stream is not ACTIVE: being created or updated (a reshard,
		// a change of encryption), which passes; or being deleted, after
		// which it is not found.
		return stream.ErrTransient
	case errors.As(err, &invalid):
		return invalidArg
	case errors.As(err, &api) && throttleCodes[api.ErrorCode()]:
		return stream.ErrThrottled
	case errors.As(err, &api) && api.ErrorFault() == smithy.FaultServer:
		return stream.ErrTransient
	case errors.As(err, &status) && status.HTTPStatusCode() == http.StatusTooManyRequests:
		return stream.ErrThrottled
	case errors.As(err, &status) && status.HTTPStatusCode() >= 500:
		return stream.ErrTransient
	case errors.As(err, &api):
		// Any other answer of the service is final (validation, access,
		// KMS configuration, …).
		return nil
	case errors.As(err, &sendErr),
		errors.As(err, &timeout) && timeout.Timeout(),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.EPIPE):
		// The request did not reach the service, or its answer was cut.
		return stream.ErrTransient
	}
	return nil
}
