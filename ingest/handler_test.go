package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/local"
)

const logBucket = "elb-logs-123456789012"

// encodeKey URL-encodes a key as S3 notifications do: each path segment
// form-encoded ('+' for a space), slashes kept.
func encodeKey(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.QueryEscape(s)
	}
	return strings.Join(segs, "/")
}

// s3Event returns an S3 notification announcing objs.
func s3Event(t testing.TB, eventName string, objs ...Object) []byte {
	t.Helper()
	type obj struct {
		Key       string `json:"key"`
		Size      int64  `json:"size"`
		ETag      string `json:"eTag"`
		VersionID string `json:"versionId,omitempty"`
		Sequencer string `json:"sequencer"`
	}
	type rec struct {
		EventVersion string    `json:"eventVersion"`
		EventSource  string    `json:"eventSource"`
		AWSRegion    string    `json:"awsRegion"`
		EventTime    time.Time `json:"eventTime"`
		EventName    string    `json:"eventName"`
		S3           struct {
			SchemaVersion string `json:"s3SchemaVersion"`
			Bucket        struct {
				Name string `json:"name"`
				Arn  string `json:"arn"`
			} `json:"bucket"`
			Object obj `json:"object"`
		} `json:"s3"`
	}
	var e struct {
		Records []rec `json:"Records"`
	}
	for _, o := range objs {
		var r rec
		r.EventVersion, r.EventSource, r.AWSRegion, r.EventName = "2.1", "aws:s3", "us-east-1", eventName
		r.EventTime = time.Date(2024, 5, 1, 0, 5, 0, 0, time.UTC)
		r.S3.SchemaVersion = "1.0"
		r.S3.Bucket.Name, r.S3.Bucket.Arn = o.Bucket, "arn:aws:s3:::"+o.Bucket
		r.S3.Object = obj{Key: encodeKey(o.Key), Size: o.Size, ETag: o.ETag, VersionID: o.VersionID, Sequencer: "0A1B2C3D4E5F678901"}
		e.Records = append(e.Records, r)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sqsEvent wraps bodies in an SQS batch; message ids are msg-0, msg-1, …
func sqsEvent(t testing.TB, bodies ...[]byte) []byte {
	t.Helper()
	var e events.SQSEvent
	for i, b := range bodies {
		e.Records = append(e.Records, events.SQSMessage{
			MessageId:      "msg-" + string(rune('0'+i)),
			Body:           string(b),
			EventSource:    "aws:sqs",
			EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:elb-logs",
			AWSRegion:      "us-east-1",
		})
	}
	out, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// logBucketObjects stores the objects every end-to-end test uses — a plain
// CLB file with CRLF lines, a gzipped ALB file, the ELBAccessLogTestFile, a
// key with spaces — and returns them with the lines the stream must carry.
func logBucketObjects(t testing.TB, f *fakeS3) (objs []Object, want []wantLine) {
	t.Helper()
	g := newLogGen(1)
	clb := lines(2000, g.clb, "\r\n")
	alb := lines(4000, g.alb, "\n")
	spaces := lines(300, g.nlb, "\n")
	objs = []Object{
		f.put(logBucket, clbKey, clb),
		f.put(logBucket, albKey, gzipped(t, alb)),
		f.put(logBucket, "AWSLogs/123456789012/ELBAccessLogTestFile", []byte("Enable AccessLog for ELB: my-clb at 2024-05-01T00:00:00.000Z\n")),
		f.put(logBucket, "imports/old logs/my load balancer (2024): c++.log", spaces),
	}
	src := func(o Object) string { return S3Source(o.Bucket, o.Key, o.ETag, "") }
	want = append(want, expect(src(objs[0]), clb, DefaultMaxLineBytes, 0)...)
	want = append(want, expect(src(objs[1]), alb, DefaultMaxLineBytes, 0)...)
	want = append(want, expect(src(objs[3]), spaces, DefaultMaxLineBytes, 0)...)
	return objs, want
}

func TestHandlerEndToEnd(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			f := newFakeS3(t, logBucket)
			objs, want := logBucketObjects(t, f)
			var logs, metrics bytes.Buffer
			h := &Handler{
				Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}},
				Logger:   newJSONLogger(&logs),
				Metrics:  &metrics,
			}
			var bodies [][]byte
			for _, o := range objs {
				bodies = append(bodies, s3Event(t, "ObjectCreated:Put", o))
			}
			out, err := h.Handle(context.Background(), sqsEvent(t, bodies...))
			if err != nil {
				t.Fatal(err)
			}
			resp, ok := out.(events.SQSEventResponse)
			if !ok || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("response %#v, want an SQSEventResponse without failures", out)
			}
			reconcile(t, s, want)

			sum := summaryFromLog(t, &logs)
			if sum.Objects != 3 || sum.Lines != int64(len(want)) || sum.Skipped[SkipTestFile] != 1 || sum.FailedObjects != 0 {
				t.Errorf("summary %+v: want 3 objects, %d lines, 1 test file skipped", sum, len(want))
			}
			checkEMF(t, &metrics, sum)
		})
	}
}

