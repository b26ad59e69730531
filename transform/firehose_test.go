package transform

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

const (
	ok      = events.KinesisFirehoseTransformedStateOk
	dropped = events.KinesisFirehoseTransformedStateDropped
	failed  = events.KinesisFirehoseTransformedStateProcessingFailed
)

func TestFirehoseHandlerFixtures(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		results []string
		events  []int // per record
	}{
		{
			// Firehose deaggregated: one line per record.
			fixture: "firehose-kinesis-source.json",
			results: []string{ok, ok, ok, ok, dropped, ok, ok, ok, dropped},
			events:  []int{1, 1, 1, 1, 0, 1, 1, 1, 0},
		},
		{
			// Direct PUT of aggregated records; the last one is corrupt.
			fixture: "firehose-direct-put-aggregated.json",
			results: []string{ok, ok, ok, dropped, failed},
			events:  []int{4, 2, 1, 0, 0},
		},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			var ev events.KinesisFirehoseEvent
			readFixture(t, tc.fixture, &ev)
			stats := new(Stats)
			h := &FirehoseHandler{Stats: stats}
			resp, err := h.Handle(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			resp = roundTrip(t, resp)
			if len(resp.Records) != len(ev.Records) {
				t.Fatalf("%d response records for %d", len(resp.Records), len(ev.Records))
			}
			ids := map[string]bool{}
			var total int
			for i, r := range resp.Records {
				if r.RecordID != ev.Records[i].RecordID {
					t.Fatalf("record %d: id %q, want %q", i, r.RecordID, ev.Records[i].RecordID)
				}
				if r.Result != tc.results[i] {
					t.Errorf("record %d: result %s, want %s", i, r.Result, tc.results[i])
				}
				evs := firehoseEvents(t, r.Data)
				if len(evs) != tc.events[i] {
					t.Errorf("record %d: %d events, want %d", i, len(evs), tc.events[i])
				}
				for _, e := range evs {
					if ids[e.ID] {
						t.Errorf("event.id %s twice", e.ID)
					}
					ids[e.ID] = true
					if strings.Contains(fmt.Sprint(e.Fields), badLine) != isParseFailure(e) {
						t.Errorf("record %d: malformed line not tagged, or a good one tagged: %v", i, e.Fields)
					}
				}
				total += len(evs)
			}
			if st := stats.Snapshot(); st.Events != int64(total) {
				t.Errorf("stats count %d events, response holds %d", st.Events, total)
			}
		})
	}
}

// The response stays under the limit: records that would push it over are
// ProcessingFailed (Firehose keeps their original data in its error
// prefix), and every record is still answered.
func TestFirehoseHandlerResponseLimit(t *testing.T) {
	var ev events.KinesisFirehoseEvent
	readFixture(t, "firehose-direct-put-aggregated.json", &ev)
	full, err := (&FirehoseHandler{}).Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	fullSize := len(mustMarshal(t, full))
	for _, limit := range []int{fullSize, fullSize - 1, fullSize / 2, 1200, 10} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			resp, err := (&FirehoseHandler{MaxResponseBytes: limit}).Handle(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			size := len(mustMarshal(t, resp))
			var lost int
			for i, r := range resp.Records {
				if r.RecordID != ev.Records[i].RecordID {
					t.Fatalf("record %d answered with id %q", i, r.RecordID)
				}
				if r.Result != full.Records[i].Result {
					if r.Result != failed || full.Records[i].Result != ok {
						t.Fatalf("record %d: %s, unlimited %s", i, r.Result, full.Records[i].Result)
					}
					lost++
				}
			}
			allFailed := 0
			for _, r := range full.Records {
				allFailed += len(mustMarshal(t, events.KinesisFirehoseResponseRecord{RecordID: r.RecordID, Result: failed, Data: []byte{}})) + 1
			}
			switch {
			case limit >= fullSize && (lost > 0 || size != fullSize):
				t.Fatalf("limit %d ≥ the full response (%d): %d records failed, size %d", limit, fullSize, lost, size)
			case limit < fullSize && lost == 0:
				t.Fatalf("limit %d < the full response (%d) but nothing failed", limit, fullSize)
			case size > limit && limit >= allFailed:
				t.Fatalf("response of %d bytes over the limit of %d", size, limit)
			}
		})
	}
}

func TestFirehoseHandlerCancelled(t *testing.T) {
	var ev events.KinesisFirehoseEvent
	readFixture(t, "firehose-kinesis-source.json", &ev)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (&FirehoseHandler{}).Handle(ctx, ev); err == nil {
		t.Fatal("Handle with a cancelled context: no error; Firehose should retry the invocation")
	}
}

// roundTrip sends resp through JSON as the Lambda runtime does.
func roundTrip(t *testing.T, resp events.KinesisFirehoseResponse) events.KinesisFirehoseResponse {
	t.Helper()
	var back events.KinesisFirehoseResponse
	if err := json.Unmarshal(mustMarshal(t, resp), &back); err != nil {
		t.Fatal(err)
	}
	return back
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// firehoseEvents splits newline-terminated events.
func firehoseEvents(t *testing.T, data []byte) []event {
	t.Helper()
	if len(data) == 0 {
		return nil
	}
	if !bytes.HasSuffix(data, []byte("\n")) {
		t.Fatalf("events not newline-terminated: %q", data)
	}
	var evs []event
	for _, l := range bytes.Split(data[:len(data)-1], []byte("\n")) {
		e, err := parseEvent(l)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
	return evs
}
