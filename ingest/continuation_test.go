package ingest

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/local"
)

// captured is a fake Invoker that keeps the payloads.
type captured struct {
	mu       sync.Mutex
	payloads [][]byte
	err      error
}

func (c *captured) InvokeAsync(_ context.Context, payload []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.payloads = append(c.payloads, bytes.Clone(payload))
	return c.err
}

func (c *captured) continuation(t *testing.T) *Continuation {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.payloads) != 1 {
		t.Fatalf("%d continuations invoked, want 1", len(c.payloads))
	}
	ev, err := DecodeEvent(c.payloads[0])
	if err != nil || ev.Kind != KindContinuation {
		t.Fatalf("continuation payload %s: %v", c.payloads[0], err)
	}
	c.payloads = nil
	return ev.Continuation
}

// steppingClock advances by step on every reading, from the real time:
// the reader's deadline check (every 64 lines) sees time pass
// deterministically, however fast the machine is.
func steppingClock(step time.Duration) func() time.Time {
	start := time.Now()
	var n atomic.Int64
	return func() time.Time { return start.Add(time.Duration(n.Add(1)) * step) }
}

// lambdaContext is an invocation context with a deadline.
func lambdaContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// onLineStart reports whether off starts one of want's lines of source.
func onLineStart(want []wantLine, source string, off int64) bool {
	for _, w := range want {
		if w.source == source && w.pos == off {
			return true
		}
	}
	return false
}

func TestContinuationAtDeadline(t *testing.T) {
	for _, gz := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "gzip"}[gz]
		t.Run(name, func(t *testing.T) {
			s := newLocalStream(t, local.Options{MaxRecordBytes: 64 << 10})
			f := newFakeS3(t, logBucket)
			g := newLogGen(10)
			small := lines(1000, g.clb, "\n")
			big := lines(10000, g.alb, "\r\n")
			third := lines(500, g.clb, "\n")
			stored := big
			if gz {
				stored = gzipped(t, big)
			}
			objs := []Object{
				f.put(logBucket, "a.log", small),
				f.put(logBucket, "b.log", stored),
				f.put(logBucket, "c d.log", third),
			}
			src := func(o Object) string { return S3Source(o.Bucket, o.Key, o.ETag, "") }
			var want []wantLine
			want = append(want, expect(src(objs[0]), small, DefaultMaxLineBytes, 0)...)
			want = append(want, expect(src(objs[1]), big, DefaultMaxLineBytes, 0)...)
			want = append(want, expect(src(objs[2]), third, DefaultMaxLineBytes, 0)...)

			inv := new(captured)
			var logs bytes.Buffer
			h := &Handler{
				Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}, Config: Config{SafetyMargin: 20 * time.Second}},
				Invoker:  inv,
				Logger:   newJSONLogger(&logs),
				Metrics:  &bytes.Buffer{},
				// 60s of invocation, stop 20s before the end: the
				// reader stops after 40 checks, about 2500 lines,
				// inside b.log.
				clock: steppingClock(time.Second),
			}
			out, err := h.Handle(lambdaContext(t, time.Minute), s3Event(t, "ObjectCreated:Put", objs...))
			if err != nil {
				t.Fatal(err)
			}
			// a.log read, b.log stopped in it and c d.log not started:
			// each object counted once.
			if sum := out.(Summary); sum.Objects != 1 || sum.Continued != 2 || sum.FailedObjects != 0 || sum.Stopped != 0 {
				t.Errorf("summary %+v: want 1 object read and 2 continued", sum)
			}
			c := inv.continuation(t)
			if c.Hop != 1 || len(c.Tasks) != 2 {
				t.Fatalf("continuation %+v: want hop 1, two tasks", c)
			}
			b, rest := c.Tasks[0], c.Tasks[1]
			if b.Key != "b.log" || b.Offset <= 0 || b.Offset >= int64(len(big)) || b.Gzip != gz || b.ETag != objs[1].ETag {
				t.Errorf("task %+v: want b.log from inside, gzip %v, pinned to its ETag", b, gz)
			}
			if !onLineStart(want, src(objs[1]), b.Offset) {
				t.Errorf("offset %d is not the start of a line", b.Offset)
			}
			if rest.Key != "c d.log" || rest.Offset != 0 {
				t.Errorf("task %+v: want c d.log from the start", rest)
			}
			// Everything before the offset is on the stream, nothing
			// after it.
			var before []wantLine
			for _, w := range want {
				if w.source == src(objs[0]) || w.source == src(objs[1]) && w.pos < b.Offset {
					before = append(before, w)
				}
			}
			reconcile(t, s, before)

			// The continuation finishes the job: every line exactly once.
			h.clock = nil
			payload, _ := c.MarshalEvent()
			if _, err := h.Handle(lambdaContext(t, time.Minute), payload); err != nil {
				t.Fatal(err)
			}
			if len(inv.payloads) != 0 {
				t.Errorf("the continuation continued again")
			}
			reconcile(t, s, want)
		})
	}
}