func TestHandlerShapes(t *testing.T) {
	s := newLocalStream(t, local.Options{})
	f := newFakeS3(t, logBucket)
	g := newLogGen(2)
	content := lines(50, g.alb, "\n")
	o := f.put(logBucket, "AWSLogs/x/a file+name.log", content)
	h := &Handler{Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}}, Logger: discardLogger(), Metrics: &bytes.Buffer{}}

	s3e := s3Event(t, "ObjectCreated:Put", o)
	snsMsg, _ := json.Marshal(map[string]any{"Type": "Notification", "MessageId": "m", "TopicArn": "arn:aws:sns:us-east-1:1:t", "Message": string(s3e)})
	sns, _ := json.Marshal(events.SNSEvent{Records: []events.SNSEventRecord{{EventSource: "aws:sns", SNS: events.SNSEntity{Type: "Notification", Message: string(s3e)}}}})
	eb, _ := json.Marshal(map[string]any{
		"version": "0", "detail-type": "Object Created", "source": "aws.s3",
		"detail": map[string]any{"bucket": map[string]any{"name": logBucket}, "object": map[string]any{"key": o.Key, "etag": o.ETag, "size": o.Size}},
	})
	for _, tc := range []struct {
		name  string
		event []byte
	}{
		{"s3", s3e},
		{"sns", sns},
		{"sqs", sqsEvent(t, s3e)},
		{"sns-sqs", sqsEvent(t, snsMsg)},
		// The key is not encoded here: the alternative spelling finds it.
		{"eventbridge", eb},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := h.Handle(context.Background(), tc.event); err != nil {
				t.Fatal(err)
			}
		})
	}
	// Five deliveries of one object: every line five times, no other.
	recs := readAll(t, s)
	count := map[lineKey]int{}
	for _, rs := range recs {
		for _, r := range rs {
			kplDecode(t, r.Data, func(src string, pos int64, _ string) { count[lineKey{src, pos}]++ })
		}
	}
	want := expect(S3Source(o.Bucket, o.Key, o.ETag, ""), content, DefaultMaxLineBytes, 0)
	if len(count) != len(want) {
		t.Errorf("%d distinct lines, want %d", len(count), len(want))
	}
	for _, w := range want {
		if c := count[lineKey{w.source, w.pos}]; c != 5 {
			t.Errorf("line @%d delivered %d times, want 5", w.pos, c)
		}
	}
}

