package forward

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/elbstream/elbstream/forward/output"
)

// byteRecords are records for deliver from raw data.
type byteRecords [][]byte

func (r byteRecords) Len() int              { return len(r) }
func (r byteRecords) Data(i int) []byte     { return r[i] }
func (r byteRecords) Sequence(i int) string { return string(rune('a' + i%26)) }

func TestDeliverBoundsEventsInFlightAcrossShards(t *testing.T) {
	const shards, window, maxInFlight = 6, 16, 40
	// A slow receiver: each send holds its events until another send has
	// started or the senders are done, so sends overlap as much as the
	// limit lets them.
	release := make(chan struct{})
	out := &fakeSender{SendFunc: func(ctx context.Context, _ int, _ [][]byte) error {
		select {
		case <-release:
		case <-time.After(time.Millisecond):
		}
		return nil
	}}
	c := newCore(out, Config{Window: window, MaxInFlight: maxInFlight}, nil, nil)
	var wg sync.WaitGroup
	var total int
	for s := range shards {
		data, ids := recordsOf(t, fmt.Sprint("s", s, "-"), 30, 7+s)
		for _, rid := range ids {
			total += len(rid)
		}
		wg.Go(func() {
			n, err := c.deliver(context.Background(), byteRecords(data), delivery{retry: true})
			if err != nil || n != len(data) {
				t.Errorf("shard %d: delivered %d of %d records: %v", s, n, len(data), err)
			}
		})
	}
	wg.Wait()
	close(release)
	if out.maxInside > maxInFlight {
		t.Errorf("receiver held %d events at once, limit %d", out.maxInside, maxInFlight)
	}
	if got := c.metrics.Snapshot().MaxInFlight; got > maxInFlight || got < window {
		t.Errorf("MaxInFlight %d, want in [%d, %d]", got, window, maxInFlight)
	}
	if got := len(out.ackedSet()); got != total {
		t.Errorf("%d distinct events acknowledged, want %d", got, total)
	}
}

func TestDeliverRetriesFailedWindow(t *testing.T) {
	data, ids := recordsOf(t, "", 8, 9)
	out := &fakeSender{SendFunc: func(_ context.Context, call int, _ [][]byte) error {
		if call == 2 || call == 3 {
			return errors.New("broken pipe")
		}
		return nil
	}}
	c := newCore(out, Config{Window: 10, MinBackoff: time.Microsecond, MaxBackoff: time.Millisecond}, nil, nil)
	n, err := c.deliver(context.Background(), byteRecords(data), delivery{retry: true})
	if err != nil || n != len(data) {
		t.Fatalf("delivered %d of %d: %v", n, len(data), err)
	}
	got := out.ackedSet()
	for _, rid := range ids {
		for _, id := range rid {
			if got[id] != 1 {
				t.Errorf("event %s acknowledged %d times", id, got[id])
			}
		}
	}
	s := c.metrics.Snapshot()
	if s.Retries != 2 || s.EventsSent != s.EventsAcked+20 {
		t.Errorf("retries %d, sent %d, acked %d", s.Retries, s.EventsSent, s.EventsAcked)
	}
}

func TestDeliverStopsAfterWindowInHand(t *testing.T) {
	data, ids := recordsOf(t, "", 10, 6)
	stop := make(chan struct{})
	out := &fakeSender{SendFunc: func(_ context.Context, call int, _ [][]byte) error {
		if call == 2 {
			close(stop) // SIGTERM arrives while the third window is in flight
		}
		return nil
	}}
	c := newCore(out, Config{Window: 8}, nil, nil)
	var progress []int
	n, err := c.deliver(context.Background(), byteRecords(data), delivery{retry: true, stop: stop,
		progress: func(acked int) error { progress = append(progress, acked); return nil }})
	if !errors.Is(err, errStopped) {
		t.Fatalf("err %v, want errStopped", err)
	}
	if out.calls != 3 {
		t.Errorf("%d sends, want 3: the window in hand finishes, no new one starts", out.calls)
	}
	if want := firstIncomplete(ids, out.ackedSet()); n != want {
		t.Errorf("acked %d records, want %d", n, want)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i] <= progress[i-1] {
			t.Errorf("progress not increasing: %v", progress)
		}
	}
	if len(progress) == 0 || progress[len(progress)-1] != n {
		t.Errorf("progress %v, last should be %d", progress, n)
	}
}

