package forward

import (
	"context"
	"testing"
	"time"

	"github.com/elbstream/elbstream/forward/output"
)

// TestPoisonEventIsSkippedNotStalling: an event with a JSON object's braces
// that is not JSON passes the output's cheap check, and a beats receiver
// closes the connection on it, every time. It is found once the window
// stops making progress, skipped and counted, and everything else is
// delivered: one bad record never stalls a shard.
func TestPoisonEventIsSkippedNotStalling(t *testing.T) {
	r := startBeats(t, nil)
	data, ids := recordsOf(t, "", 6, 5)
	poison := []byte(`{"event":{"id":"bad"},}`)
	data[3] = aggregate(t, testEvent("", 3, 0), testEvent("", 3, 1), poison, testEvent("", 3, 3), testEvent("", 3, 4))
	ids[3] = append(append([]string(nil), ids[3][:2]...), ids[3][3:]...)
	out := openOutput(t, r.url(), output.Config{WindowSize: 4, Connections: 1})
	h := NewHandler(out, Config{Window: 12}, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := h.Handle(ctx, kinesisEvent(data))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp %+v err %v: the poison event stalled the batch", resp, err)
	}
	var want []string
	for _, rid := range ids {
		want = append(want, rid...)
	}
	if missing, _ := r.ledger.report(want); missing != 0 {
		t.Errorf("%d events not delivered", missing)
	}
	if s := h.Metrics().Snapshot(); s.Malformed != 1 || len(s.Failures) != 1 {
		t.Errorf("malformed %d, failures %v: want the poison event counted once", s.Malformed, s.Failures)
	}
}
