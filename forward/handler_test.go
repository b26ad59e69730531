package forward

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

func kinesisEvent(data [][]byte) events.KinesisEvent {
	var ev events.KinesisEvent
	for i, d := range data {
		seq := fmt.Sprintf("4960000000000000000000000000000000000000000000000%06d", i)
		ev.Records = append(ev.Records, events.KinesisEventRecord{
			EventID:     "shardId-000000000000:" + seq,
			EventSource: "aws:kinesis",
			Kinesis:     events.KinesisRecord{Data: d, SequenceNumber: seq, PartitionKey: "pk"},
		})
	}
	return ev
}

func TestHandlerDeliversEveryEventInOrder(t *testing.T) {
	data, ids := recordsOf(t, "", 20, 37)
	out := &fakeSender{}
	h := NewHandler(out, Config{Window: 50}, nil, nil)
	resp, err := h.Handle(context.Background(), kinesisEvent(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures: %+v", resp.BatchItemFailures)
	}
	var want []string
	for _, rid := range ids {
		want = append(want, rid...)
	}
	if len(out.acked) != len(want) {
		t.Fatalf("acknowledged %d events, want %d", len(out.acked), len(want))
	}
	for i := range want {
		if out.acked[i] != want[i] {
			t.Fatalf("event %d: got %s, want %s (order)", i, out.acked[i], want[i])
		}
	}
	for i, n := range out.sizes {
		if n > 50 {
			t.Errorf("send %d carried %d events, window is 50", i, n)
		}
	}
	s := h.Metrics().Snapshot()
	if s.Records != 20 || s.EventsRead != int64(len(want)) || s.EventsAcked != int64(len(want)) {
		t.Errorf("stats: %+v", s)
	}
}

func TestHandlerSendFailsMidBatch(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		records, per, window int
		failCall             int
	}{
		{"window inside a record", 10, 100, 30, 7},
		{"window spans records", 40, 3, 10, 4},
		{"first send", 5, 5, 8, 0},
		{"window equals record", 12, 16, 16, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, ids := recordsOf(t, "", tc.records, tc.per)
			out := &fakeSender{SendFunc: func(_ context.Context, call int, _ [][]byte) error {
				if call >= tc.failCall {
					return errors.New("connection reset by peer")
				}
				return nil
			}}
			h := NewHandler(out, Config{Window: tc.window}, nil, nil)
			ev := kinesisEvent(data)
			resp, err := h.Handle(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			want := firstIncomplete(ids, out.ackedSet())
			if want == len(ids) {
				t.Fatalf("test setup: every event was acknowledged")
			}
			if len(resp.BatchItemFailures) != 1 {
				t.Fatalf("failures: %+v, want one", resp.BatchItemFailures)
			}
			if got, wantSeq := resp.BatchItemFailures[0].ItemIdentifier, ev.Records[want].Kinesis.SequenceNumber; got != wantSeq {
				t.Errorf("failure at %s, want record %d (%s)", got, want, wantSeq)
			}
			if out.calls != tc.failCall+1 {
				t.Errorf("%d sends, want %d (no retry in the handler)", out.calls, tc.failCall+1)
			}
		})
	}
}

func TestHandlerStopsBeforeDeadline(t *testing.T) {
	data, ids := recordsOf(t, "", 30, 10)
	margin := 300 * time.Millisecond
	var seenDeadline time.Time
	out := &fakeSender{SendFunc: func(ctx context.Context, call int, _ [][]byte) error {
		if call < 3 {
			return nil
		}
		// A receiver that stopped acknowledging: wait until told to stop.
		seenDeadline, _ = ctx.Deadline()
		<-ctx.Done()
		return ctx.Err()
	}}
	h := NewHandler(out, Config{Window: 25, SafetyMargin: margin}, nil, nil)
	deadline := time.Now().Add(4*margin + 200*time.Millisecond) // long enough for the whole margin
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	ev := kinesisEvent(data)
	resp, err := h.Handle(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	if !seenDeadline.Equal(deadline.Add(-margin)) {
		t.Errorf("send deadline %v, want the invocation's minus the margin %v", seenDeadline, deadline.Add(-margin))
	}
	want := firstIncomplete(ids, out.ackedSet())
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != ev.Records[want].Kinesis.SequenceNumber {
		t.Fatalf("failures %+v, want record %d (%s)", resp.BatchItemFailures, want, ev.Records[want].Kinesis.SequenceNumber)
	}
	if want != 7 { // 3 windows of 25 = 75 events = records 0..6 complete
		t.Errorf("first incomplete record %d, want 7", want)
	}
}

func TestHandlerDeadlinePassed(t *testing.T) {
	data, _ := recordsOf(t, "", 3, 2)
	out := &fakeSender{}
	h := NewHandler(out, Config{}, nil, nil)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Millisecond))
	defer cancel()
	ev := kinesisEvent(data)
	resp, _ := h.Handle(ctx, ev)
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != ev.Records[0].Kinesis.SequenceNumber {
		t.Fatalf("failures %+v, want the first record", resp.BatchItemFailures)
	}
	if out.calls != 0 {
		t.Errorf("%d sends with no time left", out.calls)
	}
}

// An invocation shorter than the margin still delivers, keeping a quarter
// of its time for the answer. With the whole margin kept, a timeout at or
// under it sent nothing, ever, and Lambda retried the batch for ever.
func TestHandlerShortInvocationDelivers(t *testing.T) {
	data, ids := recordsOf(t, "", 3, 2)
	var seenDeadline time.Time
	out := &fakeSender{SendFunc: func(ctx context.Context, _ int, _ [][]byte) error {
		seenDeadline, _ = ctx.Deadline()
		return nil
	}}
	h := NewHandler(out, Config{SafetyMargin: time.Hour}, nil, nil)
	deadline := time.Now().Add(time.Minute)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	resp, err := h.Handle(ctx, kinesisEvent(data))
	if err != nil || len(resp.BatchItemFailures) != 0 || firstIncomplete(ids, out.ackedSet()) != len(ids) {
		t.Fatalf("Handle = %+v, %v; want the batch delivered", resp, err)
	}
	if left := deadline.Sub(seenDeadline); left < 14*time.Second || left > 15*time.Second {
		t.Errorf("sends end %v before the deadline, want a quarter of the minute", left)
	}
}

func TestHandlerSkipsMalformedRecord(t *testing.T) {
	data, ids := recordsOf(t, "", 5, 4)
	bad := append([]byte(nil), data[2]...)
	bad[len(bad)-1] ^= 0xff // break the MD5 trailer
	data[2] = bad
	out := &fakeSender{}
	h := NewHandler(out, Config{Window: 3}, nil, nil)
	resp, err := h.Handle(context.Background(), kinesisEvent(data))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp %+v err %v: a malformed record must not stall the shard", resp, err)
	}
	got := out.ackedSet()
	for r, rid := range ids {
		for _, id := range rid {
			if (got[id] == 1) != (r != 2) {
				t.Errorf("record %d event %s delivered %d times", r, id, got[id])
			}
		}
	}
	s := h.Metrics().Snapshot()
	if s.Malformed != 1 || len(s.Failures) != 1 {
		t.Errorf("malformed %d, failures %v", s.Malformed, s.Failures)
	}
}

func TestHandlerEmptyBatch(t *testing.T) {
	h := NewHandler(&fakeSender{}, Config{}, nil, nil)
	resp, err := h.Handle(context.Background(), events.KinesisEvent{})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp %+v err %v", resp, err)
	}
}
