package ingest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

const (
	albKey = "AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/05/01/123456789012_elasticloadbalancing_us-east-1_app.my-alb.50dc6c495c0c9188_20240501T0005Z_10.0.1.23_2l6b8ryn.log.gz"
	clbKey = "AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/05/01/123456789012_elasticloadbalancing_us-east-1_my-clb_20240501T0005Z_10.0.1.23_1a2b3c4d.log"
	nlbKey = "AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/05/01/123456789012_elasticloadbalancing_us-east-1_net.my-nlb.1a2b3c4d5e6f7a8b_20240501T0005Z_3f1a2b3c.log.gz"
)

var albObject = Object{
	Bucket:    "elb-logs-123456789012",
	Key:       albKey,
	VersionID: "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
	ETag:      "0123456789abcdef0123456789abcdef",
	Size:      48213,
}

var clbObject = Object{
	Bucket: "elb-logs-123456789012",
	Key:    clbKey,
	ETag:   "11111111111111111111111111111111",
	Size:   9121,
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeEvent(t *testing.T) {
	tests := []struct {
		file string
		want Event
	}{
		{"s3-put.json", Event{Kind: KindS3, Notifications: []Notification{{Objects: []Object{albObject}}}}},
		{"s3-key-spaces.json", Event{Kind: KindS3, Notifications: []Notification{{Objects: []Object{{
			Bucket: "elb-logs-manual",
			Key:    "imports/old logs/my load balancer (2024): c++.log",
			ETag:   "fedcba9876543210fedcba9876543210-2",
			Size:   1024,
		}}}}}},
		{"s3-multi.json", Event{Kind: KindS3, Notifications: []Notification{{
			Objects: []Object{clbObject, {
				Bucket: "elb-logs-123456789012",
				Key:    "AWSLogs/123456789012/ELBAccessLogTestFile",
				ETag:   "22222222222222222222222222222222",
				Size:   102,
			}},
			Skipped: []string{SkipNotCreated},
		}}}},
		{"sns-s3.json", Event{Kind: KindSNS, Notifications: []Notification{{Objects: []Object{albObject}}}}},
		{"sqs-s3.json", Event{Kind: KindSQS, Notifications: []Notification{
			{MessageID: "059f36b4-87a3-44ab-83d2-661975830a7d", Objects: []Object{albObject}},
			{MessageID: "2e1424d4-f796-459a-8184-9c92662be6da", Objects: []Object{clbObject}},
		}}},
		{"sns-sqs-s3.json", Event{Kind: KindSQS, Notifications: []Notification{
			{MessageID: "a6b1f0f2-2a5f-4c71-9b0d-3c53b1f6e0a1", Objects: []Object{albObject}},
		}}},
		{"eventbridge-s3.json", Event{Kind: KindEventBridge, Notifications: []Notification{{Objects: []Object{{
			Bucket:    "elb-logs-123456789012",
			Key:       nlbKey,
			VersionID: "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
			ETag:      "33333333333333333333333333333333",
			Size:      20811,
		}}}}}},
		{"eventbridge-sqs-s3.json", Event{Kind: KindSQS, Notifications: []Notification{{
			MessageID: "f0b7a1d2-6c3e-4b8a-9e5f-1d2c3b4a5e6f",
			Objects: []Object{{
				Bucket:    "elb-logs-123456789012",
				Key:       nlbKey,
				VersionID: "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
				ETag:      "33333333333333333333333333333333",
				Size:      20811,
			}},
		}}}},
		{"s3-test-event.json", Event{Kind: KindTestEvent, Notifications: []Notification{{Skipped: []string{SkipTestEvent}}}}},
		{"sqs-s3-test-event.json", Event{Kind: KindSQS, Notifications: []Notification{
			{MessageID: "c4cbd8b9-3c2f-4b43-a1a2-1cd2b6a1f2b1", Skipped: []string{SkipTestEvent}},
		}}},
		{"continuation.json", Event{Kind: KindContinuation, Continuation: &Continuation{Hop: 1, Tasks: []Task{{
			Object: Object{Bucket: albObject.Bucket, Key: albKey, VersionID: albObject.VersionID, ETag: albObject.ETag},
			Offset: 1 << 20,
			Gzip:   true,
		}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := DecodeEvent(readFixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DecodeEvent:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeEventBadSQSMessage(t *testing.T) {
	ev, err := DecodeEvent(readFixture(t, "sqs-bad-body.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Notifications) != 2 {
		t.Fatalf("got %d notifications, want 2", len(ev.Notifications))
	}
	if n := ev.Notifications[0]; n.Err != nil || !reflect.DeepEqual(n.Objects, []Object{albObject}) {
		t.Errorf("good message: %+v", n)
	}
	if n := ev.Notifications[1]; n.Err == nil || n.MessageID != "7b1c0e55-0c1a-4a8e-8d0b-9b3c2a1d0e4f" {
		t.Errorf("bad message: %+v, want an error", n)
	}
}

func TestDecodeEventRejects(t *testing.T) {
	for _, in := range []string{
		``,
		`[]`,
		`{}`,
		`{"hello":"world"}`,
		`{"Records":[{"eventSource":"aws:dynamodb"}]}`,
		`{"detail-type":"Object Created","source":"aws.ec2","detail":{}}`,
		// A key that does not URL-decode.
		`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"bad%zzkey"}}}]}`,
	} {
		if ev, err := DecodeEvent([]byte(in)); err == nil {
			t.Errorf("DecodeEvent(%q) = %+v, want an error", in, ev)
		}
	}
}

func TestDecodeEventBridgeKeyEncoding(t *testing.T) {
	in := `{"detail-type":"Object Created","source":"aws.s3","detail":{"bucket":{"name":"b"},"object":{"key":"a+b%2Bc.log","etag":"e"}}}`
	ev, err := DecodeEvent([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := Object{Bucket: "b", Key: "a b+c.log", AltKey: "a+b%2Bc.log", ETag: "e"}
	if got := ev.Notifications[0].Objects; !reflect.DeepEqual(got, []Object{want}) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	in = `{"detail-type":"Object Deleted","source":"aws.s3","detail":{"bucket":{"name":"b"},"object":{"key":"k"}}}`
	if ev, err = DecodeEvent([]byte(in)); err != nil || !reflect.DeepEqual(ev.Notifications[0].Skipped, []string{SkipNotCreated}) {
		t.Errorf("Object Deleted: %+v, %v", ev, err)
	}
}

func TestContinuationRoundTrip(t *testing.T) {
	c := &Continuation{Hop: 3, Tasks: []Task{
		{Object: albObject, Offset: 12345, Gzip: true},
		{Object: Object{Bucket: "b", Key: "k with space+plus"}},
	}}
	payload, err := c.MarshalEvent()
	if err != nil {
		t.Fatal(err)
	}
	ev, err := DecodeEvent(payload)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Kind != KindContinuation || !reflect.DeepEqual(ev.Continuation, c) {
		t.Errorf("round trip: got %+v, want %+v", ev.Continuation, c)
	}
}

// TestFixturesRoundTrip checks that every fixture is a faithful instance of
// its aws-lambda-go type: decoding into the type and encoding again keeps
// every member the fixture has.
func TestFixturesRoundTrip(t *testing.T) {
	types := map[string]func() any{
		"s3-put.json":             func() any { return new(events.S3Event) },
		"s3-key-spaces.json":      func() any { return new(events.S3Event) },
		"s3-multi.json":           func() any { return new(events.S3Event) },
		"sns-s3.json":             func() any { return new(events.SNSEvent) },
		"sqs-s3.json":             func() any { return new(events.SQSEvent) },
		"sqs-bad-body.json":       func() any { return new(events.SQSEvent) },
		"sqs-s3-test-event.json":  func() any { return new(events.SQSEvent) },
		"sns-sqs-s3.json":         func() any { return new(events.SQSEvent) },
		"eventbridge-s3.json":     func() any { return new(events.CloudWatchEvent) },
		"eventbridge-sqs-s3.json": func() any { return new(events.SQSEvent) },
		"s3-test-event.json":      func() any { return new(events.S3TestEvent) },
		"continuation.json": func() any {
			return new(struct {
				C *Continuation `json:"elbstreamContinuation"`
			})
		},
	}
	// testdata/events is shared with other stages (Kinesis and Firehose
	// fixtures): only the ingest trigger fixtures are checked here.
	for name, newT := range types {
		t.Run(name, func(t *testing.T) {
			raw := readFixture(t, name)
			v := newT()
			if err := json.Unmarshal(raw, v); err != nil {
				t.Fatal(err)
			}
			again, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			var in, out any
			if err := json.Unmarshal(raw, &in); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(again, &out); err != nil {
				t.Fatal(err)
			}
			if path, ok := subset(in, out, "$"); !ok {
				t.Errorf("member %s did not survive the round trip through %T", path, v)
			}
			// And the ingest decoder accepts it.
			if _, err := DecodeEvent(raw); err != nil {
				t.Errorf("DecodeEvent: %v", err)
			}
		})
	}
}

// subset reports whether every member of a is in b with an equal value,
// and where not.
func subset(a, b any, path string) (string, bool) {
	switch a := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok {
			return path, false
		}
		for k, v := range a {
			if p, ok := subset(v, bm[k], path+"."+k); !ok {
				return p, false
			}
		}
		return "", true
	case []any:
		bs, ok := b.([]any)
		if !ok || len(bs) != len(a) {
			return path, false
		}
		for i := range a {
			if p, ok := subset(a[i], bs[i], path+"["+strconv.Itoa(i)+"]"); !ok {
				return p, false
			}
		}
		return "", true
	}
	return path, reflect.DeepEqual(a, b)
}
