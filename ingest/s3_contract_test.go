package ingest

// The S3 side as a demanding user meets it — real event shapes,
// real key spellings, S3's error answers.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/elbstream/elbstream/internal/s3test"
	"github.com/elbstream/elbstream/stream/local"
)

// s3Proxy fronts an s3test server with intercept, which may answer a
// request itself (return true) the way real S3 would where gofakes3
// cannot (an archived object's GET, say).
func s3Proxy(t *testing.T, intercept func(w http.ResponseWriter, r *http.Request) bool) (*fakeS3, *s3.Client) {
	t.Helper()
	backURL, back := s3test.Start(t)
	u, _ := url.Parse(backURL)
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if intercept != nil && intercept(w, r) {
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	front := s3.New(s3.Options{
		Region:       s3test.Region,
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s3test.AccessKeyID, s3test.SecretAccessKey, ""),
	})
	return &fakeS3{client: back, t: t}, front
}

func s3ErrorXML(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>R</RequestId><HostId>H</HostId></Error>`, code, msg)
}

func createBucket(t *testing.T, c *s3.Client, b string) {
	t.Helper()
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatal(err)
	}
}

// eventBridgeEvent is an S3 "Object Created" event as EventBridge delivers
// it (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html),
// the key as given.
func eventBridgeEvent(t testing.TB, detailType, reason string, o Object, key string) []byte {
	t.Helper()
	obj := map[string]any{"key": key, "size": o.Size, "etag": o.ETag, "sequencer": "617f08299329d189"}
	if o.VersionID != "" {
		obj["version-id"] = o.VersionID
	}
	b, err := json.Marshal(map[string]any{
		"version": "0", "id": "17793124-05d4-b198-2fde-7ededc63b103",
		"detail-type": detailType, "source": "aws.s3", "account": "123456789012",
		"time": "2024-05-01T00:05:00Z", "region": "us-east-1",
		"resources": []string{"arn:aws:s3:::" + o.Bucket},
		"detail": map[string]any{
			"version": "0", "bucket": map[string]any{"name": o.Bucket}, "object": obj,
			"request-id": "N4N7GDK58NMKJ12R", "requester": "123456789012",
			"source-ip-address": "1.2.3.4", "reason": reason,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func snsLambdaEvent(t testing.TB, msg []byte) []byte {
	t.Helper()
	b, err := json.Marshal(events.SNSEvent{Records: []events.SNSEventRecord{{EventSource: "aws:sns", EventVersion: "1.0",
		SNS: events.SNSEntity{Type: "Notification", MessageID: "sns-1", TopicArn: "arn:aws:sns:us-east-1:123456789012:t", Message: string(msg)}}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func snsInSQSBody(t testing.TB, typ string, msg []byte) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"Type": typ, "MessageId": "m", "TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message": string(msg)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every envelope, every awkward key, one bucket per key (so that no two
// spellings collide): each object is read once per delivery, nothing fails.
func TestS3AwkwardKeysInEveryEnvelope(t *testing.T) {
	keys := []string{
		"AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/05/01/123456789012_elasticloadbalancing_us-east-1_app.my-alb.50dc6c495c0c9188_20240501T0005Z_203.0.113.7_2et2e1mx.log.gz",
		"imports/a b.log",
		"imports/a+b.log",
		"imports/100%.log",
		"imports/100%25.log",
		"imports/ünïcødé/日本語 ログ.log",
		"imports/x=y&z;~!*'()[]{}@$,#?.log",
		"imports/" + strings.Repeat("l", 1024-len("imports/")-len(".log")) + ".log",
	}
	s := newLocalStream(t, local.Options{})
	f := newFakeS3(t)
	g := newLogGen(9)
	content := lines(20, g.alb, "\n")
	var objs []Object
	for i, k := range keys {
		b := fmt.Sprintf("keys-%d", i)
		createBucket(t, f.client, b)
		objs = append(objs, f.put(b, k, content))
	}
	h := &Handler{Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}}, Logger: discardLogger(), Metrics: &bytes.Buffer{}}
	for i, o := range objs {
		s3e := s3Event(t, "ObjectCreated:Put", o)
		ebRaw := eventBridgeEvent(t, "Object Created", "PutObject", o, o.Key)
		ebEnc := eventBridgeEvent(t, "Object Created", "PutObject", o, encodeKey(o.Key))
		for _, tc := range []struct {
			name  string
			event []byte
		}{
			{"s3", s3e},
			{"sns", snsLambdaEvent(t, s3e)},
			{"sqs", sqsEvent(t, s3e)},
			{"sns-sqs", sqsEvent(t, snsInSQSBody(t, "Notification", s3e))},
			{"eventbridge-raw", ebRaw},
			{"eventbridge-encoded", ebEnc},
			{"eventbridge-sqs-raw", sqsEvent(t, ebRaw)},
		} {
			out, err := h.Handle(context.Background(), tc.event)
			if err != nil {
				t.Errorf("key %d %q via %s: %v", i, o.Key, tc.name, err)
				continue
			}
			var sum Summary
			switch v := out.(type) {
			case Summary:
				sum = v
			case events.SQSEventResponse:
				if len(v.BatchItemFailures) != 0 {
					t.Errorf("key %d %q via %s: failures %v", i, o.Key, tc.name, v.BatchItemFailures)
				}
				continue
			}
			if sum.Objects != 1 || sum.Lines != 20 || len(sum.Skipped) != 0 {
				t.Errorf("key %d %q via %s: summary %+v, want 1 object, 20 lines", i, o.Key, tc.name, sum)
			}
		}
	}
	// The lines carry the key as stored, whatever the envelope.
	got := map[string]int{}
	for _, rs := range readAll(t, s) {
		for _, r := range rs {
			kplDecode(t, r.Data, func(src string, _ int64, _ string) { got[src]++ })
		}
	}
	for _, o := range objs {
		src := S3Source(o.Bucket, o.Key, o.ETag, "")
		if got[src] != 7*20 {
			t.Errorf("%s: %d lines, want %d", src, got[src], 7*20)
		}
		delete(got, src)
	}
	for src, n := range got {
		t.Errorf("unexpected source %s (%d lines)", src, n)
	}
}

// EventBridge carries the key as stored (AWS's examples show it plain and
// document no encoding). The decoder tries the URL-decoded spelling first
// and the raw one only when the first is not found. When the decoded
// spelling names another object — "a b.log" beside "a+b.log" — the
// announced object is never read: the If-Match of its ETag fails on the
// other one, and the announced object is skipped as "changed".
func TestS3EventBridgeRawKeyBesideItsDecodedTwin(t *testing.T) {
	s := newLocalStream(t, local.Options{})
	f := newFakeS3(t, logBucket)
	g := newLogGen(10)
	plus := f.put(logBucket, "imports/a+b.log", lines(7, g.alb, "\n"))
	f.put(logBucket, "imports/a b.log", lines(3, g.alb, "\n"))
	h := &Handler{Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}}, Logger: discardLogger(), Metrics: &bytes.Buffer{}}
	out, err := h.Handle(context.Background(), eventBridgeEvent(t, "Object Created", "PutObject", plus, plus.Key))
	if err != nil {
		t.Fatal(err)
	}
	sum := out.(Summary)
	if sum.Objects != 1 || sum.Lines != 7 || len(sum.Skipped) != 0 {
		t.Errorf("EventBridge event for %q (raw key): summary %+v, want the announced object read: 1 object, 7 lines", plus.Key, sum)
	}
}

// An object in S3 Glacier Flexible Retrieval / Deep Archive (or an
// Intelligent-Tiering archive tier) answers GetObject with 403
// InvalidObjectState until restored.
func TestS3ArchivedObject(t *testing.T) {
	f, front := s3Proxy(t, interceptFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "archived") {
			s3ErrorXML(w, http.StatusForbidden, "InvalidObjectState", "The operation is not valid for the object's storage class")
		}
	}).intercept)
	createBucket(t, f.client, logBucket)
	g := newLogGen(11)
	good := f.put(logBucket, "AWSLogs/good.log", lines(5, g.alb, "\n"))
	arch := f.put(logBucket, "AWSLogs/archived.log.gz", gzipped(t, lines(5, g.alb, "\n")))
	s := newLocalStream(t, local.Options{})
	var logs bytes.Buffer
	h := &Handler{Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: front}}, Logger: newJSONLogger(&logs), Metrics: &bytes.Buffer{}}
	out, err := h.Handle(context.Background(), sqsEvent(t, s3Event(t, "ObjectCreated:Put", good), s3Event(t, "ObjectCreated:Put", arch)))
	if err != nil {
		t.Fatal(err)
	}
	resp := out.(events.SQSEventResponse)
	sum := summaryFromLog(t, &logs)
	t.Logf("batch item failures %+v; summary %+v", resp.BatchItemFailures, sum)
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "msg-1" {
		t.Errorf("failures %+v, want msg-1 only", resp.BatchItemFailures)
	}
	if sum.Objects != 1 || sum.FailedObjects != 1 || sum.ErrorCount != 1 {
		t.Errorf("summary %+v: want 1 read, 1 failed, 1 error", sum)
	}
	if e := strings.Join(sum.Errors, "\n"); !strings.Contains(e, arch.String()) || !strings.Contains(e, "InvalidObjectState") || !strings.Contains(e, "archived: restore it") {
		t.Errorf("errors %q: want the archived object named, with InvalidObjectState and what to do", e)
	}
}

type interceptFunc func(w http.ResponseWriter, r *http.Request)

func (f interceptFunc) intercept(w http.ResponseWriter, r *http.Request) bool {
	rec := &answered{ResponseWriter: w}
	f(rec, r)
	return rec.wrote
}

type answered struct {
	http.ResponseWriter
	wrote bool
}

func (a *answered) WriteHeader(c int) { a.wrote = true; a.ResponseWriter.WriteHeader(c) }
func (a *answered) Write(b []byte) (int, error) {
	a.wrote = true
	return a.ResponseWriter.Write(b)
}

// An SQS batch as a busy bucket's queue holds it: every kind of message at
// once. Only those that failed (or cannot be decoded) are redelivered.
func TestS3SQSBatchMixed(t *testing.T) {
	s := newLocalStream(t, local.Options{})
	f := newFakeS3(t, logBucket)
	g := newLogGen(12)
	good := f.put(logBucket, "AWSLogs/good.log", lines(10, g.alb, "\n"))
	broken := gzipped(t, lines(200, g.alb, "\n"))
	bad := f.put(logBucket, "AWSLogs/truncated.log.gz", broken[:len(broken)/2])
	gone := Object{Bucket: logBucket, Key: "AWSLogs/deleted.log", ETag: "0123456789abcdef0123456789abcdef"}
	eb := f.put(logBucket, "AWSLogs/eb file.log", lines(4, g.alb, "\n"))
	testEvent := []byte(`{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2024-05-01T00:00:00.000Z","Bucket":"` + logBucket + `","RequestId":"R","HostId":"H"}`)
	var logs bytes.Buffer
	h := &Handler{Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}}, Logger: newJSONLogger(&logs), Metrics: &bytes.Buffer{}}
	out, err := h.Handle(context.Background(), sqsEvent(t,
		s3Event(t, "ObjectCreated:Put", good),                    // 0 read
		[]byte(`not json at all`),                                // 1 undecodable
		[]byte(`{"hello":"world"}`),                              // 2 JSON, not a notification
		snsInSQSBody(t, "Notification", []byte("plain text")),    // 3 SNS, not an S3 event
		s3Event(t, "ObjectCreated:CompleteMultipartUpload", bad), // 4 broken object
		testEvent, // 5 s3:TestEvent
		snsInSQSBody(t, "SubscriptionConfirmation", []byte("confirm")), // 6 SNS confirmation
		s3Event(t, "ObjectRemoved:Delete", gone),                       // 7 deletion
		s3Event(t, "ObjectCreated:Put", gone),                          // 8 deleted since
		eventBridgeEvent(t, "Object Created", "PutObject", eb, eb.Key), // 9 EventBridge via SQS
	))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range out.(events.SQSEventResponse).BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	sort.Strings(ids)
	if got := strings.Join(ids, ","); got != "msg-1,msg-2,msg-3,msg-4" {
		t.Errorf("batch item failures %s, want msg-1,msg-2,msg-3,msg-4", got)
	}
	sum := summaryFromLog(t, &logs)
	want := map[string]int64{SkipTestEvent: 1, SkipNotification: 1, SkipNotCreated: 1, SkipMissing: 1}
	for k, v := range want {
		if sum.Skipped[k] != v {
			t.Errorf("skipped %s = %d, want %d", k, sum.Skipped[k], v)
		}
	}
	// The broken object's lines before the break are written too.
	if sum.Objects != 2 || sum.Lines < 14 || sum.FailedObjects != 1 || sum.ErrorCount != 4 {
		t.Errorf("summary %+v: want 2 objects, 1 failed, 4 errors", sum)
	}
	if e := strings.Join(sum.Errors, "\n"); !strings.Contains(e, bad.String()) || !strings.Contains(e, "msg-1") {
		t.Errorf("errors %q: want the broken object and the bad messages named", e)
	}
}

