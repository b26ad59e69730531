package transform

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/elbstream/elbstream/stream"
)

func eventIDsOf(t *testing.T, entries []stream.Entry) []string {
	t.Helper()
	var ids []string
	for _, e := range decodeEvents(t, entries) {
		ids = append(ids, e.ID)
	}
	sort.Strings(ids)
	return ids
}

// Lambda retries a batch (or a warm environment gets the same batch
// again): the events carry the same event.ids, so the duplicates are
// recognisable downstream.
func TestESMDuplicateBatchSameIDs(t *testing.T) {
	f := makeRaw(t, 2, 3, 10, mixedText)
	// add a foreign, plain multi-line record and an undecodable one
	f.records = append(f.records,
		stream.Record{Data: []byte(albLine + "\n" + clbLine + "\n"), PartitionKey: "foreign", SequenceNumber: "9001"},
		stream.Record{Data: []byte{0xF3, 0x89, 0x9A, 0xC2, 9, 9, 9}, PartitionKey: "foreign", SequenceNumber: "9002"},
	)
	ev := kinesisEvent(f.records)
	s1, s2 := &memSink{}, &memSink{}
	st := newStage(t, s1, Config{})
	h := &KinesisHandler{Stage: st}
	if resp, err := h.Handle(context.Background(), ev); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("first: %+v %v", resp, err)
	}
	st.cfg.Sink = s2 // the same warm stage, a second delivery of the batch
	if resp, err := h.Handle(context.Background(), ev); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("second: %+v %v", resp, err)
	}
	a, b := eventIDsOf(t, s1.entries()), eventIDsOf(t, s2.entries())
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Fatalf("a retried batch gave other event ids: %d vs %d", len(a), len(b))
	}
}

// Garbage of every kind is transformed (into tagged failure events), never
// blocks the shard and never makes the handler report a failure.
func TestESMGarbageRecords(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	junk := make([]byte, 4096)
	for i := range junk {
		junk[i] = byte(rnd.UintN(256))
	}
	recs := []stream.Record{
		{Data: nil, PartitionKey: "k", SequenceNumber: "1"},
		{Data: []byte{0xF3, 0x89, 0x9A, 0xC2}, PartitionKey: "k", SequenceNumber: "2"},
		{Data: append([]byte{0xF3, 0x89, 0x9A, 0xC2}, junk...), PartitionKey: "k", SequenceNumber: "3"},
		{Data: junk, PartitionKey: "k", SequenceNumber: "4"},
		{Data: []byte("\xff\xfe\x00\x00 not utf-8 \x00"), PartitionKey: "k", SequenceNumber: "5"},
		{Data: bytes.Repeat([]byte("x"), 1<<20), PartitionKey: "k", SequenceNumber: "6"}, // one 1 MiB line
		{Data: bytes.Repeat([]byte(albLine+"\n"), (1<<20)/len(albLine)), PartitionKey: "k", SequenceNumber: "7"},
	}
	sink := &memSink{}
	h := &KinesisHandler{Stage: newStage(t, sink, Config{})}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := h.Handle(ctx, kinesisEvent(recs))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle = %+v, %v", resp, err)
	}
	if len(decodeEvents(t, sink.entries())) == 0 {
		t.Fatal("no events")
	}
}

