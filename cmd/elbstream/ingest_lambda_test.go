package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elbstream/elbstream/ingest"
	"github.com/elbstream/elbstream/internal/lambdart"
)

// TestIngestLambdaBinaryContinues runs the built binary as the ingest
// function with a deadline far too short for its object. Each invocation
// must stop before its deadline and invoke the function itself with a
// continuation (through the Lambda Invoke API, here lambdart's), until the
// object is done: every line on the stream exactly once.
func TestIngestLambdaBinaryContinues(t *testing.T) {
	ctx := context.Background()
	const bucket, key, lines = "elb-logs", "AWSLogs/1/elasticloadbalancing/big file.log", 150_000
	// The function finds the server through the variables startS3 sets.
	source := startS3(t, bucket).put(key, logLines(lines, "big"))

	// The function's own invocations go through the Runtime API below.
	const timeout = 250 * time.Millisecond
	var async lambdart.AsyncInvoker
	lambdaAPI := httptest.NewServer(&async)
	defer lambdaAPI.Close()
	streamDir := filepath.Join(t.TempDir(), "raw")
	rt, stop := startFunction(t,
		"ELBSTREAM_HANDLER=ingest",
		"ELBSTREAM_STREAM=local://"+streamDir,
		"AWS_ENDPOINT_URL_LAMBDA="+lambdaAPI.URL,
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
