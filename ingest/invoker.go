package ingest

// This file is the only one in the package that calls the Lambda API.

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// LambdaInvoker invokes the running Lambda function asynchronously. It
// needs lambda:InvokeFunction on the function itself.
type LambdaInvoker struct {
	Client *lambda.Client
	// FunctionName is the function to invoke. Default: the ARN this
	// invocation was called with (so an alias or version is kept), else
	// AWS_LAMBDA_FUNCTION_NAME.
	FunctionName string
}

var _ Invoker = (*LambdaInvoker)(nil)

// InvokeAsync implements Invoker with InvocationType Event: Lambda queues
// the event and retries it (twice, by default) if the invocation fails.
func (l *LambdaInvoker) InvokeAsync(ctx context.Context, payload []byte) error {
	name := l.FunctionName
	if name == "" {
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			name = lc.InvokedFunctionArn
		}
	}
	if name == "" {
		name = os.Getenv("AWS_LAMBDA_FUNCTION_NAME")
	}
	if name == "" {
		return errors.New("lambda: invoke: no function name (not running in Lambda?)")
	}
	out, err := l.Client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(name),
		InvocationType: types.InvocationTypeEvent,
		Payload:        payload,
	})
	if err != nil {
		return fmt.Errorf("lambda: invoke %s: %w", name, err)
	}
	if out.StatusCode != 202 {
		return fmt.Errorf("lambda: invoke %s: status %d", name, out.StatusCode)
	}
	return nil
}
