package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/local"
)

// refuseAfter makes s accept the first n entries and refuse every
// later one for good (an error code no retry cures).
func refuseAfter(s *local.Stream, n int64, only func(e stream.Entry) bool) {
	var seen atomic.Int64
	s.InjectPutFaults(func(_ string, e stream.Entry) string {
		if only != nil && !only(e) {
			return ""
		}
		if seen.Add(1) > n {
			return "AccessDeniedException"
		}
		return ""
	})
}

// TestWriteRefusedObjectCountedOnce: an object whose lines the
// stream refused part way is a failed object, and only that: objects read
// + failed + skipped account for each object exactly once.
func TestWriteRefusedObjectCountedOnce(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	if err := os.WriteFile(p, lines(20000, newLogGen(91).alb, "\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newLocalStream(t, local.Options{MaxRecordBytes: 32 << 10})
	refuseAfter(s, 3, nil)
	r := (&Ingester{Stream: s, Config: Config{Writer: fastRetry}}).Start(t.Context())
	r.File(p)
	err := r.Close()
	if err == nil || !strings.Contains(err.Error(), "a.log") {
		t.Fatalf("Close = %v, want the object failed by name", err)
	}
	sum := r.Stats().Summary()
	t.Logf("summary: objects %d, failed %d, skipped %d, lines %d", sum.Objects, sum.FailedObjects, sum.SkippedTotal(), sum.Lines)
	if sum.LinesRead != 20000 || sum.Lines >= sum.LinesRead || sum.Lines == 0 {
		t.Errorf("%d lines read, %d of them accepted: want all 20000 read, part of them accepted", sum.LinesRead, sum.Lines)
	}
	if got := sum.Objects + sum.FailedObjects + sum.SkippedTotal(); got != 1 {
		t.Errorf("1 object given, accounted for %d times: %d read + %d failed + %d skipped",
			got, sum.Objects, sum.FailedObjects, sum.SkippedTotal())
	}
}

// TestHandlerRefusedObjectMetrics: the same through the Lambda
// handler, on an SQS batch: the JSON summary line and the EMF metrics
// count the refused object once (as failed, not also as read), and
// batchItemFailures names exactly its message.
func TestHandlerRefusedObjectMetrics(t *testing.T) {
	s := newLocalStream(t, local.Options{MaxRecordBytes: 32 << 10})
	f := newFakeS3(t, logBucket)
	g := newLogGen(92)
	bad := f.put(logBucket, "bad.log", lines(20000, g.alb, "\n"))
	good := f.put(logBucket, "good.log", lines(100, g.alb, "\n"))
	badSrc := S3Source(logBucket, "bad.log", bad.ETag, "")
	// Only the bad object's entries are refused, after its first few.
	refuseAfter(s, 3, func(e stream.Entry) bool {
		return strings.HasPrefix(e.PartitionKey, partitionKeyBase(badSrc)+":")
	})
	var logs, metrics bytes.Buffer
	h := &Handler{
		Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}, Config: Config{Writer: fastRetry}},
		Logger:   newJSONLogger(&logs), Metrics: &metrics,
	}
	out, err := h.Handle(context.Background(), sqsEvent(t,
		s3Event(t, "ObjectCreated:Put", bad),
		s3Event(t, "ObjectCreated:Put", good)))
	if err != nil {
		t.Fatal(err)
	}
	resp := out.(events.SQSEventResponse)
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	if strings.Join(ids, ",") != "msg-0" {
		t.Errorf("batchItemFailures %v, want [msg-0]", ids)
	}
	sum := summaryFromLog(t, &logs)
	var emf map[string]any
	if err := json.Unmarshal(metrics.Bytes(), &emf); err != nil {
		t.Fatal(err)
	}
	t.Logf("summary line: objects %d, failedObjects %d, errorCount %d; EMF Objects %v FailedObjects %v",
		sum.Objects, sum.FailedObjects, sum.ErrorCount, emf["Objects"], emf["FailedObjects"])
	if sum.Objects != 1 || sum.FailedObjects != 1 {
		t.Errorf("summary line: objects %d, failedObjects %d: want 1 read (good.log) and 1 failed (bad.log)", sum.Objects, sum.FailedObjects)
	}
	if emf["Objects"] != float64(1) || emf["FailedObjects"] != float64(1) {
		t.Errorf("EMF Objects %v, FailedObjects %v: want 1 and 1", emf["Objects"], emf["FailedObjects"])
	}
}