// Event types: every ObjectCreated subtype is read; restores, lifecycle,
// tagging, ACL, replication and deletion events are acknowledged; so are
// EventBridge's other detail types.
func TestS3EventTypes(t *testing.T) {
	s := newLocalStream(t, local.Options{})
	f := newFakeS3(t, logBucket)
	g := newLogGen(13)
	o := f.put(logBucket, "AWSLogs/x.log", lines(3, g.alb, "\n"))
	h := &Handler{Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}}, Logger: discardLogger(), Metrics: &bytes.Buffer{}}
	for _, name := range []string{"ObjectCreated:Put", "ObjectCreated:Post", "ObjectCreated:Copy", "ObjectCreated:CompleteMultipartUpload", "s3:ObjectCreated:Put"} {
		out, err := h.Handle(context.Background(), s3Event(t, name, o))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if sum := out.(Summary); sum.Objects != 1 || sum.Lines != 3 {
			t.Errorf("%s: %+v, want read", name, sum)
		}
	}
	for _, name := range []string{"ObjectRemoved:Delete", "ObjectRemoved:DeleteMarkerCreated", "ObjectRestore:Post", "ObjectRestore:Completed", "ObjectRestore:Delete",
		"LifecycleTransition", "LifecycleExpiration:Delete", "LifecycleExpiration:DeleteMarkerCreated", "IntelligentTiering", "ObjectTagging:Put", "ObjectTagging:Delete",
		"ObjectAcl:Put", "Replication:OperationFailedReplication", "ReducedRedundancyLostObject"} {
		out, err := h.Handle(context.Background(), s3Event(t, name, o))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if sum := out.(Summary); sum.Objects != 0 || sum.Skipped[SkipNotCreated] != 1 {
			t.Errorf("%s: %+v, want skipped as not created", name, sum)
		}
	}
	for _, dt := range []string{"Object Deleted", "Object Restore Initiated", "Object Restore Completed", "Object Restore Expired", "Object Storage Class Changed",
		"Object Access Tier Changed", "Object ACL Updated", "Object Tags Added", "Object Tags Deleted"} {
		out, err := h.Handle(context.Background(), eventBridgeEvent(t, dt, "", o, o.Key))
		if err != nil {
			t.Fatalf("%s: %v", dt, err)
		}
		if sum := out.(Summary); sum.Objects != 0 || sum.Skipped[SkipNotCreated] != 1 {
			t.Errorf("%s: %+v, want skipped as not created", dt, sum)
		}
	}
	for _, reason := range []string{"PutObject", "POST Object", "CopyObject", "CompleteMultipartUpload"} {
		out, err := h.Handle(context.Background(), eventBridgeEvent(t, "Object Created", reason, o, o.Key))
		if err != nil {
			t.Fatalf("%s: %v", reason, err)
		}
		if sum := out.(Summary); sum.Objects != 1 || sum.Lines != 3 {
			t.Errorf("Object Created (%s): %+v, want read", reason, sum)
		}
	}
}

