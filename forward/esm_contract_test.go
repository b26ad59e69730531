package forward

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/elbstream/elbstream/forward/output"
	"github.com/elbstream/elbstream/internal/lumbertest"
)

// A receiver that acknowledges part of a window and then stops answering
// (a Logstash whose pipeline stalls): at the deadline the handler must name
// the first record not covered by the acknowledged prefix, not an earlier
// one (which would re-drive finished records) nor a later one (a loss).
func TestESMHandlerPartialWindowAckThenStall(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	acked := map[string]bool{}
	release := make(chan struct{})
	defer close(release)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for w := 0; ; w++ {
					ids, err := lumbertest.ReadWindow(r)
					if err != nil {
						return
					}
					if w == 0 {
						mu.Lock()
						for _, id := range ids {
							acked[id] = true
						}
						mu.Unlock()
						lumbertest.WriteACK(c, len(ids))
						continue
					}
					// Second window: acknowledge 60, then stall.
					mu.Lock()
					for _, id := range ids[:60] {
						acked[id] = true
					}
					mu.Unlock()
					lumbertest.WriteACK(c, 60)
					<-release
					return
				}
			}()
		}
	}()
	data, ids := recordsOf(t, "pa-", 10, 25) // 250 events
	ev := kinesisEvent(data)
	out := openOutput(t, "beats://"+ln.Addr().String(), output.Config{Connections: 1, WindowSize: 100})
	h := NewHandler(out, Config{Window: 100, SafetyMargin: 200 * time.Millisecond}, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	resp, err := h.Handle(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	want := firstIncomplete(ids, func() map[string]int {
		m := map[string]int{}
		for id := range acked {
			m[id] = 1
		}
		return m
	}())
	mu.Unlock()
	if want != 6 {
		t.Fatalf("test setup: first incomplete record %d, want 6", want)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != ev.Records[want].Kinesis.SequenceNumber {
		t.Fatalf("failures %+v, want record %d (%s)", resp.BatchItemFailures, want, ev.Records[want].Kinesis.SequenceNumber)
	}
}

// Warm invocation after the receiver restarted between invocations (every
// connection of the pool closed by the peer): the batch is delivered in one
// invocation, with nothing written into a dead connection.
func TestESMHandlerWarmAfterReceiverRestart(t *testing.T) {
	rcv := startBeats(t, nil)
	out := openOutput(t, rcv.url(), output.Config{Connections: 2, WindowSize: 50})
	h := NewHandler(out, Config{Window: 100}, nil, nil)
	data, ids := recordsOf(t, "w1-", 20, 10)
	resp, err := h.Handle(context.Background(), kinesisEvent(data))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("first: %+v %v", resp, err)
	}
	rcv.stop()
	rcv.start()
	time.Sleep(50 * time.Millisecond) // the FINs arrive
	before := out.Stats()
	data2, ids2 := recordsOf(t, "w2-", 20, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err = h.Handle(ctx, kinesisEvent(data2))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("warm: %+v %v", resp, err)
	}
	after := out.Stats()
	if f := after.Failures - before.Failures; f != 0 {
		t.Errorf("%d sends failed on a connection the receiver had closed", f)
	}
	if r := after.EventsRetried - before.EventsRetried; r != 0 {
		t.Errorf("%d events resent", r)
	}
	seen := rcv.ledger.seenSet()
	for _, rid := range append(ids, ids2...) {
		for _, id := range rid {
			if seen[id] == 0 {
				t.Fatalf("event %s never arrived", id)
			}
		}
	}
}

// A batch of records that hold no event at all (garbage that is not an
// aggregate is one user record; here: KPL magic with a broken body), then
// good records: nothing stalls, the response is empty.
func TestESMHandlerGarbageRecords(t *testing.T) {
	data, ids := recordsOf(t, "g-", 4, 3)
	garbage := [][]byte{
		{0xF3, 0x89, 0x9A, 0xC2, 1, 2, 3}, // magic, malformed
		{0xF3, 0x89, 0x9A, 0xC2},          // magic only
		{},                                // empty
		[]byte("not json at all"),         // plain, not an object
		[]byte(`{"event":{"id":"plain-1"},"message":"plain"}`), // plain object
	}
	all := append(append([][]byte{}, garbage...), data...)
	rcv := startBeats(t, nil)
	out := openOutput(t, rcv.url(), output.Config{Connections: 1, WindowSize: 5})
	h := NewHandler(out, Config{Window: 5}, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := h.Handle(ctx, kinesisEvent(all))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp %+v err %v", resp, err)
	}
	got := rcv.ledger.seenSet()
	if got["plain-1"] != 1 {
		t.Errorf("plain JSON record not delivered once: %d", got["plain-1"])
	}
	if firstIncomplete(ids, got) != len(ids) {
		t.Errorf("good records not all delivered")
	}
}

// The batch item failure is serialized as Lambda expects it:
// {"batchItemFailures":[{"itemIdentifier":"<SequenceNumber>"}]}, and an
// empty batch or a done batch gives an empty or null list.
func TestESMResponseShape(t *testing.T) {
	data, _ := recordsOf(t, "s-", 3, 2)
	out := &fakeSender{SendFunc: func(_ context.Context, _ int, _ [][]byte) error {
		return &output.SendError{Total: 1, Err: context.DeadlineExceeded}
	}}
	h := NewHandler(out, Config{Window: 2}, nil, nil)
	ev := kinesisEvent(data)
	resp, _ := h.Handle(context.Background(), ev)
	b, _ := json.Marshal(resp)
	want := `{"batchItemFailures":[{"itemIdentifier":"` + ev.Records[0].Kinesis.SequenceNumber + `"}]}`
	if string(b) != want {
		t.Fatalf("response %s, want %s", b, want)
	}
	resp, _ = NewHandler(&fakeSender{}, Config{}, nil, nil).Handle(context.Background(), events.KinesisEvent{Records: []events.KinesisEventRecord{}})
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("empty batch: %+v", resp)
	}
}