// An object overwritten between its notification and the read no longer
// holds what was announced (reads are pinned to the announced ETag), and
// no retry can read it: it is skipped as changed, like a deleted one,
// rather than failing the message until it lands in the dead-letter
// queue. The new content is read through its own notification. Part way
// through an object, a change still fails the read.
func TestHandlerSkipsAnObjectOverwrittenSinceItsNotification(t *testing.T) {
	s := newLocalStream(t, local.Options{})
	f := newFakeS3(t, logBucket)
	g := newLogGen(42)
	old := f.put(logBucket, "AWSLogs/x.log", lines(10, g.alb, "\n"))
	cur := f.put(logBucket, "AWSLogs/x.log", lines(12, g.alb, "\n"))
	var logs bytes.Buffer
	h := &Handler{Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}}, Logger: newJSONLogger(&logs), Metrics: &bytes.Buffer{}}
	for _, tc := range []struct {
		o              Object
		lines, changed int64
	}{{old, 0, 1}, {cur, 12, 0}} {
		out, err := h.Handle(context.Background(), sqsEvent(t, s3Event(t, "ObjectCreated:Put", tc.o)))
		if err != nil {
			t.Fatal(err)
		}
		if resp := out.(events.SQSEventResponse); len(resp.BatchItemFailures) != 0 {
			t.Errorf("ETag %s: batch item failures %+v", tc.o.ETag, resp.BatchItemFailures)
		}
		sum := summaryFromLog(t, &logs)
		if sum.Skipped[SkipChanged] != tc.changed || sum.Lines != tc.lines || sum.FailedObjects != 0 {
			t.Errorf("ETag %s: summary %+v, want %d skipped as changed, %d lines", tc.o.ETag, sum, tc.changed, tc.lines)
		}
	}

	run := (&Ingester{Stream: s, Objects: &S3Client{Client: f.client}}).Start(context.Background())
	res := run.Object(Task{Object: old, Offset: 100})
	if err := run.Close(); !errors.Is(err, ErrChanged) || !strings.Contains(err.Error(), "AWSLogs/x.log") || res.Err() == nil {
		t.Errorf("resume of the overwritten object: %v, want ErrChanged naming it", err)
	}
}

func TestHandlerIgnoresTestEventsAndDeletions(t *testing.T) {
	s := newLocalStream(t, local.Options{})
	f := newFakeS3(t, logBucket)
	var logs bytes.Buffer
	h := &Handler{Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}}, Logger: newJSONLogger(&logs), Metrics: &bytes.Buffer{}}
	for _, name := range []string{"s3-test-event.json", "sqs-s3-test-event.json", "sns-s3.json"} {
		ev := readFixture(t, name)
		if name == "sns-s3.json" {
			// Announces an object that does not exist: skipped as missing.
			out, err := h.Handle(context.Background(), ev)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if sum := out.(Summary); sum.Skipped[SkipMissing] != 1 {
				t.Errorf("%s: summary %+v, want one missing", name, sum)
			}
			continue
		}
		out, err := h.Handle(context.Background(), ev)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r, ok := out.(events.SQSEventResponse); ok && len(r.BatchItemFailures) > 0 {
			t.Errorf("%s: failures %v", name, r.BatchItemFailures)
		}
	}
	del := s3Event(t, "ObjectRemoved:Delete", Object{Bucket: logBucket, Key: "gone.log"})
	out, err := h.Handle(context.Background(), del)
	if err != nil {
		t.Fatal(err)
	}
	if sum := out.(Summary); sum.Skipped[SkipNotCreated] != 1 || sum.Objects != 0 {
		t.Errorf("deletion: %+v", sum)
	}
	if n := len(flatten(readAll(t, s))); n != 0 {
		t.Errorf("%d records written, want none", n)
	}
}

func TestHandlerFilters(t *testing.T) {
	s := newLocalStream(t, local.Options{})
	f := newFakeS3(t, logBucket)
	g := newLogGen(3)
	in := f.put(logBucket, "AWSLogs/1/elasticloadbalancing/a.log.gz", gzipped(t, lines(10, g.alb, "\n")))
	outPrefix := f.put(logBucket, "other/a.log.gz", gzipped(t, lines(10, g.alb, "\n")))
	outSuffix := f.put(logBucket, "AWSLogs/1/elasticloadbalancing/a.txt", lines(10, g.alb, "\n"))
	excluded := f.put(logBucket, "AWSLogs/1/elasticloadbalancing/tmp/a.log", lines(10, g.alb, "\n"))
	h := &Handler{
		Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}, Config: Config{Filter: Filter{
			IncludePrefixes: []string{"AWSLogs/"},
			ExcludePrefixes: []string{"AWSLogs/1/elasticloadbalancing/tmp/"},
			IncludeSuffixes: []string{".log", ".log.gz"},
		}}},
		Logger: discardLogger(), Metrics: &bytes.Buffer{},
	}
	out, err := h.Handle(context.Background(), s3Event(t, "ObjectCreated:Put", in, outPrefix, outSuffix, excluded))
	if err != nil {
		t.Fatal(err)
	}
	sum := out.(Summary)
	if sum.Objects != 1 || sum.Skipped[SkipPrefix] != 2 || sum.Skipped[SkipSuffix] != 1 || sum.Lines != 10 {
		t.Errorf("summary %+v: want 1 object of 10 lines, 2 skipped by prefix, 1 by suffix", sum)
	}
}