// Versioned bucket: the read is pinned to the announced version, even once
// the object is overwritten or deleted (a delete marker on top).
func TestS3Versioned(t *testing.T) {
	s := newLocalStream(t, local.Options{})
	f := newFakeS3(t, logBucket)
	ctx := context.Background()
	if _, err := f.client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(logBucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	g := newLogGen(14)
	v1data := lines(6, g.alb, "\n")
	v1 := f.put(logBucket, "AWSLogs/v.log", v1data)
	if v1.VersionID == "" {
		t.Skip("gofakes3 gave no version id")
	}
	v2 := f.put(logBucket, "AWSLogs/v.log", lines(9, g.alb, "\n"))
	if _, err := f.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(logBucket), Key: aws.String(v1.Key)}); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	h := &Handler{Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}}, Logger: newJSONLogger(&logs), Metrics: &bytes.Buffer{}}
	for _, tc := range []struct {
		o     Object
		lines int64
	}{{v1, 6}, {v2, 9}} {
		out, err := h.Handle(ctx, sqsEvent(t, s3Event(t, "ObjectCreated:Put", tc.o)))
		if err != nil {
			t.Fatal(err)
		}
		sum := summaryFromLog(t, &logs)
		if r := out.(events.SQSEventResponse); len(r.BatchItemFailures) != 0 || sum.Lines != tc.lines || sum.Objects != 1 {
			t.Errorf("version %s: failures %v, summary %+v, want %d lines", tc.o.VersionID, r.BatchItemFailures, sum, tc.lines)
		}
	}
	got := map[string]int{}
	for _, rs := range readAll(t, s) {
		for _, r := range rs {
			kplDecode(t, r.Data, func(src string, _ int64, _ string) { got[src]++ })
		}
	}
	if n := got[S3Source(logBucket, v1.Key, v1.ETag, "")]; n != 6 {
		t.Errorf("v1 lines under its ETag: %d, want 6 (got %v)", n, got)
	}
}

