package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

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
	h, err := buildLambda(ctx, args, io)
	if err != nil {
		if api := os.Getenv("AWS_LAMBDA_RUNTIME_API"); api != "" {
			reportInitError(ctx, api, err)
		}
		return err
	}
	lambda.StartWithOptions(h, lambda.WithContext(ctx))
	return nil
}

// buildLambda builds the handler ELBSTREAM_HANDLER names.
func buildLambda(ctx context.Context, args []string, io stdio) (any, error) {
	names := make([]string, 0, len(lambdaHandlers))
	for n := range lambdaHandlers {
		names = append(names, n)
	}
	sort.Strings(names)
	fs := newFlags("lambda", "", "Runs the Lambda handler named by ELBSTREAM_HANDLER: one of "+strings.Join(names, ", ")+".", io)
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	name := os.Getenv("ELBSTREAM_HANDLER")
	build, ok := lambdaHandlers[name]
	if !ok {
		return nil, fmt.Errorf("ELBSTREAM_HANDLER=%q: want one of %s", name, strings.Join(names, ", "))
	}
	h, err := build(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s handler: %w", name, err)
	}
	return h, nil
}

// reportInitError tells the runtime API why the function cannot start, as
// a custom runtime is to do before it exits: whoever invokes the function
// then gets the reason, where an exit alone shows "Runtime.ExitError" and
// leaves it in the logs.
func reportInitError(ctx context.Context, api string, cause error) {
	body, _ := json.Marshal(map[string]string{"errorMessage": cause.Error(), "errorType": "elbstream.InitError"})
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+api+"/2018-06-01/runtime/init/error", bytes.NewReader(body))
	if err != nil {
		return
	}
	req.Header.Set("Lambda-Runtime-Function-Error-Type", "elbstream.InitError")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
}