func TestHandlerBrokenObjectFailsOnlyItsMessage(t *testing.T) {
	s := newLocalStream(t, local.Options{})
	f := newFakeS3(t, logBucket)
	g := newLogGen(4)
	good := lines(100, g.alb, "\n")
	goodObj := f.put(logBucket, "good.log", good)
	broken := gzipped(t, lines(3000, g.alb, "\n"))
	broken = broken[:len(broken)/2] // truncated upload
	brokenObj := f.put(logBucket, "broken.log.gz", broken)
	corrupt := gzipped(t, lines(100, g.alb, "\n"))
	corrupt[len(corrupt)/2] ^= 0xff
	corruptObj := f.put(logBucket, "corrupt.log.gz", corrupt)

	var logs bytes.Buffer
	h := &Handler{Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}}, Logger: newJSONLogger(&logs), Metrics: &bytes.Buffer{}}
	out, err := h.Handle(context.Background(), sqsEvent(t,
		s3Event(t, "ObjectCreated:Put", brokenObj),
		s3Event(t, "ObjectCreated:Put", goodObj),
		s3Event(t, "ObjectCreated:Put", corruptObj),
		[]byte("not json")))
	if err != nil {
		t.Fatal(err)
	}
	resp := out.(events.SQSEventResponse)
	var failedIDs []string
	for _, f := range resp.BatchItemFailures {
		failedIDs = append(failedIDs, f.ItemIdentifier)
	}
	if strings.Join(failedIDs, ",") != "msg-0,msg-2,msg-3" {
		t.Errorf("failed messages %v, want msg-0, msg-2, msg-3", failedIDs)
	}
	// The good object is complete.
	src := S3Source(logBucket, "good.log", goodObj.ETag, "")
	got := map[int64]bool{}
	for _, rs := range readAll(t, s) {
		for _, r := range rs {
			kplDecode(t, r.Data, func(s string, pos int64, _ string) {
				if s == src {
					got[pos] = true
				}
			})
		}
	}
	if len(got) != 100 {
		t.Errorf("%d lines of the good object, want 100", len(got))
	}
	sum := summaryFromLog(t, &logs)
	if sum.FailedObjects != 2 || len(sum.Errors) == 0 || !strings.Contains(strings.Join(sum.Errors, "\n"), "broken.log.gz") {
		t.Errorf("summary %+v: want 2 failed objects, named in the errors", sum)
	}

	// Outside SQS the error names the object.
	_, err = h.Handle(context.Background(), s3Event(t, "ObjectCreated:Put", corruptObj))
	if err == nil || !strings.Contains(err.Error(), "corrupt.log.gz") || !strings.Contains(err.Error(), "gzip") {
		t.Errorf("err = %v, want a gzip error naming corrupt.log.gz", err)
	}
}