// An ETag with its quotes still on (as HTTP headers spell it) pins the
// read as well as a bare one. (Multipart "…-N" ETags are not tested here:
// gofakes3 serves a completed multipart object under another ETag than
// CompleteMultipartUpload answered, which real S3 does not.)
func TestS3ETagSpellings(t *testing.T) {
	s := newLocalStream(t, local.Options{})
	f := newFakeS3(t, logBucket)
	g := newLogGen(15)
	plain := f.put(logBucket, "AWSLogs/plain.log", lines(2, g.alb, "\n"))
	h := &Handler{Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}}, Logger: discardLogger(), Metrics: &bytes.Buffer{}}
	for _, etag := range []string{plain.ETag, `"` + plain.ETag + `"`} {
		o := plain
		o.ETag = etag
		out, err := h.Handle(context.Background(), s3Event(t, "ObjectCreated:Put", o))
		if err != nil {
			t.Fatal(err)
		}
		if sum := out.(Summary); sum.Objects != 1 || sum.Lines != 2 {
			t.Errorf("ETag %s: %+v, want 2 lines", etag, sum)
		}
	}
}

// A listing of more than 1000 keys (several ListObjectsV2 pages) in AWS's
// ELB layout, with a folder marker, the test file and other objects.
func TestS3ListingPages(t *testing.T) {
	f := newFakeS3(t, logBucket)
	ctx := context.Background()
	const prefix = "AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/05/01/"
	if _, err := f.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(logBucket), Key: aws.String(prefix), Body: bytes.NewReader(nil)}); err != nil {
		t.Fatal(err)
	}
	const n = 2345
	for i := range n {
		k := fmt.Sprintf("%s123456789012_elasticloadbalancing_us-east-1_app.my-alb.50dc6c495c0c9188_20240501T%04dZ_203.0.113.7_%08x.log.gz", prefix, i, i)
		if _, err := f.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(logBucket), Key: aws.String(k), Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	f.put(logBucket, "AWSLogs/123456789012/ELBAccessLogTestFile", []byte("Enable AccessLog for ELB: x\n"))
	var keys []string
	var skips = map[string]int{}
	filter := Filter{IncludeSuffixes: []string{".log.gz"}}
	err := (&S3Client{Client: f.client}).ListObjects(ctx, logBucket, "AWSLogs/", func(o Object) error {
		keys = append(keys, o.Key)
		if r := filter.Skip(o.Key); r != "" {
			skips[r]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != n+2 || !sort.StringsAreSorted(keys) {
		t.Errorf("listed %d keys (sorted %v), want %d", len(keys), sort.StringsAreSorted(keys), n+2)
	}
	if skips[SkipFolder] != 1 || skips[SkipTestFile] != 1 || len(skips) != 2 {
		t.Errorf("skips %v, want one folder, one test file", skips)
	}
}

// noListBucket answers a GET of a key that does not exist as S3 does for
// a caller without s3:ListBucket: 403 AccessDenied, not 404 NoSuchKey
// (the README's "IAM for the function's role" grants GetObject and
// GetObjectVersion only).
func noListBucket(back *s3.Client) interceptFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Query().Has("list-type") || r.URL.Query().Has("versions") {
			return
		}
		parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)
		if len(parts) != 2 || parts[1] == "" {
			return
		}
		in := &s3.HeadObjectInput{Bucket: aws.String(parts[0]), Key: aws.String(parts[1])}
		if v := r.URL.Query().Get("versionId"); v != "" {
			in.VersionId = aws.String(v)
		}
		if _, err := back.HeadObject(r.Context(), in); err != nil {
			s3ErrorXML(w, http.StatusForbidden, "AccessDenied", "Access Denied")
		}
	}
}

