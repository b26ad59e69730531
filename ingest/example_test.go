package ingest_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/elbstream/elbstream/ingest"
	"github.com/elbstream/elbstream/stream/local"
)

// Ingest a local log file into the embedded stream.
func ExampleIngester() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "clb.log")
	os.WriteFile(path, []byte(
		"2024-05-01T00:05:01.123456Z my-clb 203.0.113.9:5532 10.0.1.23:80 0.000086 0.001048 0.000057 200 200 0 57 \"GET https://www.example.com:443/ HTTP/1.1\" \"curl/8.4.0\" - -\n"+
			"2024-05-01T00:05:02.654321Z my-clb 203.0.113.9:5533 10.0.1.23:80 0.000091 0.001337 0.000049 404 404 0 12 \"GET https://www.example.com:443/x HTTP/1.1\" \"curl/8.4.0\" - -\n"), 0o644)

	s, err := local.Open(filepath.Join(dir, "stream"), local.Options{Shards: 2})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	run := (&ingest.Ingester{Stream: s}).Start(context.Background())
	run.File(path)
	// Close returns once every record was accepted by the stream (or
	// names the objects that failed).
	if err := run.Close(); err != nil {
		log.Fatal(err)
	}
	sum := run.Stats().Summary()
	fmt.Printf("%d object, %d lines, %d record\n", sum.Objects, sum.Lines, sum.Records)
	// Output: 1 object, 2 lines, 1 record
}

// Recognise a Lambda event: here an S3 notification delivered through SQS.
func ExampleDecodeEvent() {
	ev, err := ingest.DecodeEvent([]byte(`{"Records":[{"messageId":"m-1","eventSource":"aws:sqs",
		"body":"{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\",\"eventTime\":\"2024-05-01T00:05:00Z\",\"s3\":{\"bucket\":{\"name\":\"logs\"},\"object\":{\"key\":\"AWSLogs/my+lb.log.gz\",\"eTag\":\"abc\"}}}]}"}]}`))
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range ev.Notifications {
		for _, o := range n.Objects {
			fmt.Println(ev.Kind, n.MessageID, o.Bucket, o.Key)
		}
	}
	// Output: sqs m-1 logs AWSLogs/my lb.log.gz
}

// Split lines: offsets are those of the decompressed object; a line over
// the limit is cut and marked.
func ExampleLineReader() {
	lr := ingest.NewLineReader(strings.NewReader("first\r\nsecond\n"+strings.Repeat("x", 300)+"\n"), 256, 0)
	for lr.Scan() {
		line := lr.Bytes()
		if lr.Truncated() > 0 {
			line = line[len(line)-40:]
		}
		fmt.Printf("%d %q\n", lr.Pos(), line)
	}
	// Output:
	// 0 "first"
	// 7 "second"
	// 14 "lbstream: line truncated from 300 bytes]"
}
