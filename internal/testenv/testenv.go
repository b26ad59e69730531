// Package testenv tells tests where the local emulators are. The test task
// (infra/local/with-emulators.sh) starts kinesalite and dynalite and exports
// their endpoints; a test that needs one calls Kinesis or DynamoDB, which
// fails the test in CI (CI=true) when the endpoint is missing and skips it
// only on a developer's machine.
package testenv

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// Kinesis returns the kinesalite endpoint.
func Kinesis(t testing.TB) string { return endpoint(t, "AWS_ENDPOINT_URL_KINESIS", "kinesalite") }

// DynamoDB returns the dynalite endpoint.
func DynamoDB(t testing.TB) string { return endpoint(t, "AWS_ENDPOINT_URL_DYNAMODB", "dynalite") }

func endpoint(t testing.TB, name, what string) string {
	t.Helper()
	if v := os.Getenv(name); v != "" {
		return v
	}
	msg := name + " is not set: run the suite with 'go tool task test', which starts " + what
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// AWSConfig loads the SDK's default configuration, as the binary does; the
// endpoint variables exported by the test task point it at the emulators.
func AWSConfig(t testing.TB) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatalf("load AWS config: %v", err)
	}
	return cfg
}
