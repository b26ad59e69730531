package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/elbstream/elbstream/internal/testenv"
	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/kinesis"
	"github.com/elbstream/elbstream/stream/kinesis/kinesistest"
	"github.com/elbstream/elbstream/stream/kpl"
	"github.com/elbstream/elbstream/stream/local"
)

const transformTestLine = `http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90`

func transformCLI(t *testing.T, args ...string) (code int, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errb)
	return code, errb.String()
}

// putTransformRaw writes records of lines lines each, as ingest does, to
// a new local stream in dir, and returns how many lines it wrote.
func putTransformRaw(t *testing.T, dir string, records, lines int) int {
	t.Helper()
	s, err := local.Open(dir, local.Options{Shards: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return putTransformRawTo(t, s, records, lines)
}

func putTransformRawTo(t *testing.T, s stream.Stream, records, lines int) int {
	t.Helper()
	for r := range records {
		var agg kpl.Aggregator
		src := fmt.Sprintf("s3://logs/obj-%d.log", r)
		for l := range lines {
			text := transformTestLine
			if l == 0 {
				text = "Enable AccessLog for ELB: my-loadbalancer at 2015-05-13T23:39:43.945958Z"
			}
			if ok, err := agg.Add(kpl.Record{PartitionKey: src, Data: []byte(text), Source: src, Position: int64(l * 1000)}); !ok || err != nil {
				t.Fatal(ok, err)
			}
		}
		res, err := s.Put(context.Background(), []stream.Entry{agg.Flush()})
		if err != nil || !res[0].OK() {
			t.Fatal(err, res)
		}
	}
	return records * (lines - 1)
}

// readTransformEvents returns the events on the local stream in dir.
func readTransformEvents(t *testing.T, dir string) []map[string]any {
	t.Helper()
	s, err := local.Open(dir, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return readTransformEventsFrom(t, s)
}

func readTransformEventsFrom(t *testing.T, s stream.Stream) []map[string]any {
	t.Helper()
	ctx := context.Background()
	shards, err := s.Shards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var evs []map[string]any
	for _, sh := range shards {
		r := &stream.Reader{Stream: s, ShardID: sh.ID, PollInterval: time.Millisecond}
		for {
			b, err := r.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, rec := range b.Records {
				err := kpl.Decode(rec.Data, func(u kpl.Record) error {
					var m map[string]any
					if err := json.Unmarshal(u.Data, &m); err != nil {
						return err
					}
					evs = append(evs, m)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			if len(b.Records) == 0 && b.BehindTip == 0 || b.EndOfShard {
				break
			}
		}
	}
	return evs
}

func TestTransformCommandDrain(t *testing.T) {
	dir := t.TempDir()
	lines := putTransformRaw(t, filepath.Join(dir, "raw"), 5, 20)
	code, stderr := transformCLI(t, "transform",
		"--from", "local://"+dir+"/raw", "--to", "local://"+dir+"/events",
		"--drain", "--field", "labels.env=test", "--field", "service.name=elb")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "transform: 5 records (") || !strings.Contains(stderr, fmt.Sprintf("→ %d events", lines)) || !strings.Contains(stderr, "5 control lines skipped") {
		t.Errorf("summary %q: want 5 records, %d events and 5 control lines", stderr, lines)
	}
	evs := readTransformEvents(t, filepath.Join(dir, "events"))
	if len(evs) != lines {
		t.Fatalf("%d events on the events stream, want %d", len(evs), lines)
	}
	for _, ev := range evs {
		labels, _ := ev["labels"].(map[string]any)
		svc, _ := ev["service"].(map[string]any)
		if labels["env"] != "test" || svc["name"] != "elb" {
			t.Fatalf("event without the static fields: %v", ev)
		}
	}
	// The default checkpoint store sits next to the raw stream, and a
	// second drain has nothing left to do.
	if _, err := os.Stat(filepath.Join(dir, "raw", "transform-checkpoints.db")); err != nil {
		t.Fatal(err)
	}
	code, stderr = transformCLI(t, "transform", "--from", "local://"+dir+"/raw", "--to", "local://"+dir+"/events", "--drain")
	if code != 0 || !strings.Contains(stderr, "transform: 0 records") {
		t.Fatalf("second drain: exit %d: %s", code, stderr)
	}
}

// The command on Kinesis (kinesalite) with DynamoDB checkpoints (dynalite).
func TestTransformCommandKinesis(t *testing.T) {
	testenv.DynamoDB(t)
	client := kinesistest.Client(t)
	rawName := kinesistest.CreateStream(t, client, 2)
	eventsName := kinesistest.CreateStream(t, client, 1)
	raw, err := kinesis.New(client, rawName)
	if err != nil {
		t.Fatal(err)
	}
	lines := putTransformRawTo(t, raw, 4, 10)
	table := kinesistest.UniqueName(t)
	code, stderr := transformCLI(t, "transform", "--from", "kinesis://"+rawName, "--to", "kinesis://"+eventsName,
		"--checkpoints", "dynamodb://"+table+"?create=true", "--drain")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	events, err := kinesis.New(client, eventsName)
	if err != nil {
		t.Fatal(err)
	}
	if evs := readTransformEventsFrom(t, events); len(evs) != lines {
		t.Fatalf("%d events on the events stream, want %d", len(evs), lines)
	}
}

func TestTransformCommandUsage(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--to", "local://" + dir + "/e"}, "--from is required"},
		{[]string{"--from", "local://" + dir + "/r"}, "--to is required"},
		{[]string{"--from", "kinesis://raw", "--to", "kinesis://events"}, "--checkpoints is required"},
		{[]string{"--from", "local://" + dir + "/r", "--to", "local://" + dir + "/e", "--start-at", "yesterday"}, "--start-at"},
		{[]string{"--from", "local://" + dir + "/r", "--to", "local://" + dir + "/e", "--schema", "xml"}, "xml"},
		{[]string{"--from", "local://" + dir + "/r", "--to", "local://" + dir + "/e", "--field", "novalue"}, "novalue"},
	} {
		code, stderr := transformCLI(t, append([]string{"transform"}, tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("transform %q: exit %d, stderr %q; want exit 2 mentioning %q", tc.args, code, stderr, tc.want)
		}
	}
}

// The Lambda handlers are configured by the environment alone.
func TestTransformLambdaHandlers(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("ELBSTREAM_TO", "local://"+dir+"/events")
	t.Setenv("ELBSTREAM_FIELD", "labels.env=prod,labels.team=edge")
	t.Setenv("ELBSTREAM_SAFETY_MARGIN", "2s")

	build := lambdaHandlers["transform"]
	if build == nil {
		t.Fatal("no transform Lambda handler registered")
	}
	h, err := build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	handle, ok := h.(func(context.Context, events.KinesisEvent) (events.KinesisEventResponse, error))
	if !ok {
		t.Fatalf("transform handler is a %T", h)
	}
	var agg kpl.Aggregator
	agg.Add(kpl.Record{PartitionKey: "k", Data: []byte(transformTestLine), Source: "s3://b/k", Position: 0})
	resp, err := handle(context.Background(), events.KinesisEvent{Records: []events.KinesisEventRecord{{
		Kinesis: events.KinesisRecord{Data: agg.Flush().Data, PartitionKey: "k", SequenceNumber: "1"},
	}}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("handle = %+v, %v", resp, err)
	}

	build = lambdaHandlers["firehose"]
	if build == nil {
		t.Fatal("no firehose Lambda handler registered")
	}
	h, err = build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fire, ok := h.(func(context.Context, events.KinesisFirehoseEvent) (events.KinesisFirehoseResponse, error))
	if !ok {
		t.Fatalf("firehose handler is a %T", h)
	}
	fresp, err := fire(context.Background(), events.KinesisFirehoseEvent{Records: []events.KinesisFirehoseEventRecord{{RecordID: "r1", Data: []byte(transformTestLine)}}})
	if err != nil || len(fresp.Records) != 1 || fresp.Records[0].Result != events.KinesisFirehoseTransformedStateOk {
		t.Fatalf("firehose = %+v, %v", fresp, err)
	}
	var ev map[string]any
	if err := json.Unmarshal(fresp.Records[0].Data, &ev); err != nil {
		t.Fatal(err)
	}
	if labels, _ := ev["labels"].(map[string]any); labels["env"] != "prod" || labels["team"] != "edge" {
		t.Fatalf("ELBSTREAM_FIELD not applied: %v", ev)
	}

	t.Setenv("ELBSTREAM_TO", "")
	if _, err := lambdaHandlers["transform"](context.Background()); err == nil || !strings.Contains(err.Error(), "ELBSTREAM_TO") {
		t.Fatalf("transform handler without ELBSTREAM_TO: %v", err)
	}
}

// The summary says why lines failed: the latest failures, each with the
// line's source and offset.
func TestTransformCommandListsParseFailures(t *testing.T) {
	dir := t.TempDir()
	s, err := local.Open(filepath.Join(dir, "raw"), local.Options{Shards: 1})
	if err != nil {
		t.Fatal(err)
	}
	var agg kpl.Aggregator
	for i, text := range []string{transformTestLine, "not a log line", transformTestLine, "neither is this"} {
		if ok, err := agg.Add(kpl.Record{PartitionKey: "k", Data: []byte(text), Source: "s3://logs/bad.log", Position: int64(i * 100)}); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	if res, err := s.Put(context.Background(), []stream.Entry{agg.Flush()}); err != nil || !res[0].OK() {
		t.Fatal(err, res)
	}
	s.Close()
	code, stderr := transformCLI(t, "transform", "--from", "local://"+dir+"/raw", "--to", "local://"+dir+"/events", "--drain")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"(2 parse failures,",
		"transform: last 2 parse failures",
		"transform:   s3://logs/bad.log, line at offset 100: auto: at byte 0: not a load-balancer log line",
		"transform:   s3://logs/bad.log, line at offset 300: auto: at byte 0: not a load-balancer log line",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}
