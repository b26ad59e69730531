package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/elbstream/elbstream/ingest"
	"github.com/elbstream/elbstream/internal/lambdart"
)

// TestIngestLambdaBinaryContinues runs the built binary as the ingest
// function with a deadline far too short for its object. Each invocation
// must stop before its deadline and invoke the function itself with a
// continuation (through the Lambda Invoke API, here lambdart's), until the
// object is done: every line on the stream exactly once.
func TestIngestLambdaBinaryContinues(t *testing.T) {
	faker := gofakes3.New(s3mem.New())
	s3srv := httptest.NewUnstartedServer(faker.Server())
	s3srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	s3srv.Start()
	defer s3srv.Close()
	client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(s3srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")})
	ctx := context.Background()
	const bucket, key, lines = "elb-logs", "AWSLogs/1/elasticloadbalancing/big file.log", 150_000
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	o, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(logLines(lines, "big"))})
	if err != nil {
		t.Fatal(err)
	}
	source := ingest.S3Source(bucket, key, strings.Trim(aws.ToString(o.ETag), `"`), "")

	// The function's own invocations go through the Runtime API below.
	const timeout = 250 * time.Millisecond
	var async lambdart.AsyncInvoker
	lambdaAPI := httptest.NewServer(&async)
	defer lambdaAPI.Close()
	streamDir := filepath.Join(t.TempDir(), "raw")
	rt, stop := startTransformFunction(t,
		"ELBSTREAM_HANDLER=ingest",
		"ELBSTREAM_STREAM=local://"+streamDir,
		"AWS_ENDPOINT_URL_S3="+s3srv.URL,
		"AWS_ENDPOINT_URL_LAMBDA="+lambdaAPI.URL,
		"AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret", "AWS_REGION=us-east-1",
	)
	async.Runtime, async.Timeout = rt, timeout

	event := fmt.Sprintf(`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","eventTime":"2024-05-01T00:05:00Z","s3":{"bucket":{"name":%q},"object":{"key":%q}}}]}`,
		bucket, strings.ReplaceAll(key, " ", "+"))
	ictx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	first, err := rt.Invoke(ictx, []byte(event), timeout)
	if err != nil {
		t.Fatal(err)
	}
	if first.Error {
		t.Fatalf("first invocation failed: %s", first.Payload)
	}
	var sum ingest.Summary
	if err := json.Unmarshal(first.Payload, &sum); err != nil {
		t.Fatalf("first invocation answered %s: %v", first.Payload, err)
	}
	if sum.Continued != 1 {
		t.Fatalf("first invocation: %+v; want the object continued (%d lines cannot fit %v)", sum, lines, timeout)
	}
	rest, errs := async.Wait()
	if len(errs) > 0 {
		t.Fatalf("continuations got no answer: %v", errs)
	}
	total := sum.Lines
	for i, r := range rest {
		if r.Error {
			t.Fatalf("continuation %d failed: %s", i+1, r.Payload)
		}
		var s ingest.Summary
		if err := json.Unmarshal(r.Payload, &s); err != nil {
			t.Fatalf("continuation %d answered %s: %v", i+1, r.Payload, err)
		}
		total += s.Lines
	}
	stop() // the function holds the stream's lock
	got := streamLines(t, streamDir)
	if n := countSource(t, got, source); n != lines {
		t.Errorf("%d distinct lines on the stream, want %d", n, lines)
	}
	if total != lines {
		t.Errorf("invocations reported %d lines, want %d", total, lines)
	}
	t.Logf("%d lines in %d invocations of %v", lines, 1+len(rest), timeout)
}