// TestHandlerThrottling puts through a stream that throttles hard: nothing
// is lost, nothing duplicated.
func TestHandlerThrottling(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts local.Options
	}{
		// Kinesis's real per-shard limits, on a small record size so
		// that there are many records.
		{"shard limits", local.Options{Shards: 2, MaxRecordBytes: 32 << 10, Throttle: &local.Throttle{WriteRecords: 30}}},
		// Random per-entry failures.
		{"injected", local.Options{Shards: 4, MaxRecordBytes: 16 << 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newLocalStream(t, tc.opts)
			if tc.opts.Throttle == nil {
				var n int
				s.InjectPutFaults(func(_ string, e stream.Entry) string {
					n++
					switch n % 3 {
					case 0:
						return stream.ErrCodeThrottled
					case 1:
						if n%7 == 1 {
							return stream.ErrCodeInternal
						}
					}
					return ""
				})
			}
			f := newFakeS3(t, logBucket)
			objs, want := logBucketObjects(t, f)
			var logs bytes.Buffer
			h := &Handler{
				Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}, Config: Config{
					Writer: WriterConfig{MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond},
				}},
				Logger: newJSONLogger(&logs), Metrics: &bytes.Buffer{},
			}
			if _, err := h.Handle(context.Background(), s3Event(t, "ObjectCreated:Put", objs...)); err != nil {
				t.Fatal(err)
			}
			reconcile(t, s, want)
			sum := summaryFromLog(t, &logs)
			if sum.Throttled == 0 || sum.Retries == 0 {
				t.Errorf("summary %+v: want throttled entries and retries", sum)
			}
		})
	}
}

// TestSpreadOverShards checks that one object's records reach every shard,
// the same way on every run.
func TestSpreadOverShards(t *testing.T) {
	g := newLogGen(5)
	content := gzipped(t, lines(3000, g.alb, "\n"))
	var first map[string]int
	for range 2 {
		s := newLocalStream(t, local.Options{Shards: 4, MaxRecordBytes: 16 << 10})
		f := newFakeS3(t, logBucket)
		o := f.put(logBucket, albKey, content)
		run := (&Ingester{Stream: s, Objects: &S3Client{Client: f.client}}).Start(context.Background())
		run.Object(Task{Object: o})
		if err := run.Close(); err != nil {
			t.Fatal(err)
		}
		perShard := map[string]int{}
		for shard, rs := range readAll(t, s) {
			perShard[shard] = len(rs)
		}
		if len(perShard) != 4 {
			t.Errorf("records on %d shards, want 4: %v", len(perShard), perShard)
		}
		if first == nil {
			first = perShard
		} else if !equalCounts(first, perShard) {
			t.Errorf("spread differs between runs: %v, then %v", first, perShard)
		}
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestTruncatedLineTravels(t *testing.T) {
	s := newLocalStream(t, local.Options{})
	f := newFakeS3(t, logBucket)
	g := newLogGen(6)
	var content []byte
	content = append(content, g.alb()+"\n"...)
	long := g.alb() + strings.Repeat("A", 200<<10)
	content = append(content, long+"\n"...)
	content = append(content, g.alb()+"\n"...)
	o := f.put(logBucket, "long.log", content)
	var logs bytes.Buffer
	h := &Handler{Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}}, Logger: newJSONLogger(&logs), Metrics: &bytes.Buffer{}}
	if _, err := h.Handle(context.Background(), s3Event(t, "ObjectCreated:Put", o)); err != nil {
		t.Fatal(err)
	}
	reconcile(t, s, expect(S3Source(logBucket, "long.log", o.ETag, ""), content, DefaultMaxLineBytes, 0))
	if sum := summaryFromLog(t, &logs); sum.TruncatedLines != 1 || sum.Lines != 3 {
		t.Errorf("summary %+v: want 3 lines, 1 truncated", sum)
	}
}

func flatten(m map[string][]stream.Record) []stream.Record {
	var out []stream.Record
	for _, rs := range m {
		out = append(out, rs...)
	}
	return out
}

// breakingGetter hands out bodies that break after a number of bytes, the
// way a connection reset mid-object looks, and records the requests.
type breakingGetter struct {
	inner ObjectGetter
	after int64 // bytes before each of the first breaks
	mu    sync.Mutex
	reqs  []GetRequest
	left  int // breaks left
}