// The deadline comes mid-batch: the report names the first record not
// started, every record before it is fully put, and the named record is
// not (no finished prefix re-driven, nothing skipped).
func TestESMDeadlineMidBatch(t *testing.T) {
	f := makeRaw(t, 4, 5, 30, mixedText)
	var puts atomic.Int32
	inner := &memSink{Limits_: stream.Limits{MaxRecordBytes: 8 << 10, MaxPutEntries: 2, MaxPutBytes: 16 << 10, MaxPartitionKey: 256}}
	sink := &memSink{Limits_: inner.Limits_, PutFunc: func(ctx context.Context, e []stream.Entry) ([]stream.PutResult, error) {
		puts.Add(1)
		time.Sleep(40 * time.Millisecond)
		return inner.Put(ctx, e)
	}}
	const margin = 150 * time.Millisecond
	h := &KinesisHandler{Stage: newStage(t, sink, Config{}), Margin: margin}
	ctx, cancel := context.WithTimeout(context.Background(), 2*margin+600*time.Millisecond)
	defer cancel()
	ev := kinesisEvent(f.records)
	resp, err := h.Handle(ctx, ev)
	if err != nil || len(resp.BatchItemFailures) != 1 {
		t.Fatalf("Handle = %+v, %v; want one failure (test timing)", resp, err)
	}
	got := map[string]bool{}
	for _, e := range decodeEvents(t, inner.entries()) {
		got[line{Source: e.Record.Source, Position: e.Record.Position}.key()] = true
	}
	first := -1
	for i, r := range f.records {
		if r.SequenceNumber == resp.BatchItemFailures[0].ItemIdentifier {
			first = i
		}
	}
	if first < 0 {
		t.Fatalf("unknown itemIdentifier %q", resp.BatchItemFailures[0].ItemIdentifier)
	}
	for i, ls := range f.lines {
		missing := 0
		for _, l := range ls {
			if l.Text != controlLine && !got[l.key()] {
				missing++
			}
		}
		if i < first && missing > 0 {
			t.Fatalf("record %d before the reported %d has %d events not put", i, first, missing)
		}
		if i == first && missing == 0 {
			t.Fatalf("record %d reported though every event of it was accepted", i)
		}
	}
}

// Per-entry throttling that lasts until the deadline, with the entries
// around it accepted: the report names the first record of the throttled
// aggregate.
func TestESMThrottledEntryUntilDeadline(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			f := makeRaw(t, 3, 4, 20, mixedText)
			rnd := rand.New(rand.NewPCG(seed, 3))
			sticky := map[string]bool{}
			sink := &memSink{
				Limits_: stream.Limits{MaxRecordBytes: 6 << 10, MaxPutEntries: 3, MaxPutBytes: 20 << 10, MaxPartitionKey: 256},
				Fail: func(call int, e stream.Entry) string {
					k := string(e.Data)
					if sticky[k] || (call >= 2 && rnd.IntN(4) == 0) {
						sticky[k] = true
						return "ProvisionedThroughputExceededException"
					}
					return ""
				},
			}
			h := &KinesisHandler{Stage: newStage(t, sink, Config{}), Margin: 100 * time.Millisecond}
			ctx, cancel := context.WithTimeout(context.Background(), 900*time.Millisecond)
			defer cancel()
			resp, err := h.Handle(ctx, kinesisEvent(f.records))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, e := range decodeEvents(t, sink.entries()) {
				got[line{Source: e.Record.Source, Position: e.Record.Position}.key()] = true
			}
			first := len(f.records)
			if len(resp.BatchItemFailures) == 1 {
				for i, r := range f.records {
					if r.SequenceNumber == resp.BatchItemFailures[0].ItemIdentifier {
						first = i
					}
				}
			} else if len(resp.BatchItemFailures) != 0 {
				t.Fatalf("failures %+v", resp.BatchItemFailures)
			}
			for i, ls := range f.lines {
				missing := 0
				for _, l := range ls {
					if l.Text != controlLine && !got[l.key()] {
						missing++
					}
				}
				if i < first && missing > 0 {
					t.Fatalf("record %d before the reported %d has %d events not put", i, first, missing)
				}
				if i == first && missing == 0 {
					t.Fatalf("record %d reported though all its events were accepted", i)
				}
			}
		})
	}
}

// The response is what Lambda expects; the empty batch is a success.
func TestESMResponseShape(t *testing.T) {
	h := &KinesisHandler{Stage: newStage(t, &memSink{}, Config{})}
	resp, err := h.Handle(context.Background(), events.KinesisEvent{})
	b, _ := json.Marshal(resp)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("empty batch: %s %v", b, err)
	}
}
