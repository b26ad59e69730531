package kinesis_test

import (
	"context"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/kinesis"
)

// Open a stream by name (or ARN) with the SDK's default configuration and
// write a batch, retrying only the entries that failed.
func ExampleOpen() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx) // AWS_ENDPOINT_URL_KINESIS points it at an emulator
	if err != nil {
		log.Fatal(err)
	}
	s, err := kinesis.Open(ctx, cfg, "arn:aws:kinesis:eu-west-1:123456789012:stream/elb-raw")
	if err != nil {
		log.Fatal(err) // wraps stream.ErrStreamNotFound when there is no such stream
	}
	fmt.Println("records up to", s.Limits().MaxRecordBytes, "bytes")

	entries := []stream.Entry{{Data: []byte("line"), PartitionKey: "s3://bucket/key"}}
	results, err := s.Put(ctx, entries)
	if err != nil {
		// When stream.IsRetryable(err) (throttled, transient), back off
		// and put the whole batch again; anything else is final.
		log.Fatal(err)
	}
	for i, r := range results {
		if !r.OK() {
			fmt.Println("retry entry", i, r.ErrorCode)
		}
	}
}
