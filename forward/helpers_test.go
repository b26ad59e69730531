package forward

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/elbstream/elbstream/stream/kpl"
)

// eventID returns the event.id of a test event.
func eventID(t testing.TB, event []byte) string {
	t.Helper()
	var e struct {
		Event struct {
			ID string `json:"id"`
		} `json:"event"`
	}
	if err := json.Unmarshal(event, &e); err != nil {
		t.Fatalf("event %q: %v", event, err)
	}
	return e.Event.ID
}

// testEvent is one JSON event with a unique event.id and some padding.
func testEvent(prefix string, rec, i int) []byte {
	return fmt.Appendf(nil, `{"@timestamp":"2026-01-02T03:04:05Z","event":{"id":"%sr%d-e%d"},"message":"padding padding padding"}`, prefix, rec, i)
}

// aggregate packs events into one KPL aggregated record.
func aggregate(t testing.TB, events ...[]byte) []byte {
	t.Helper()
	var a kpl.Aggregator
	for _, e := range events {
		ok, err := a.Add(kpl.Record{PartitionKey: "pk", Data: e, Position: -1})
		if err != nil || !ok {
			t.Fatalf("aggregate: ok=%v err=%v", ok, err)
		}
	}
	return a.Flush().Data
}

// recordsOf returns n aggregated records of per events each, and the
// event ids of each record (prefix makes them unique across calls).
func recordsOf(t testing.TB, prefix string, n, per int) (data [][]byte, ids [][]string) {
	t.Helper()
	for r := range n {
		var evs [][]byte
		var rid []string
		for i := range per {
			e := testEvent(prefix, r, i)
			evs = append(evs, e)
			rid = append(rid, eventID(t, e))
		}
		data = append(data, aggregate(t, evs...))
		ids = append(ids, rid)
	}
	return data, ids
}

// fakeSender is a Sender built from a function, that records what it
// acknowledged and the most events it held at once.
type fakeSender struct {
	SendFunc func(ctx context.Context, call int, events [][]byte) error

	mu        sync.Mutex
	calls     int
	acked     []string // event ids, in acknowledgement order
	sizes     []int    // len(events) per call
	inside    int
	maxInside int
}

func (f *fakeSender) Send(ctx context.Context, events [][]byte) error {
	f.mu.Lock()
	call := f.calls
	f.calls++
	f.sizes = append(f.sizes, len(events))
	f.inside += len(events)
	f.maxInside = max(f.maxInside, f.inside)
	f.mu.Unlock()
	var err error
	if f.SendFunc != nil {
		err = f.SendFunc(ctx, call, events)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inside -= len(events)
	if err == nil {
		for _, e := range events {
			var v struct {
				Event struct{ ID string } `json:"event"`
			}
			if json.Unmarshal(e, &v) != nil {
				return fmt.Errorf("fake: not JSON: %q", e)
			}
			f.acked = append(f.acked, v.Event.ID)
		}
	}
	return err
}

func (f *fakeSender) ackedSet() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := map[string]int{}
	for _, id := range f.acked {
		m[id]++
	}
	return m
}

// firstIncomplete returns the index of the first record with an event that
// was never acknowledged, or len(ids).
func firstIncomplete(ids [][]string, acked map[string]int) int {
	for r, rid := range ids {
		for _, id := range rid {
			if acked[id] == 0 {
				return r
			}
		}
	}
	return len(ids)
}
