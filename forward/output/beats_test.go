package output

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elastic/go-lumber/lj"
	lumber "github.com/elastic/go-lumber/server/v2"
)

func open(t *testing.T, url string, cfg Config) Output {
	t.Helper()
	o, err := Open(url, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

func send(t *testing.T, o Output, evs [][]byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := o.Send(ctx, evs); err != nil {
		t.Fatalf("send: %v", err)
	}
}

func TestBeatsDeliversEveryEventAcknowledged(t *testing.T) {
	r := startBeats(t, nil, nil)
	o := open(t, r.url("beats"), Config{WindowSize: 100, Connections: 3})
	if o.Guarantee() != Acknowledged {
		t.Errorf("guarantee = %v, want acknowledged", o.Guarantee())
	}
	evs := events(t.Name(), 1050)
	send(t, o, evs)
	// Send returned after the ACKs, so everything is already here.
	if m := r.ledger.missing(evs); m != 0 {
		t.Fatalf("%d events missing after Send returned", m)
	}
	st := o.Stats()
	if st.EventsAcked != 1050 || st.EventsSent != 1050 || st.Windows != 11 || st.EventsRetried != 0 {
		t.Errorf("stats = %+v", st)
	}
	if st.ConnectionsCreated == 0 || st.ConnectionsCreated > 3 || st.Bytes < 1050*400 {
		t.Errorf("stats = %+v", st)
	}
}

func TestBeatsEventsArriveAsSent(t *testing.T) {
	r := startBeats(t, nil, nil)
	got := make(chan any, 1)
	r.ack = func(b *lj.Batch) bool {
		got <- b.Events[0]
		return true
	}
	o := open(t, r.url("beats"), Config{})
	send(t, o, [][]byte{[]byte(`{"event":{"id":"x"},"n":1.5,"s":"é\"\\","a":[1,{"b":null}]}`)})
	ev := (<-got).(map[string]any)
	if ev["n"] != 1.5 || ev["s"] != "é\"\\" || len(ev["a"].([]any)) != 2 {
		t.Errorf("received %#v", ev)
	}
}

func TestBeatsCompressedWindows(t *testing.T) {
	r := startBeats(t, nil, nil)
	o := open(t, r.url("beats"), Config{Compression: 3, WindowSize: 64})
	evs := events(t.Name(), 500)
	send(t, o, evs)
	if m := r.ledger.missing(evs); m != 0 {
		t.Fatalf("%d events missing", m)
	}
	if st := o.Stats(); st.Bytes >= 500*400 {
		t.Errorf("compressed windows took %d bytes for 500 events of ~500 bytes", st.Bytes)
	}
}

func TestBeatsConcurrentSendsShareThePool(t *testing.T) {
	r := startBeats(t, nil, nil)
	o := open(t, r.url("beats"), Config{Connections: 2, WindowSize: 50})
	var wg sync.WaitGroup
	var all [][]byte
	for i := range 8 {
		evs := events(t.Name()+string(rune('a'+i)), 300)
		all = append(all, evs...)
		wg.Go(func() { send(t, o, evs) })
	}
	wg.Wait()
	if m := r.ledger.missing(all); m != 0 {
		t.Fatalf("%d events missing", m)
	}
	if st := o.Stats(); st.ConnectionsCreated > 2 {
		t.Errorf("pool of 2 created %d connections", st.ConnectionsCreated)
	}
}

// A receiver that never acknowledges and sends no keepalive: each ACK wait
// times out after Config.Timeout, the window is resent on a new connection,
// and Send ends with the context, saying why.
func TestBeatsNoACKTimesOut(t *testing.T) {
	r := startBeats(t, nil, func(*lj.Batch) bool { return false }, lumber.Keepalive(0))
	o := open(t, r.url("beats"), Config{Timeout: 200 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	evs := events(t.Name(), 10)
	err := o.Send(ctx, evs)
	var se *SendError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a *SendError", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !isTimeout(se.Last) || !strings.Contains(err.Error(), "await ack") {
		t.Errorf("err = %v, want the deadline and an ACK timeout", err)
	}
	if se.Delivered != 0 || se.Total != 10 || Delivered(err, 10) != 0 {
		t.Errorf("delivered %d of %d", se.Delivered, se.Total)
	}
	if st := o.Stats(); st.Failures == 0 || st.EventsAcked != 0 {
		t.Errorf("stats = %+v", st)
	}
}

// Logstash sends keepalive ACKs while its pipeline is busy: a window whose
// ACK takes longer than Timeout still succeeds while they keep coming.
func TestBeatsKeepaliveExtendsTheACKWait(t *testing.T) {
	release := make(chan struct{})
	var held sync.WaitGroup
	r := startBeats(t, nil, func(b *lj.Batch) bool {
		held.Go(func() {
			<-release
			b.ACK()
		})
		return false
	}, lumber.Keepalive(20*time.Millisecond))
	// Timeout is 50 keepalive intervals, so a loaded machine's scheduling
	// pauses do not end the wait; the hold is still 2.5 Timeouts.
	o := open(t, r.url("beats"), Config{Timeout: time.Second, OnRetry: func(err error, _ time.Duration) { t.Log(err) }})
	done := make(chan error, 1)
	go func() { done <- o.Send(context.Background(), events(t.Name(), 3)) }()
	// Hold the ACK for several Timeouts, then release it.
	select {
	case err := <-done:
		t.Fatalf("Send returned before the ACK: %v", err)
	case <-time.After(2500 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st := o.Stats(); st.Failures != 0 || st.ConnectionsCreated != 1 {
		t.Errorf("stats = %+v, want no failure on one connection", st)
	}
	held.Wait()
}

func TestSendAfterCloseFails(t *testing.T) {
	r := startBeats(t, nil, nil)
	o := open(t, r.url("beats"), Config{})
	send(t, o, events(t.Name(), 1))
	o.Close()
	if err := o.Send(context.Background(), events(t.Name(), 1)); !errors.Is(err, ErrClosed) {
		t.Errorf("err = %v, want ErrClosed", err)
	}
	if st := o.Stats(); st.Open() != 0 {
		t.Errorf("%d connections open after Close", st.Open())
	}
}

func TestCloseAbortsSendInProgress(t *testing.T) {
	r := startBeats(t, nil, func(*lj.Batch) bool { return false })
	o := open(t, r.url("beats"), Config{})
	done := make(chan error, 1)
	go func() { done <- o.Send(context.Background(), events(t.Name(), 5)) }()
	deadline := time.Now().Add(5 * time.Second)
	for r.ledger.total() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	o.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Errorf("err = %v, want ErrClosed", err)
	}
}

func TestInvalidEventIsRefusedBeforeSending(t *testing.T) {
	r := startBeats(t, nil, nil)
	o := open(t, r.url("beats"), Config{})
	evs := events(t.Name(), 3)
	evs[1] = []byte(`not json`)
	err := o.Send(context.Background(), evs)
	var ie *InvalidEventError
	if !errors.Is(err, ErrInvalidEvent) || !errors.As(err, &ie) || ie.Index != 1 {
		t.Fatalf("err = %v, want invalid event 1", err)
	}
	if st := o.Stats(); st.EventsSent != 0 || st.ConnectionsCreated != 0 {
		t.Errorf("stats = %+v, want nothing sent", st)
	}
}

// TestCancelDuringSerializationIsNotLost: a Send cancelled while go-lumber
// still serializes and compresses its window, before it sets its own write
// and read deadlines, returns; the abort used to be a past deadline that
// those deadlines replaced, and a receiver that holds the ACK but sends
// keepalives then kept the Send waiting for ever.
func TestCancelDuringSerializationIsNotLost(t *testing.T) {
	r := startBeats(t, nil, func(*lj.Batch) bool { return false }, lumber.Keepalive(50*time.Millisecond))
	o := open(t, r.url("beats"), Config{Timeout: 2 * time.Second, Compression: 9, WindowSize: 50000, Connections: 1})
	if err := o.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	evs := events(t.Name(), 50000)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.Send(ctx, evs) }()
	time.Sleep(2 * time.Millisecond) // inside the serialization, which takes far longer
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second): // a liveness bound, not a speed one: the bug waits for ever
		t.Fatal("Send did not return after its context was cancelled")
	}
}