func TestContinuationSQS(t *testing.T) {
	s := newLocalStream(t, local.Options{MaxRecordBytes: 64 << 10})
	f := newFakeS3(t, logBucket)
	g := newLogGen(11)
	var objs []Object
	var want []wantLine
	for i, n := range []int{1000, 5000, 800} {
		content := lines(n, g.alb, "\n")
		o := f.put(logBucket, "obj"+strconv.Itoa(i)+".log.gz", gzipped(t, content))
		objs = append(objs, o)
		want = append(want, expect(S3Source(o.Bucket, o.Key, o.ETag, ""), content, DefaultMaxLineBytes, 0)...)
	}
	inv := new(captured)
	h := &Handler{
		Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}, Config: Config{SafetyMargin: 20 * time.Second}},
		Invoker:  inv, Logger: discardLogger(), Metrics: &bytes.Buffer{},
		clock: steppingClock(time.Second),
	}
	batch := sqsEvent(t,
		s3Event(t, "ObjectCreated:Put", objs[0]),
		s3Event(t, "ObjectCreated:Put", objs[1]),
		s3Event(t, "ObjectCreated:Put", objs[2]))
	out, err := h.Handle(lambdaContext(t, time.Minute), batch)
	if err != nil {
		t.Fatal(err)
	}
	// msg-1 was cut short and continued: acknowledged. msg-2 was not
	// started: SQS redelivers it.
	resp := out.(events.SQSEventResponse)
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "msg-2" {
		t.Fatalf("failures %+v, want msg-2 only", resp.BatchItemFailures)
	}
	c := inv.continuation(t)
	if len(c.Tasks) != 1 || c.Tasks[0].Key != objs[1].Key || c.Tasks[0].Offset == 0 || !c.Tasks[0].Gzip {
		t.Fatalf("continuation %+v: want obj1.log.gz from inside", c)
	}
	h.clock = nil
	payload, _ := c.MarshalEvent()
	if _, err := h.Handle(lambdaContext(t, time.Minute), payload); err != nil {
		t.Fatal(err)
	}
	// SQS redelivers msg-2.
	out, err = h.Handle(lambdaContext(t, time.Minute), sqsEvent(t, s3Event(t, "ObjectCreated:Put", objs[2])))
	if err != nil || len(out.(events.SQSEventResponse).BatchItemFailures) != 0 {
		t.Fatalf("redelivery: %+v, %v", out, err)
	}
	reconcile(t, s, want)
}