// With the role the README's Lambda section documents, an EventBridge
// event carrying a key as stored ("a+b.log", which no URL-decoding may
// touch) never reaches its raw spelling: the decoded spelling "a b.log"
// is answered AccessDenied, not NoSuchKey, and the fallback is tried only
// on NoSuchKey.
func TestS3EventBridgeRawKeyWithoutListBucket(t *testing.T) {
	var back *s3.Client
	f, front := s3Proxy(t, func(w http.ResponseWriter, r *http.Request) bool {
		return noListBucket(back).intercept(w, r)
	})
	back = f.client
	createBucket(t, f.client, logBucket)
	g := newLogGen(16)
	plus := f.put(logBucket, "imports/c++ build.log", lines(5, g.alb, "\n"))
	s := newLocalStream(t, local.Options{})
	var logs bytes.Buffer
	h := &Handler{Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: front}}, Logger: newJSONLogger(&logs), Metrics: &bytes.Buffer{}}
	// Encoded, as S3 notifications spell it: read.
	if _, err := h.Handle(context.Background(), s3Event(t, "ObjectCreated:Put", plus)); err != nil {
		t.Fatalf("S3 notification: %v", err)
	}
	summaryFromLog(t, &logs)
	_, err := h.Handle(context.Background(), eventBridgeEvent(t, "Object Created", "PutObject", plus, plus.Key))
	sum := summaryFromLog(t, &logs)
	if err != nil || sum.Objects != 1 || sum.Lines != 5 {
		t.Errorf("EventBridge event for %q under GetObject-only IAM: err %v, summary %+v; want it read (5 lines)", plus.Key, err, sum)
	}
}