func TestDeliverProgressErrorEndsDelivery(t *testing.T) {
	data, _ := recordsOf(t, "", 10, 6)
	out := &fakeSender{}
	c := newCore(out, Config{Window: 8}, nil, nil)
	lost := errors.New("lease lost")
	n, err := c.deliver(context.Background(), byteRecords(data), delivery{
		progress: func(acked int) error { return lost }})
	if !errors.Is(err, lost) || n != 1 {
		t.Fatalf("n %d err %v, want 1 and the progress error", n, err)
	}
}

func TestDeliverRespectsWindowBytes(t *testing.T) {
	data, _ := recordsOf(t, "", 4, 20)
	var over []int
	limit := 3 * len(testEvent("", 0, 0))
	out := &fakeSender{SendFunc: func(_ context.Context, _ int, events [][]byte) error {
		n := 0
		for _, e := range events {
			n += len(e)
		}
		if n > limit+5 { // ids differ in length by a few bytes
			over = append(over, n)
		}
		return nil
	}}
	c := newCore(out, Config{WindowBytes: limit}, nil, nil)
	if n, err := c.deliver(context.Background(), byteRecords(data), delivery{}); err != nil || n != 4 {
		t.Fatal(n, err)
	}
	if len(over) > 0 {
		t.Errorf("windows over %d bytes: %v", limit, over)
	}
	if len(out.acked) != 80 {
		t.Errorf("%d events acknowledged", len(out.acked))
	}
}

func TestDeliverCountsPartialDelivery(t *testing.T) {
	// 6 records of 5 events, one window: the output delivers the first 17
	// events and then fails. Records 0..2 (events 0..14) are complete.
	data, ids := recordsOf(t, "", 6, 5)
	out := &fakeSender{SendFunc: func(_ context.Context, call int, events [][]byte) error {
		if call == 0 {
			return &output.SendError{Delivered: 17, Total: len(events), Err: context.DeadlineExceeded}
		}
		return nil
	}}
	c := newCore(out, Config{Window: 100}, nil, nil)
	n, err := c.deliver(context.Background(), byteRecords(data), delivery{})
	if err == nil || n != 3 {
		t.Fatalf("n %d err %v, want 3 records and an error", n, err)
	}
	// With retry, only the 13 undelivered events are sent again.
	out = &fakeSender{SendFunc: func(_ context.Context, call int, events [][]byte) error {
		if call == 0 {
			return &output.SendError{Delivered: 17, Total: len(events), Err: errors.New("tls: bad certificate")}
		}
		if len(events) != 13 {
			return fmt.Errorf("resent %d events, want 13", len(events))
		}
		return nil
	}}
	c = newCore(out, Config{Window: 100, MinBackoff: time.Microsecond}, nil, nil)
	if n, err := c.deliver(context.Background(), byteRecords(data), delivery{retry: true}); err != nil || n != 6 {
		t.Fatalf("n %d err %v", n, err)
	}
	if len(out.acked) != 13 || out.acked[0] != ids[3][2] {
		t.Errorf("acknowledged %v", out.acked)
	}
}

func TestDeliverDropsEventTheOutputRefuses(t *testing.T) {
	good := testEvent("", 0, 0)
	data := [][]byte{aggregate(t, good), aggregate(t, []byte("not json"), testEvent("", 1, 1)), aggregate(t, testEvent("", 2, 2))}
	out := &fakeSender{SendFunc: func(_ context.Context, _ int, events [][]byte) error {
		for i, e := range events {
			if e[0] != '{' {
				return &output.SendError{Total: len(events), Err: &output.InvalidEventError{Index: i, Reason: "not a JSON object"}}
			}
		}
		return nil
	}}
	c := newCore(out, Config{}, nil, nil)
	n, err := c.deliver(context.Background(), byteRecords(data), delivery{})
	if err != nil || n != 3 {
		t.Fatalf("n %d err %v", n, err)
	}
	if got := out.ackedSet(); len(got) != 3 || got["r1-e1"] != 1 {
		t.Errorf("acknowledged %v", got)
	}
	if s := c.metrics.Snapshot(); s.Malformed != 1 {
		t.Errorf("malformed %d, want 1", s.Malformed)
	}
}