// TestContinuationAfterWriteDeadline: the stream refuses the records of
// the second half of an object until the writes' deadline passes; the
// continuation starts at the first record not accepted, and nothing is
// lost or duplicated.
func TestContinuationAfterWriteDeadline(t *testing.T) {
	s := newLocalStream(t, local.Options{MaxRecordBytes: 32 << 10})
	f := newFakeS3(t, logBucket)
	g := newLogGen(12)
	content := lines(4000, g.clb, "\n")
	o := f.put(logBucket, "x.log", content)
	src := S3Source(logBucket, "x.log", o.ETag, "")
	want := expect(src, content, DefaultMaxLineBytes, 0)
	cut := want[len(want)/2].pos

	var refusing atomic.Bool
	refusing.Store(true)
	s.InjectPutFaults(func(_ string, e stream.Entry) string {
		_, pos, _ := strings.Cut(e.PartitionKey, ":")
		if p, _ := strconv.ParseInt(pos, 10, 64); p >= cut && refusing.Load() {
			return stream.ErrCodeThrottled
		}
		return ""
	})
	inv := new(captured)
	h := &Handler{
		Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}, Config: Config{
			SafetyMargin: time.Second,
			Writer:       WriterConfig{MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond},
		}},
		Invoker: inv, Logger: discardLogger(), Metrics: &bytes.Buffer{},
	}
	// 2s of invocation: writes give up 1.75s in.
	out, err := h.Handle(lambdaContext(t, 2*time.Second), s3Event(t, "ObjectCreated:Put", o))
	if err != nil {
		t.Fatal(err)
	}
	if sum := out.(Summary); sum.Continued != 1 || sum.Throttled == 0 {
		t.Errorf("summary %+v", sum)
	}
	c := inv.continuation(t)
	off := c.Tasks[0].Offset
	if off < cut || !onLineStart(want, src, off) {
		t.Fatalf("resume offset %d: want the start of a line at or after %d", off, cut)
	}
	var before []wantLine
	for _, w := range want {
		if w.pos < off {
			before = append(before, w)
		}
	}
	reconcile(t, s, before)

	refusing.Store(false)
	payload, _ := c.MarshalEvent()
	if _, err := h.Handle(lambdaContext(t, time.Minute), payload); err != nil {
		t.Fatal(err)
	}
	reconcile(t, s, want)
}

func TestContinuationNoProgress(t *testing.T) {
	s := newLocalStream(t, local.Options{})
	f := newFakeS3(t, logBucket)
	o := f.put(logBucket, "x.log", lines(100, newLogGen(13).clb, "\n"))
	inv := new(captured)
	h := &Handler{
		Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}},
		Invoker:  inv, Logger: discardLogger(), Metrics: &bytes.Buffer{},
		clock: func() time.Time { return time.Now().Add(time.Hour) },
	}
	_, err := h.Handle(lambdaContext(t, time.Minute), s3Event(t, "ObjectCreated:Put", o))
	if err == nil || !strings.Contains(err.Error(), "no progress") {
		t.Errorf("err = %v, want no progress", err)
	}
	if len(inv.payloads) != 0 {
		t.Errorf("continuation invoked without progress")
	}
}

func TestContinuationInvokeFailure(t *testing.T) {
	s := newLocalStream(t, local.Options{MaxRecordBytes: 64 << 10})
	f := newFakeS3(t, logBucket)
	o := f.put(logBucket, "x.log", lines(10000, newLogGen(14).clb, "\n"))
	inv := &captured{err: context.DeadlineExceeded}
	h := &Handler{
		Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client}},
		Invoker:  inv, Logger: discardLogger(), Metrics: &bytes.Buffer{},
		clock: steppingClock(time.Second),
	}
	_, err := h.Handle(lambdaContext(t, time.Minute), s3Event(t, "ObjectCreated:Put", o))
	if err == nil || !strings.Contains(err.Error(), "invoke continuation") {
		t.Errorf("err = %v, want the invoke failure", err)
	}
	h.clock = steppingClock(time.Second)
	out, err := h.Handle(lambdaContext(t, time.Minute), sqsEvent(t, s3Event(t, "ObjectCreated:Put", o)))
	if err != nil || len(out.(events.SQSEventResponse).BatchItemFailures) != 1 {
		t.Errorf("SQS: %+v, %v; want the message failed", out, err)
	}
}

func TestResumeDetectsChangedObject(t *testing.T) {
	s := newLocalStream(t, local.Options{})
	f := newFakeS3(t, logBucket)
	content := lines(100, newLogGen(15).clb, "\n")
	for _, gz := range []bool{false, true} {
		stored := content
		if gz {
			stored = gzipped(t, content)
		}
		o := f.put(logBucket, "x.log", stored)
		run := (&Ingester{Stream: s, Objects: &S3Client{Client: f.client}}).Start(context.Background())
		// An offset inside a line: what a changed object looks like.
		res := run.Object(Task{Object: o, Offset: 10, Gzip: gz})
		err := run.Close()
		if err == nil || !strings.Contains(err.Error(), "line boundary") || res.Err() == nil {
			t.Errorf("gzip %v: err = %v, want a line-boundary error", gz, err)
		}
	}
}

