package forward

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/elbstream/elbstream/forward/output"
)

// TestOldestUnackedGrowsWhileDeliveryIsStuck: a receiver that stops
// acknowledging (a blocked Logstash pipeline) leaves behind_tip_seconds at
// the lag of the last batch read, since nothing more is read; the age of
// the oldest record not acknowledged grows with the wait, as Lambda's
// IteratorAge does, and is 0 again once everything is delivered.
func TestOldestUnackedGrowsWhileDeliveryIsStuck(t *testing.T) {
	es := newEventsStream(t, 1, 5, 2)
	release := make(chan struct{})
	arrived := make(chan struct{}, 100)
	rcv := startBeats(t, func(int) {
		arrived <- struct{}{}
		<-release
	})
	out := openOutput(t, rcv.url(), output.Config{Timeout: time.Hour})
	m := &Metrics{Output: out.Stats}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- es.run(ctx, out, Config{}, "stuck", false, m) }()
	defer func() { cancel(); <-done }()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("nothing arrived")
	}
	time.Sleep(2 * time.Second)
	s := m.Snapshot()
	if len(s.OldestUnacked) != 1 {
		t.Fatalf("oldest unacknowledged ages %v, want one shard", s.OldestUnacked)
	}
	for shard, age := range s.OldestUnacked {
		if age < 2*time.Second {
			t.Errorf("shard %s: oldest unacknowledged record %v old with delivery stuck for 2s", shard, age)
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range mfs {
		if mf.GetName() == "elbstream_forward_oldest_unacked_age_seconds" {
			found = len(mf.GetMetric()) == 1 && mf.GetMetric()[0].GetGauge().GetValue() >= 2
		}
	}
	if !found {
		t.Error("elbstream_forward_oldest_unacked_age_seconds is not exported with the stuck shard's age")
	}
	close(release)
	deadline := time.Now().Add(10 * time.Second)
	for m.Snapshot().EventsAcked < 10 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	for shard, age := range m.Snapshot().OldestUnacked {
		if age != 0 {
			t.Errorf("shard %s: oldest unacknowledged %v with everything delivered, want 0", shard, age)
		}
	}
}

// TestLambdaHandlerLogsAFailedBatchAtError: the receiver is down, so
// the batch is not delivered and Lambda will retry it. The function never
// returns an error (Lambda's Errors metric stays 0), so the log line is the
// only place a failure shows; it must be at ERROR, as the transform
// handler's is for a put that failed (a plain deadline stop may stay WARN).
func TestLambdaHandlerLogsAFailedBatchAtError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: the receiver is down
	out := openOutput(t, "beats://"+addr, output.Config{Timeout: time.Second})
	var logs bytes.Buffer
	h := NewHandler(out, Config{}, nil, slog.New(slog.NewJSONHandler(&logs, nil)))
	data, _ := recordsOf(t, "", 2, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	resp, err := h.Handle(ctx, kinesisEvent(data))
	if err != nil || len(resp.BatchItemFailures) != 1 {
		t.Fatalf("%+v %v", resp, err)
	}
	line := strings.TrimSpace(logs.String())
	if !strings.Contains(line, `"level":"ERROR"`) {
		t.Errorf("failed batch logged as %s", line)
	}
}

// TestBehindTipSeriesAfterReshards: split and merge a running
// forwarder's stream several times; behind_tip_seconds keeps one series
// per open shard, not one per shard that ever existed.
func TestBehindTipSeriesAfterReshards(t *testing.T) {
	es := newEventsStream(t, 1, 4, 2)
	rcv := startBeats(t, nil)
	out := openOutput(t, rcv.url(), output.Config{})
	m := &Metrics{Output: out.Stats}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- es.run(ctx, out, Config{}, "reshard", false, m) }()
	defer func() { cancel(); <-done }()
	waitAcked := func(n int) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for m.Snapshot().EventsAcked < int64(n) {
			if time.Now().After(deadline) {
				t.Fatalf("acked %d of %d", m.Snapshot().EventsAcked, n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitAcked(len(es.ids))
	bg := context.Background()
	open := func() []string {
		shards, err := es.stream.Shards(bg)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range shards {
			if !s.Closed() {
				ids = append(ids, s.ID)
			}
		}
		return ids
	}
	for round := range 3 {
		ids := open()
		if err := es.stream.SplitShard(bg, ids[0], "170141183460469231731687303715884105728"); err != nil {
			t.Fatal(err)
		}
		es.put(t, fmt.Sprintf("split%d", round), 8)
		waitAcked(len(es.ids))
		ids = open()
		if err := es.stream.MergeShards(bg, ids[0], ids[1]); err != nil {
			t.Fatal(err)
		}
		es.put(t, fmt.Sprintf("merge%d", round), 8)
		waitAcked(len(es.ids))
	}
	time.Sleep(500 * time.Millisecond)
	series := m.Snapshot().BehindTip
	if len(series) > len(open()) {
		t.Errorf("behind_tip_seconds has %d series (%v) for %d open shards", len(series), series, len(open()))
	}
}
