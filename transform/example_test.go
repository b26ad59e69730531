package transform_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/events"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/kpl"
	"github.com/elbstream/elbstream/stream/local"
	"github.com/elbstream/elbstream/transform"
)

var exampleLines = []string{
	`Enable AccessLog for ELB: my-loadbalancer at 2015-05-13T23:39:43.945958Z`,
	`2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -`,
	`not an access log line`,
}

// A raw record as ingest writes it — the lines of one object, aggregated,
// with their provenance — becomes events on the events stream.
func ExampleStage_Process() {
	dir, err := os.MkdirTemp("", "transform-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	eventsStream, err := local.Open(dir, local.Options{Shards: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer eventsStream.Close()

	var agg kpl.Aggregator
	var pos int64
	for _, l := range exampleLines {
		agg.Add(kpl.Record{PartitionKey: "obj", Data: []byte(l), Source: "s3://logs/obj.log#etag", Position: pos})
		pos += int64(len(l)) + 1
	}
	raw := agg.Flush()

	stage, err := transform.New(transform.Config{Sink: eventsStream})
	if err != nil {
		log.Fatal(err)
	}
	done, err := stage.Process(context.Background(), []stream.Record{
		{Data: raw.Data, PartitionKey: raw.PartitionKey, SequenceNumber: "1"},
	})
	s := stage.Stats().Snapshot()
	fmt.Printf("done %d, err %v\n", done, err)
	fmt.Printf("%d lines: %d events (%d parse failure), %d control line skipped, in %d record\n",
		s.Lines, s.Events, s.ParseFailures, s.Skipped, s.Entries)
	// Output:
	// done 1, err <nil>
	// 3 lines: 2 events (1 parse failure), 1 control line skipped, in 1 record
}

// Firehose gets one answer per record: the events, newline-terminated, or
// Dropped for a record holding only a control line.
func ExampleFirehoseHandler_Handle() {
	h := &transform.FirehoseHandler{}
	var in events.KinesisFirehoseEvent
	for i, l := range exampleLines {
		in.Records = append(in.Records, events.KinesisFirehoseEventRecord{RecordID: fmt.Sprint("record-", i), Data: []byte(l)})
	}
	out, err := h.Handle(context.Background(), in)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range out.Records {
		fmt.Println(r.RecordID, r.Result, bytes.Count(r.Data, []byte("\n")), "events")
	}
	// Output:
	// record-0 Dropped 0 events
	// record-1 Ok 1 events
	// record-2 Ok 1 events
}