func TestDeadlines(t *testing.T) {
	now := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	h := &Handler{Ingester: &Ingester{Config: Config{SafetyMargin: 20 * time.Second}}, Invoker: new(captured)}
	for _, tc := range []struct {
		timeout         time.Duration
		stopAt, writeBy time.Duration // after now
	}{
		{5 * time.Minute, 5*time.Minute - 20*time.Second, 5*time.Minute - 5*time.Second},
		{30 * time.Second, 15 * time.Second, 30*time.Second - 15*time.Second/4},
		{3 * time.Second, 1500 * time.Millisecond, 3*time.Second - 375*time.Millisecond},
	} {
		ctx, cancel := context.WithDeadline(context.Background(), now.Add(tc.timeout))
		stopAt, writeBy := h.deadlines(ctx, now)
		cancel()
		if stopAt.Sub(now) != tc.stopAt || writeBy.Sub(now) != tc.writeBy {
			t.Errorf("timeout %v: stop at +%v, writes until +%v; want +%v, +%v", tc.timeout, stopAt.Sub(now), writeBy.Sub(now), tc.stopAt, tc.writeBy)
		}
	}
	h.Invoker = nil
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if stopAt, writeBy := h.deadlines(ctx, now); !stopAt.IsZero() || !writeBy.IsZero() {
		t.Errorf("without an invoker: %v, %v; want no deadlines", stopAt, writeBy)
	}
}

// TestContinuationKeepsTheFilter: objects the filter rejects, announced
// after one the deadline cuts short, are skipped by the invocation that
// saw them, not handed to the continuation, which does not filter.
func TestContinuationKeepsTheFilter(t *testing.T) {
	s := newLocalStream(t, local.Options{MaxRecordBytes: 64 << 10})
	f := newFakeS3(t, logBucket)
	g := newLogGen(10)
	objs := []Object{
		f.put(logBucket, "AWSLogs/b.log", lines(10000, g.alb, "\n")),
		f.put(logBucket, "AWSLogs/1/"+ELBTestFile, []byte("Enable AccessLog for ELB: x\n")),
		f.put(logBucket, "processed/out.log", []byte("written by another tool\n")),
	}
	inv := new(captured)
	h := &Handler{
		Ingester: &Ingester{Stream: s, Objects: &S3Client{Client: f.client},
			Config: Config{SafetyMargin: 20 * time.Second, Filter: Filter{ExcludePrefixes: []string{"processed/"}}}},
		Invoker: inv, Logger: discardLogger(), Metrics: &bytes.Buffer{},
		clock: steppingClock(time.Second),
	}
	out, err := h.Handle(lambdaContext(t, time.Minute), s3Event(t, "ObjectCreated:Put", objs...))
	if err != nil {
		t.Fatal(err)
	}
	if sum := out.(Summary); sum.Skipped[SkipTestFile] != 1 || sum.Skipped[SkipPrefix] != 1 {
		t.Errorf("skipped %v, want the test file and the excluded prefix", sum.Skipped)
	}
	c := inv.continuation(t)
	if len(c.Tasks) != 1 || c.Tasks[0].Key != "AWSLogs/b.log" || c.Tasks[0].Offset == 0 {
		t.Fatalf("continuation tasks %+v, want only the cut object, from where it stopped", c.Tasks)
	}
	h.clock = nil
	payload, _ := c.MarshalEvent()
	if _, err := h.Handle(lambdaContext(t, time.Minute), payload); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, recs := range readAll(t, s) {
		for _, r := range recs {
			kplDecode(t, r.Data, func(source string, _ int64, text string) {
				if !strings.Contains(source, "AWSLogs/b.log") {
					t.Errorf("a filtered object's line on the stream: %s %q", source, text)
				}
				n++
			})
		}
	}
	if n != 10000 {
		t.Errorf("%d lines on the stream, want the cut object's 10000", n)
	}
}
