package output

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elastic/go-lumber/lj"
)

// waitFor polls cond until it holds, failing the test after 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The receiver dies in the middle of a Send, with windows unacknowledged,
// and comes back on the same port: Send redials, resends what was not
// acknowledged, and every event arrives at least once.
func TestBeatsReceiverKilledMidStreamAndRestarted(t *testing.T) {
	var batches atomic.Int64
	killed := make(chan struct{})
	r := startBeats(t, nil, nil)
	r.ack = func(*lj.Batch) bool {
		if batches.Add(1) == 5 {
			close(killed) // hold this one: it dies unacknowledged
			return false
		}
		return true
	}
	var retries atomic.Int64
	o := open(t, r.url("beats"), Config{WindowSize: 200, Connections: 2, MaxBackoff: 50 * time.Millisecond,
		OnRetry: func(error, time.Duration) { retries.Add(1) }})
	evs := events(t.Name(), 5000)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		done <- o.Send(ctx, evs)
	}()

	<-killed
	r.stop()
	r.ack = nil
	waitFor(t, "a failed redial while the receiver is down", func() bool { return o.Stats().DialErrors > 0 })
	r.start()

	if err := <-done; err != nil {
		t.Fatalf("send: %v", err)
	}
	if m := r.ledger.missing(evs); m != 0 {
		t.Fatalf("%d events never arrived", m)
	}
	st := o.Stats()
	if st.ConnectionsCreated < 3 || st.EventsRetried == 0 || st.EventsAcked != uint64(len(evs)) || retries.Load() == 0 {
		t.Errorf("stats = %+v, want redials and resends", st)
	}
	t.Logf("received %d for %d events; stats %+v", r.ledger.total(), len(evs), st)
}

// Between two invocations of a warm Lambda the environment is frozen and
// the receiver (or a NAT, or a load balancer) drops the idle connection.
// The next Send must notice before writing, redial and deliver.
func TestConnectionResetWhileIdle(t *testing.T) {
	for _, tc := range []struct {
		name string
		rst  bool
	}{{"rst", true}, {"fin", false}} {
		t.Run("beats/"+tc.name, func(t *testing.T) {
			r := startBeats(t, nil, nil)
			o := open(t, r.url("beats"), Config{Connections: 1})
			send(t, o, events(t.Name()+"-1", 10))
			r.mu.Lock()
			r.ln.reset(tc.rst)
			r.mu.Unlock()
			evs := events(t.Name()+"-2", 10)
			send(t, o, evs)
			if m := r.ledger.missing(evs); m != 0 {
				t.Fatalf("%d events missing", m)
			}
			if st := o.Stats(); st.ConnectionsCreated != 2 || st.ConnectionsDestroyed != 1 {
				t.Errorf("stats = %+v, want one redial", st)
			}
		})
		// For tcp this is what stands between a reset connection and silent
		// loss: a write into a socket the peer closed with a FIN succeeds.
		t.Run("tcp/"+tc.name, func(t *testing.T) {
			r := startTCP(t, nil)
			o := open(t, r.url("tcp"), Config{Connections: 1})
			first := events(t.Name()+"-1", 10)
			send(t, o, first)
			r.ledger.waitAll(t, first)
			r.mu.Lock()
			r.ln.reset(tc.rst)
			r.mu.Unlock()
			evs := events(t.Name()+"-2", 10)
			send(t, o, evs)
			r.ledger.waitAll(t, evs)
			if st := o.Stats(); st.ConnectionsCreated != 2 || st.Failures != 0 {
				t.Errorf("stats = %+v, want a redial before writing", st)
			}
		})
	}
}

// The tcp receiver restarts between Sends: later Sends redial and deliver.
// (Events written just before a receiver dies can be lost: that is the
// tcp output's documented weakness, so this test does not kill mid-Send.)
func TestTCPReceiverRestarted(t *testing.T) {
	r := startTCP(t, nil)
	o := open(t, r.url("tcp"), Config{MaxBackoff: 50 * time.Millisecond})
	first := events(t.Name()+"-1", 100)
	send(t, o, first)
	r.ledger.waitAll(t, first)
	r.stop()

	done := make(chan error, 1)
	evs := events(t.Name()+"-2", 100)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		done <- o.Send(ctx, evs)
	}()
	waitFor(t, "a failed redial while the receiver is down", func() bool { return o.Stats().DialErrors > 0 })
	r.start()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	r.ledger.waitAll(t, evs)
}

func TestConnectFailsFastWhenNobodyListens(t *testing.T) {
	r := startTCP(t, nil)
	url := r.url("beats")
	r.stop()
	o := open(t, url, Config{})
	if err := o.Connect(t.Context()); err == nil {
		t.Fatal("Connect succeeded with no receiver")
	}
	r.start()
	if err := o.Connect(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := o.Stats(); st.Open() != 1 || st.DialErrors != 1 {
		t.Errorf("stats = %+v", st)
	}
}

// A connection idle past IdleTimeout is redialed rather than trusted.
func TestIdleConnectionIsRedialed(t *testing.T) {
	r := startTCP(t, nil)
	o := open(t, r.url("tcp"), Config{Connections: 1, IdleTimeout: 20 * time.Millisecond})
	first := events(t.Name()+"-1", 5)
	send(t, o, first)
	time.Sleep(40 * time.Millisecond) // idle past the limit
	evs := events(t.Name()+"-2", 5)
	send(t, o, evs)
	r.ledger.waitAll(t, append(first, evs...))
	if st := o.Stats(); st.ConnectionsCreated != 2 || st.ConnectionsDestroyed != 1 || st.Failures != 0 {
		t.Errorf("stats = %+v, want one quiet redial", st)
	}
}
