// Package kinesistest creates Kinesis streams for tests on the emulator the
// test task starts (kinesalite), through internal/testenv: uniquely named
// per test, ACTIVE before use, deleted when the test ends.
package kinesistest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/elbstream/elbstream/internal/testenv"
	"github.com/elbstream/elbstream/stream/kinesis"
)

// Client returns a Kinesis client for the emulator. The test fails (in CI)
// or is skipped (elsewhere) when the emulator is not running.
func Client(t testing.TB) *sdk.Client {
	t.Helper()
	testenv.Kinesis(t)
	return sdk.NewFromConfig(testenv.AWSConfig(t))
}

// CreateStream creates a stream with shards shards, named after the test
// with a random suffix, waits until it is ACTIVE, and deletes it when the
// test ends. It returns the stream's name.
func CreateStream(t testing.TB, client *sdk.Client, shards int) string {
	t.Helper()
	name := UniqueName(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := client.CreateStream(ctx, &sdk.CreateStreamInput{
		StreamName: aws.String(name),
		ShardCount: aws.Int32(int32(shards)),
	})
	if err != nil {
		t.Fatalf("create stream %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := client.DeleteStream(ctx, &sdk.DeleteStreamInput{StreamName: aws.String(name)})
		if err != nil {
			t.Errorf("delete stream %s: %v", name, err)
		}
	})
	w := sdk.NewStreamExistsWaiter(client, func(o *sdk.StreamExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, time.Second
	})
	if err := w.Wait(ctx, &sdk.DescribeStreamInput{StreamName: aws.String(name)}, time.Minute); err != nil {
		t.Fatalf("wait for stream %s: %v", name, err)
	}
	return name
}

// NewStream creates a stream as CreateStream does and opens it.
func NewStream(t testing.TB, shards int) *kinesis.Stream {
	t.Helper()
	client := Client(t)
	name := CreateStream(t, client, shards)
	s, err := kinesis.New(client, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var notInName = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// UniqueName is a valid stream (or table) name made of the test's name and
// a random suffix.
func UniqueName(t testing.TB) string {
	name := notInName.ReplaceAllString(t.Name(), "-")
	if len(name) > 100 {
		name = name[len(name)-100:]
	}
	return fmt.Sprintf("%s-%08x", name, rand.Uint32())
}