// A version deleted for good (DeleteObject with its version id) before
// its notification is read: S3 answers 404 NoSuchVersion; skipped as
// missing, the message acknowledged.
func TestS3VersionDeletedForGood(t *testing.T) {
	s := newLocalStream(t, local.Options{})
	f := newFakeS3(t, logBucket)
	ctx := context.Background()
	if _, err := f.client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(logBucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	g := newLogGen(17)
	v1 := f.put(logBucket, "AWSLogs/v.log", lines(6, g.alb, "\n"))
	f.put(logBucket, "AWSLogs/v.log", lines(2, g.alb, "\n"))
	if _, err := f.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(logBucket), Key: aws.String(v1.Key), VersionId: aws.String(v1.VersionID)}); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	h := &Handler{Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}}, Logger: newJSONLogger(&logs), Metrics: &bytes.Buffer{}}
	out, err := h.Handle(ctx, sqsEvent(t, s3Event(t, "ObjectCreated:Put", v1)))
	if err != nil {
		t.Fatal(err)
	}
	sum := summaryFromLog(t, &logs)
	if r := out.(events.SQSEventResponse); len(r.BatchItemFailures) != 0 || sum.Skipped[SkipMissing] != 1 || sum.Lines != 0 {
		t.Errorf("failures %v, summary %+v; want skipped as missing", r.BatchItemFailures, sum)
	}
}

