package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
)

// lambdaHandlers maps ELBSTREAM_HANDLER values to constructors of Lambda
// handlers. Stages register theirs from init in their own file. A
// constructor runs once per execution environment (cold start), so what it
// builds — SDK clients, connection pools — lives across warm invocations.
var lambdaHandlers = map[string]func(ctx context.Context) (any, error){}

func registerLambda(name string, build func(ctx context.Context) (any, error)) {
	lambdaHandlers[name] = build
}

func init() {
	register(&command{
		name:    "lambda",
		summary: "run as an AWS Lambda function (automatic when AWS_LAMBDA_RUNTIME_API is set)",
		run:     runLambda,
	})
}

func runLambda(ctx context.Context, args []string, io stdio) error {
	names := make([]string, 0, len(lambdaHandlers))
	for n := range lambdaHandlers {
		names = append(names, n)
	}
	sort.Strings(names)
	fs := newFlags("lambda", "", "Runs the Lambda handler named by ELBSTREAM_HANDLER: one of "+strings.Join(names, ", ")+".", io)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	name := os.Getenv("ELBSTREAM_HANDLER")
	build, ok := lambdaHandlers[name]
	if !ok {
		return fmt.Errorf("ELBSTREAM_HANDLER=%q: want one of %s", name, strings.Join(names, ", "))
	}
	h, err := build(ctx)
	if err != nil {
		return fmt.Errorf("%s handler: %w", name, err)
	}
	lambda.StartWithOptions(h, lambda.WithContext(ctx))
	return nil
}
