package transform

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/elbstream/elbstream/stream/kpl"
)

// TestFixturesUpToDate checks that the AWS event fixtures in
// testdata/events are what the lines below make; go test ./transform -run
// TestFixtures -update rewrites them.
var update = flag.Bool("update", false, "rewrite the AWS event fixtures in testdata/events")

const fixtureDir = "../testdata/events"

const nlbLine = `tls 2.0 2018-12-20T02:59:40 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 - my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com - - - 2018-12-20T02:59:30`

// fixtureObjects are the log objects the fixtures carry, one raw record
// each: what ingest writes for them.
var fixtureObjects = []struct {
	source string
	key    string
	lines  []string
}{
	{
		source: "s3://elb-logs/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2018/07/02/123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20180702T2225Z_192.168.131.39_2x4s8lrs.log.gz#9b2cf535f27731c974343645a3985328",
		key:    "123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20180702T2225Z_192.168.131.39_2x4s8lrs.log.gz",
		lines: []string{
			albLine,
			strings.Replace(albLine, "192.168.131.39:2817", "192.168.131.40:2818", 1),
			badLine,
			strings.Replace(albLine, `"GET http://www.example.com:80/ HTTP/1.1"`, `"POST https://www.example.com:443/login?next=%2F HTTP/2.0"`, 1),
		},
	},
	{
		source: "s3://elb-logs/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2015/05/13/123456789012_elasticloadbalancing_us-east-2_my-loadbalancer_20150513T2340Z_172.160.001.192_20sg8hgm.log#1f1a3e0b1e6c2c4d8f0e4a1b2c3d4e5f",
		key:    "123456789012_elasticloadbalancing_us-east-2_my-loadbalancer_20150513T2340Z_172.160.001.192_20sg8hgm.log",
		lines:  []string{controlLine, clbLine, strings.Replace(clbLine, " 200 200 ", " 503 0 ", 1)},
	},
	{
		source: "s3://elb-logs/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2018/12/20/123456789012_elasticloadbalancing_us-east-2_net.my-network-loadbalancer.c6e77e28c25b2234_20181220T0300Z_4b8e7a2c.log.gz#0c1d2e3f405162738495a6b7c8d9eaf0",
		key:    "123456789012_elasticloadbalancing_us-east-2_net.my-network-loadbalancer.c6e77e28c25b2234_20181220T0300Z_4b8e7a2c.log.gz",
		lines:  []string{nlbLine},
	},
	{
		// An object holding only AWS's test line.
		source: "s3://elb-logs/AWSLogs/123456789012/ELBAccessLogTestFile#d41d8cd98f00b204e9800998ecf8427e",
		key:    "ELBAccessLogTestFile",
		lines:  []string{controlLine},
	},
}

// fixtureRecord aggregates one object's lines as ingest does.
func fixtureRecord(t *testing.T, i int) []byte {
	t.Helper()
	o := fixtureObjects[i]
	var agg kpl.Aggregator
	var pos int64
	for _, l := range o.lines {
		if ok, err := agg.Add(kpl.Record{PartitionKey: o.key, Data: []byte(l), Source: o.source, Position: pos}); !ok || err != nil {
			t.Fatalf("aggregate: %v %v", ok, err)
		}
		pos += int64(len(l)) + 1
	}
	return agg.Flush().Data
}

const (
	fixtureStreamARN   = "arn:aws:kinesis:us-east-2:123456789012:stream/elbstream-raw"
	fixtureFirehoseARN = "arn:aws:firehose:us-east-2:123456789012:deliverystream/elbstream-events"
)

func fixtureSeq(i int) string {
	return fmt.Sprintf("4959033827149025660855969253836157109592157598913658%04d", 8898+i)
}