func (g *breakingGetter) GetObject(ctx context.Context, req GetRequest) (*GetResult, error) {
	g.mu.Lock()
	g.reqs = append(g.reqs, req)
	brk := g.left > 0
	g.left--
	g.mu.Unlock()
	out, err := g.inner.GetObject(ctx, req)
	if err != nil || !brk {
		return out, err
	}
	out.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(io.LimitReader(out.Body, g.after), iotest.ErrReader(io.ErrUnexpectedEOF)), out.Body}
	return out, nil
}

func TestS3BodyReopensAfterBreak(t *testing.T) {
	for _, gz := range []bool{false, true} {
		s := newLocalStream(t, local.Options{MaxRecordBytes: 64 << 10})
		f := newFakeS3(t, logBucket)
		content := lines(3000, newLogGen(16).alb, "\n")
		stored := content
		if gz {
			stored = gzipped(t, content)
		}
		o := f.put(logBucket, "x.log", stored)
		g := &breakingGetter{inner: &S3Client{Client: f.client}, after: int64(len(stored)) / 4, left: 3}
		run := (&Ingester{Stream: s, Objects: g}).Start(context.Background())
		run.Object(Task{Object: Object{Bucket: logBucket, Key: "x.log"}})
		if err := run.Close(); err != nil {
			t.Fatalf("gzip %v: %v", gz, err)
		}
		reconcile(t, s, expect(S3Source(logBucket, "x.log", o.ETag, ""), content, DefaultMaxLineBytes, 0))
		// Three breaks, three ranged re-opens pinned to the ETag read.
		if len(g.reqs) != 4 {
			t.Fatalf("gzip %v: %d requests, want 4", gz, len(g.reqs))
		}
		for i, r := range g.reqs[1:] {
			if want := int64(i+1) * g.after; r.Offset != want || r.IfMatch != o.ETag {
				t.Errorf("gzip %v: re-open %d: %+v, want offset %d, If-Match %s", gz, i+1, r, want, o.ETag)
			}
		}
	}
	// A body that keeps breaking fails the object after maxReopens.
	s := newLocalStream(t, local.Options{})
	f := newFakeS3(t, logBucket)
	f.put(logBucket, "y.log", lines(3000, newLogGen(17).alb, "\n"))
	g := &breakingGetter{inner: &S3Client{Client: f.client}, after: 1000, left: 100}
	run := (&Ingester{Stream: s, Objects: g}).Start(context.Background())
	run.Object(Task{Object: Object{Bucket: logBucket, Key: "y.log"}})
	if err := run.Close(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("err = %v, want unexpected EOF", err)
	}
}

// TestHandlerUndecodableMessageIsAnError: an SQS message that is not a
// notification fails only itself, and the invocation says so where alarms
// look: an ERROR log line and the Errors metric, though no object failed.
func TestHandlerUndecodableMessageIsAnError(t *testing.T) {
	s := newLocalStream(t, local.Options{})
	f := newFakeS3(t, logBucket)
	goodObj := f.put(logBucket, "good.log", lines(10, newLogGen(5).alb, "\n"))
	var logs, metrics bytes.Buffer
	h := &Handler{Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}}, Logger: newJSONLogger(&logs), Metrics: &metrics}
	out, err := h.Handle(context.Background(), sqsEvent(t, s3Event(t, "ObjectCreated:Put", goodObj), []byte("not json")))
	if err != nil {
		t.Fatal(err)
	}
	if resp := out.(events.SQSEventResponse); len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "msg-1" {
		t.Errorf("batch item failures %+v, want msg-1", resp.BatchItemFailures)
	}
	if !strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("log line not at ERROR: %s", logs.String())
	}
	if sum := summaryFromLog(t, &logs); sum.ErrorCount != 1 || sum.FailedObjects != 0 || sum.Objects != 1 {
		t.Errorf("summary %+v: want 1 error, 0 failed objects, 1 object", sum)
	}
	var doc map[string]any
	if err := json.Unmarshal(metrics.Bytes(), &doc); err != nil || doc["Errors"] != 1.0 {
		t.Errorf("EMF document %s (%v): want Errors 1", metrics.Bytes(), err)
	}
}
