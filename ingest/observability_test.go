package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream/local"
)

// emfUnits is the set of units the embedded metric format allows.
var emfUnits = map[string]bool{
	"Seconds": true, "Microseconds": true, "Milliseconds": true, "Bytes": true, "Kilobytes": true,
	"Megabytes": true, "Gigabytes": true, "Terabytes": true, "Bits": true, "Kilobits": true, "Megabits": true,
	"Gigabits": true, "Terabits": true, "Percent": true, "Count": true, "Bytes/Second": true,
	"Kilobytes/Second": true, "Megabytes/Second": true, "Gigabytes/Second": true, "Terabytes/Second": true,
	"Bits/Second": true, "Kilobits/Second": true, "Megabits/Second": true, "Gigabits/Second": true,
	"Terabits/Second": true, "Count/Second": true, "None": true,
}

// emfDocument validates one EMF document against the specification and the
// README's list, and returns its values.
func emfDocument(t *testing.T, text string) map[string]any {
	t.Helper()
	text = strings.TrimSpace(text)
	if strings.Contains(text, "\n") {
		t.Fatalf("more than one EMF line:\n%s", text)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("EMF %q: %v", text, err)
	}
	aws, _ := doc["_aws"].(map[string]any)
	ts, _ := aws["Timestamp"].(float64)
	if now := float64(time.Now().UnixMilli()); ts < now-60_000 || ts > now+1000 {
		t.Errorf("_aws.Timestamp %v is not the time in ms (now %v)", ts, now)
	}
	dirs, _ := aws["CloudWatchMetrics"].([]any)
	if len(dirs) != 1 {
		t.Fatalf("CloudWatchMetrics %v", aws["CloudWatchMetrics"])
	}
	dir := dirs[0].(map[string]any)
	if dir["Namespace"] != "elbstream" {
		t.Errorf("Namespace %v", dir["Namespace"])
	}
	dims, _ := dir["Dimensions"].([]any)
	if len(dims) == 0 {
		t.Error("no Dimensions")
	}
	for _, set := range dims {
		for _, d := range set.([]any) {
			if _, ok := doc[d.(string)].(string); !ok {
				t.Errorf("dimension %v has no string member", d)
			}
		}
	}
	if doc["Stage"] != "ingest" {
		t.Errorf("Stage = %v", doc["Stage"])
	}
	metrics, _ := dir["Metrics"].([]any)
	if len(metrics) > 100 {
		t.Errorf("%d metrics, at most 100", len(metrics))
	}
	named := map[string]bool{}
	for _, m := range metrics {
		m := m.(map[string]any)
		name, _ := m["Name"].(string)
		named[name] = true
		if unit, ok := m["Unit"].(string); ok && !emfUnits[unit] {
			t.Errorf("metric %s: unit %q not allowed", name, unit)
		}
		if _, ok := doc[name].(float64); !ok {
			t.Errorf("metric %s has no number at the root", name)
		}
	}
	for _, name := range []string{"Objects", "Lines", "Bytes", "Records", "PutCalls", "Retries", "Throttled",
		"SkippedObjects", "FailedObjects", "ContinuedObjects", "TruncatedLines", "Errors", "Duration"} {
		if !named[name] {
			t.Errorf("README metric %s missing", name)
		}
	}
	return doc
}

// TestIngestEMFAndSummaryReconcile: an SQS batch with a good
// object, a broken one, a missing one and a message that is not a
// notification. The EMF line is valid and its counts are the summary's;
// each object is counted once; the line is at ERROR.
func TestIngestEMFAndSummaryReconcile(t *testing.T) {
	s := newLocalStream(t, local.Options{})
	f := newFakeS3(t, logBucket)
	g := newLogGen(9)
	goodObj := f.put(logBucket, "good.log", lines(50, g.alb, "\n"))
	broken := gzipped(t, lines(2000, g.alb, "\n"))
	brokenObj := f.put(logBucket, "broken.log.gz", broken[:len(broken)/2])
	missing := Object{Bucket: logBucket, Key: "missing.log", ETag: "\"abc\""}
	var logs, metrics bytes.Buffer
	h := &Handler{Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}}, Logger: newJSONLogger(&logs), Metrics: &metrics}
	if _, err := h.Handle(context.Background(), sqsEvent(t,
		s3Event(t, "ObjectCreated:Put", goodObj),
		s3Event(t, "ObjectCreated:Put", brokenObj),
		s3Event(t, "ObjectCreated:Put", missing),
		[]byte("not json"))); err != nil {
		t.Fatal(err)
	}
	line := logs.String()
	sum := summaryFromLog(t, &logs)
	doc := emfDocument(t, metrics.String())
	if !strings.Contains(line, `"level":"ERROR"`) {
		t.Errorf("summary not at ERROR: %s", line)
	}
	for name, v := range map[string]int64{"Objects": sum.Objects, "FailedObjects": sum.FailedObjects, "Errors": sum.ErrorCount,
		"SkippedObjects": sum.SkippedTotal(), "Lines": sum.Lines, "Records": sum.Records, "ContinuedObjects": sum.Continued} {
		if doc[name] != float64(v) {
			t.Errorf("EMF %s = %v, summary %d", name, doc[name], v)
		}
	}
	if sum.Objects+sum.FailedObjects+sum.SkippedTotal()+sum.Continued != 3 {
		t.Errorf("objects counted %d+%d+%d+%d, want 3 objects each once: %+v", sum.Objects, sum.FailedObjects, sum.SkippedTotal(), sum.Continued, sum)
	}
	if sum.ErrorCount != 2 || sum.Lines < 50 || sum.Lines > sum.LinesRead {
		t.Errorf("summary %+v: want 2 errors (broken object, bad message), 50 lines", sum)
	}

	// A clean invocation: INFO, and every count its own (not the last
	// invocation's).
	metrics.Reset()
	if _, err := h.Handle(context.Background(), s3Event(t, "ObjectCreated:Put", goodObj)); err != nil {
		t.Fatal(err)
	}
	line = logs.String()
	sum = summaryFromLog(t, &logs)
	doc = emfDocument(t, metrics.String())
	if strings.Contains(line, `"level":"ERROR"`) || doc["Errors"] != 0.0 || doc["Objects"] != 1.0 || doc["Lines"] != 50.0 || sum.Objects != 1 {
		t.Errorf("clean invocation: %s %v", line, doc)
	}

	// An event the function cannot take at all.
	metrics.Reset()
	if _, err := h.Handle(context.Background(), []byte(`{"hello":1}`)); err == nil {
		t.Log("an unknown event is not an error")
	}
	line = logs.String()
	logs.Reset()
	doc = emfDocument(t, metrics.String())
	if !strings.Contains(line, `"level":"ERROR"`) || doc["Errors"] != 1.0 {
		t.Errorf("unknown event: %s %v", line, doc)
	}
}