func TestFixturesUpToDate(t *testing.T) {
	arrival := time.Date(2018, 7, 2, 22, 25, 3, 987e6, time.UTC)

	// Kinesis event-source mapping: one raw record per object.
	var ke events.KinesisEvent
	for i, o := range fixtureObjects {
		ke.Records = append(ke.Records, events.KinesisEventRecord{
			AwsRegion:         "us-east-2",
			EventID:           "shardId-000000000006:" + fixtureSeq(i),
			EventName:         "aws:kinesis:record",
			EventSource:       "aws:kinesis",
			EventSourceArn:    fixtureStreamARN,
			EventVersion:      "1.0",
			InvokeIdentityArn: "arn:aws:iam::123456789012:role/elbstream-transform",
			Kinesis: events.KinesisRecord{
				ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: arrival.Add(time.Duration(i) * time.Millisecond)},
				Data:                        fixtureRecord(t, i),
				PartitionKey:                o.key,
				SequenceNumber:              fixtureSeq(i),
				KinesisSchemaVersion:        "1.0",
			},
		})
	}
	writeFixture(t, "kinesis-raw-records.json", ke)

	// Firehose with a Kinesis source: Firehose has deaggregated, one
	// record per line, and the provenance fields are gone.
	fk := events.KinesisFirehoseEvent{
		InvocationID:           "5ef3f2a0-6b0e-4f29-9d5a-7d0a4c3b2a10",
		DeliveryStreamArn:      fixtureFirehoseARN,
		SourceKinesisStreamArn: fixtureStreamARN,
		Region:                 "us-east-2",
	}
	for i, o := range fixtureObjects {
		for j, l := range o.lines {
			fk.Records = append(fk.Records, events.KinesisFirehoseEventRecord{
				RecordID:                    fmt.Sprintf("%s%03d", fixtureSeq(i), j),
				ApproximateArrivalTimestamp: events.MilliSecondsEpochTime{Time: arrival},
				Data:                        []byte(l),
				KinesisFirehoseRecordMetadata: events.KinesisFirehoseRecordMetadata{
					ShardID:                     "shardId-000000000006",
					PartitionKey:                o.key,
					SequenceNumber:              fixtureSeq(i),
					SubsequenceNumber:           int64(j),
					ApproximateArrivalTimestamp: events.MilliSecondsEpochTime{Time: arrival},
				},
			})
		}
	}
	writeFixture(t, "firehose-kinesis-source.json", fk)

	// Firehose Direct PUT of aggregated records, one of them corrupt.
	fd := events.KinesisFirehoseEvent{
		InvocationID:      "0b6e1c52-8f1e-4c2e-a1de-3c9d7b1f4e22",
		DeliveryStreamArn: fixtureFirehoseARN,
		Region:            "us-east-2",
	}
	for i := range fixtureObjects {
		fd.Records = append(fd.Records, events.KinesisFirehoseEventRecord{
			RecordID:                    fmt.Sprintf("49546986683135544286507457936321625675700192471156785%03d", i),
			ApproximateArrivalTimestamp: events.MilliSecondsEpochTime{Time: arrival},
			Data:                        fixtureRecord(t, i),
		})
	}
	corrupt := fixtureRecord(t, 0)
	corrupt[len(corrupt)-1] ^= 0xff
	fd.Records = append(fd.Records, events.KinesisFirehoseEventRecord{
		RecordID:                    "49546986683135544286507457936321625675700192471156785999",
		ApproximateArrivalTimestamp: events.MilliSecondsEpochTime{Time: arrival},
		Data:                        corrupt,
	})
	writeFixture(t, "firehose-direct-put-aggregated.json", fd)
}

// writeFixture checks that fixture name holds v, or with -update writes
// it there.
func writeFixture(t *testing.T, name string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join(fixtureDir, name)
	if !*update {
		have, err := os.ReadFile(path)
		switch {
		case err != nil:
			t.Error(err)
		case !bytes.Equal(have, b):
			t.Errorf("%s is not what TestFixturesUpToDate generates: run go test ./transform -run TestFixtures -update", path)
		}
		return
	}
	if err := os.MkdirAll(fixtureDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFixture(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// fixtureLines lists the lines a raw record carries, as the stage must see
// them: deaggregated and split, with provenance.
func fixtureLines(t *testing.T, data []byte) []line {
	t.Helper()
	var ls []line
	err := kpl.Decode(data, func(r kpl.Record) error {
		for _, s := range strings.Split(string(r.Data), "\n") {
			if s != "" {
				ls = append(ls, line{Source: r.Source, Position: r.Position, Text: s})
			}
			if r.Position >= 0 {
				r.Position += int64(len(s)) + 1
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("fixture record: %v", err)
	}
	return ls
}
