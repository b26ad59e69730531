package transform

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/elbstream/elbstream/stream"
)

func TestKinesisHandlerFixture(t *testing.T) {
	var ev events.KinesisEvent
	readFixture(t, "kinesis-raw-records.json", &ev)
	sink := &memSink{}
	h := &KinesisHandler{Stage: newStage(t, sink, Config{})}
	resp, err := h.Handle(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle = %+v, %v; want no failures", resp, err)
	}
	var f rawFixture
	for _, r := range ev.Records {
		f.lines = append(f.lines, fixtureLines(t, r.Kinesis.Data))
	}
	evs := decodeEvents(t, sink.entries())
	checkOneEventPerLine(t, f, evs)
	for _, e := range evs {
		if e.Record.Source == "" || e.Record.Position < 0 {
			t.Errorf("event without provenance: %s", e.Record.Data)
		}
	}
}

// The first record whose events were not all accepted is reported, so
// that Lambda resumes exactly there.
func TestKinesisHandlerReportsFirstRecordNotDone(t *testing.T) {
	f := makeRaw(t, 3, 3, 20, mixedText)
	ev := kinesisEvent(f.records)
	sink := &memSink{
		Limits_: stream.Limits{MaxRecordBytes: 4 << 10, MaxPutEntries: 2, MaxPutBytes: 8 << 10, MaxPartitionKey: 256},
		Fail: func(call int, e stream.Entry) string {
			if call >= 6 {
				return "KMSDisabledException"
			}
			return ""
		},
	}
	h := &KinesisHandler{Stage: newStage(t, sink, Config{})}
	resp, err := h.Handle(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) != 1 {
		t.Fatalf("Handle = %+v, %v; want one failure", resp, err)
	}
	failed := resp.BatchItemFailures[0].ItemIdentifier
	done := -1
	for i, r := range f.records {
		if r.SequenceNumber == failed {
			done = i
		}
	}
	if done <= 0 {
		t.Fatalf("failure %q: want a record after the first (the first puts succeed)", failed)
	}
	got := map[string]bool{}
	for _, e := range decodeEvents(t, sink.entries()) {
		got[line{Source: e.Record.Source, Position: e.Record.Position}.key()] = true
	}
	for i, ls := range f.lines[:done] {
		for _, l := range ls {
			if l.Text != controlLine && !got[l.key()] {
				t.Fatalf("record %d is before the reported failure but line %s was not accepted", i, l.key())
			}
		}
	}
}

// Close to the deadline the handler starts nothing and reports the first
// record, instead of being killed mid-batch.
func TestKinesisHandlerStopsBeforeDeadline(t *testing.T) {
	f := makeRaw(t, 1, 3, 5, mixedText)
	sink := &memSink{}
	h := &KinesisHandler{Stage: newStage(t, sink, Config{}), Margin: time.Second}
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Millisecond)) // past its deadline
	defer cancel()
	resp, err := h.Handle(ctx, kinesisEvent(f.records))
	if err != nil || len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != f.records[0].SequenceNumber {
		t.Fatalf("Handle = %+v, %v; want the first record reported", resp, err)
	}
	if n := len(sink.entries()); n != 0 {
		t.Fatalf("%d entries put after the stop time", n)
	}
}

func TestKinesisHandlerDeadlines(t *testing.T) {
	now := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	h := &KinesisHandler{} // DefaultMargin, 3s
	for _, tc := range []struct {
		timeout, stopAt, putBy time.Duration // after now
	}{
		{5 * time.Minute, 5*time.Minute - 6*time.Second, 5*time.Minute - 3*time.Second},
		{12 * time.Second, 6 * time.Second, 9 * time.Second},
		{3 * time.Second, 1500 * time.Millisecond, 2250 * time.Millisecond}, // Lambda's default timeout
		{-time.Second, -7 * time.Second, -4 * time.Second},                  // past: nothing starts
	} {
		stopAt, putBy := h.deadlines(now.Add(tc.timeout), now)
		if stopAt.Sub(now) != tc.stopAt || putBy.Sub(now) != tc.putBy {
			t.Errorf("timeout %v: stop at +%v, puts until +%v; want +%v, +%v", tc.timeout, stopAt.Sub(now), putBy.Sub(now), tc.stopAt, tc.putBy)
		}
	}
}

// A function whose timeout is shorter than 2×Margin (Lambda's default of
// 3 s, with the default margin) still transforms its batch. It used to
// start nothing, and Lambda retried the same batch for ever.
func TestKinesisHandlerShortTimeoutMakesProgress(t *testing.T) {
	f := makeRaw(t, 1, 3, 5, mixedText)
	sink := &memSink{}
	h := &KinesisHandler{Stage: newStage(t, sink, Config{})}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	resp, err := h.Handle(ctx, kinesisEvent(f.records))
	if err != nil || len(resp.BatchItemFailures) != 0 || len(sink.entries()) == 0 {
		t.Fatalf("Handle = %+v, %v, %d entries put; want the batch done", resp, err, len(sink.entries()))
	}
}

// A Put that hangs is abandoned at deadline−Margin and the batch is
// reported as not done.
func TestKinesisHandlerAbandonsHangingPut(t *testing.T) {
	f := makeRaw(t, 1, 3, 5, mixedText)
	// The handler has 2s to parse three small records and reach the put,
	// which then hangs until deadline−Margin.
	const margin = 250 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second+margin)
	defer cancel()
	invocationDeadline, _ := ctx.Deadline()
	var putDeadline time.Time
	sink := &memSink{PutFunc: func(ctx context.Context, _ []stream.Entry) ([]stream.PutResult, error) {
		putDeadline, _ = ctx.Deadline()
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	h := &KinesisHandler{Stage: newStage(t, sink, Config{}), Margin: margin}
	resp, err := h.Handle(ctx, kinesisEvent(f.records))
	if err != nil || len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != f.records[0].SequenceNumber {
		t.Fatalf("Handle = %+v, %v; want the first record reported", resp, err)
	}
	if putDeadline.IsZero() {
		t.Fatal("the handler did not reach the put within 2s of the invocation")
	}
	if want := invocationDeadline.Add(-margin); !putDeadline.Equal(want) {
		t.Fatalf("put deadline %v, want the invocation deadline minus the margin, %v", putDeadline, want)
	}
}

func kinesisEvent(recs []stream.Record) events.KinesisEvent {
	var ev events.KinesisEvent
	for _, r := range recs {
		ev.Records = append(ev.Records, events.KinesisEventRecord{
			EventSource: "aws:kinesis",
			EventID:     fmt.Sprintf("shardId-000000000000:%s", r.SequenceNumber),
			Kinesis:     events.KinesisRecord{Data: r.Data, PartitionKey: r.PartitionKey, SequenceNumber: r.SequenceNumber},
		})
	}
	return ev
}
