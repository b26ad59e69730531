package forward_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/events"

	"github.com/elbstream/elbstream/forward"
	"github.com/elbstream/elbstream/forward/output"
	"github.com/elbstream/elbstream/stream"
	cplocal "github.com/elbstream/elbstream/stream/checkpoint/local"
	"github.com/elbstream/elbstream/stream/consumer"
	"github.com/elbstream/elbstream/stream/kpl"
	"github.com/elbstream/elbstream/stream/local"
)

// aggregated packs JSON events into one KPL record, as the transform stage
// writes them.
func aggregated(events ...string) stream.Entry {
	var a kpl.Aggregator
	for _, e := range events {
		if _, err := a.Add(kpl.Record{PartitionKey: "lb-1", Data: []byte(e), Position: -1}); err != nil {
			log.Fatal(err)
		}
	}
	return a.Flush()
}

func ExampleForwarder_Run() {
	dir, _ := os.MkdirTemp("", "forward-example-")
	defer os.RemoveAll(dir)
	s, err := local.Open(dir+"/events", local.Options{Shards: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	store, err := cplocal.Open(dir + "/checkpoints.db")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	s.Put(ctx, []stream.Entry{aggregated(`{"event":{"id":"a1"}}`, `{"event":{"id":"a2"}}`)})

	// beats://logstash:5044 in production; stdout here.
	out, err := output.Open("stdout", output.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer out.Close()
	f := forward.New(out, forward.Config{}, nil, nil)
	err = f.Run(ctx, consumer.Config{Stream: s, Checkpoints: store, Consumer: "forward", Drain: true})
	fmt.Println("drained:", err == nil, "acknowledged:", f.Metrics().Snapshot().EventsAcked)
	// Output:
	// {"event":{"id":"a1"}}
	// {"event":{"id":"a2"}}
	// drained: true acknowledged: 2
}

func ExampleHandler_Handle() {
	out, err := output.Open("stdout", output.Config{})
	if err != nil {
		log.Fatal(err)
	}
	// Built once per Lambda execution environment; Handle is what
	// lambda.Start runs for each Kinesis batch.
	h := forward.NewHandler(out, forward.Config{}, nil, nil)
	rec := aggregated(`{"event":{"id":"b1"}}`, `{"event":{"id":"b2"}}`)
	resp, err := h.Handle(context.Background(), events.KinesisEvent{Records: []events.KinesisEventRecord{{
		EventID: "shardId-000000000000:49590338271490256608559692538361571095921575989136588898",
		Kinesis: events.KinesisRecord{Data: rec.Data, SequenceNumber: "49590338271490256608559692538361571095921575989136588898"},
	}}})
	fmt.Println("failures:", len(resp.BatchItemFailures), err)
	// Output:
	// {"event":{"id":"b1"}}
	// {"event":{"id":"b2"}}
	// failures: 0 <nil>
}