// An event that is not a notification, outside SQS — an SNS message that
// is not an S3 event (another publisher on the topic), an EventBridge
// event from another source routed to the function — fails the
// invocation. The README: "Errors counts every error, including those
// without an object ..., alarm on it rather than on FailedObjects alone."
// The Errors metric and the summary's errorCount must then say 1.
func TestS3UndecodableEventOutsideSQSCountsAnError(t *testing.T) {
	s := newLocalStream(t, local.Options{})
	f := newFakeS3(t, logBucket)
	for _, tc := range []struct {
		name  string
		event []byte
	}{
		{"sns-not-s3", snsLambdaEvent(t, []byte(`{"AlarmName":"cpu","NewStateValue":"ALARM"}`))},
		{"sns-text", snsLambdaEvent(t, []byte("hello"))},
		{"eventbridge-other-source", []byte(`{"version":"0","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{"instance-id":"i-1","state":"running"}}`)},
		{"s3-bad-key-encoding", []byte(`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"100%.log"}}}]}`)},
	} {
		var logs, metrics bytes.Buffer
		h := &Handler{Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}}, Logger: newJSONLogger(&logs), Metrics: &metrics}
		_, err := h.Handle(context.Background(), tc.event)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
		}
		if !strings.Contains(logs.String(), `"level":"ERROR"`) {
			t.Errorf("%s: log line not at ERROR: %s", tc.name, logs.String())
		}
		var doc map[string]any
		if err := json.Unmarshal(metrics.Bytes(), &doc); err != nil || doc["Errors"] != 1.0 {
			t.Errorf("%s: EMF Errors = %v, want 1", tc.name, doc["Errors"])
		}
		if sum := summaryFromLog(t, &logs); sum.ErrorCount != 1 {
			t.Errorf("%s: summary errorCount %d, want 1", tc.name, sum.ErrorCount)
		}
	}
}

// When the raw EventBridge spelling is the one found, a failure of that
// object names the key that was read, not the decoded spelling that does
// not exist.
func TestS3EventBridgeRawKeyFailureNamesTheKeyRead(t *testing.T) {
	s := newLocalStream(t, local.Options{})
	f := newFakeS3(t, logBucket)
	g := newLogGen(18)
	broken := gzipped(t, lines(200, g.alb, "\n"))
	o := f.put(logBucket, "imports/c++ build.log.gz", broken[:len(broken)/2])
	h := &Handler{Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}}, Logger: discardLogger(), Metrics: &bytes.Buffer{}}
	_, err := h.Handle(context.Background(), eventBridgeEvent(t, "Object Created", "PutObject", o, o.Key))
	if err == nil || !strings.Contains(err.Error(), o.String()) {
		t.Errorf("err = %v, want it to name %s", err, o)
	}
}
