package forward

import (
	"bufio"
	"encoding/json"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	lumberlog "github.com/elastic/go-lumber/log"
	lumber "github.com/elastic/go-lumber/server/v2"
)

func init() { lumberlog.Logger = quietLogger{} }

// quietLogger silences go-lumber's per-connection logging in tests.
type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}
func (quietLogger) Println(...any)        {}
func (quietLogger) Print(...any)          {}

// ledger counts arrivals by event.id, and the events a receiver holds
// without having acknowledged them.
type ledger struct {
	mu             sync.Mutex
	seen           map[string]int
	arrivals       int
	outstanding    int
	maxOutstanding int
	changed        chan struct{} // closed and replaced on every arrival
}

func newLedger() *ledger { return &ledger{seen: map[string]int{}, changed: make(chan struct{})} }

func (l *ledger) received(ids []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		l.seen[id]++
	}
	l.arrivals += len(ids)
	l.outstanding += len(ids)
	l.maxOutstanding = max(l.maxOutstanding, l.outstanding)
	close(l.changed)
	l.changed = make(chan struct{})
}

func (l *ledger) acked(n int) {
	l.mu.Lock()
	l.outstanding -= n
	l.mu.Unlock()
}

// report returns how many of want never arrived and how many arrivals
// were duplicates.
func (l *ledger) report(want []string) (missing, dups int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range want {
		if l.seen[id] == 0 {
			missing++
		}
	}
	return missing, l.arrivals - len(l.seen)
}

// waitArrivals waits until at least n events arrived (duplicates count).
func (l *ledger) waitArrivals(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		l.mu.Lock()
		got, c := l.arrivals, l.changed
		l.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-c:
		case <-deadline:
			t.Fatalf("only %d of %d arrivals after 20s", got, n)
		}
	}
}

// idOnly is a go-lumber JSON decoder that validates an event and keeps only
// its event.id, so that a receiver holds little memory.
func idOnly(data []byte, v any) error {
	var e struct {
		Event struct {
			ID string `json:"id"`
		} `json:"event"`
	}
	if err := json.Unmarshal(data, &e); err != nil {
		return err
	}
	if e.Event.ID == "" {
		return errors.New("event without event.id")
	}
	*(v.(*any)) = e.Event.ID
	return nil
}

// beatsReceiver is go-lumber's Lumberjack v2 server, the protocol of
// Logstash's beats input as Elastic implements it.
type beatsReceiver struct {
	t      testing.TB
	addr   string
	ledger *ledger
	// hold, if set, runs before a batch is acknowledged: a slow receiver.
	hold func(n int)

	mu   sync.Mutex
	srv  *lumber.Server
	done chan struct{}
}

func startBeats(t testing.TB, hold func(n int)) *beatsReceiver {
	r := &beatsReceiver{t: t, addr: "127.0.0.1:0", ledger: newLedger(), hold: hold}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *beatsReceiver) url() string { return "beats://" + r.addr }

func (r *beatsReceiver) start() {
	r.t.Helper()
	ln := listenRetry(r.t, r.addr)
	r.addr = ln.Addr().String()
	srv, err := lumber.NewWithListener(ln, lumber.JSONDecoder(idOnly), lumber.Keepalive(0))
	if err != nil {
		r.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		var held sync.WaitGroup
		defer close(done)
		defer held.Wait()
		for b := range srv.ReceiveChan() {
			ids := make([]string, len(b.Events))
			for i, e := range b.Events {
				ids[i], _ = e.(string)
			}
			r.ledger.received(ids)
			if r.hold == nil {
				r.ledger.acked(len(ids))
				b.ACK()
				continue
			}
			// Batches of all connections are held at once, as a
			// Logstash with a busy pipeline holds them.
			held.Go(func() {
				r.hold(len(ids))
				r.ledger.acked(len(ids))
				b.ACK()
			})
		}
	}()
	r.mu.Lock()
	r.srv, r.done = srv, done
	r.mu.Unlock()
}

// stop kills the receiver: listener and connections close, batches not
// yet acknowledged are never acknowledged.
func (r *beatsReceiver) stop() { r.kill(nil) }

// kill stops the receiver like stop; release, if set, is called once the
// server is closed, to let a hold return.
func (r *beatsReceiver) kill(release func()) {
	r.mu.Lock()
	srv, done := r.srv, r.done
	r.srv = nil
	r.mu.Unlock()
	if srv == nil {
		return
	}
	srv.Close()
	if release != nil {
		release()
	}
	<-done
	r.ledger.mu.Lock()
	r.ledger.outstanding = 0
	r.ledger.mu.Unlock()
}

// tcpReceiver is a Logstash tcp input with the json_lines codec: it reads
// newline-delimited JSON events and acknowledges nothing.
type tcpReceiver struct {
	addr   string
	ledger *ledger
	ln     net.Listener
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
}

func startTCP(t testing.TB) *tcpReceiver {
	ln := listenRetry(t, "127.0.0.1:0")
	r := &tcpReceiver{addr: ln.Addr().String(), ledger: newLedger(), ln: ln}
	r.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.mu.Lock()
			r.conns = append(r.conns, c)
			r.mu.Unlock()
			r.wg.Go(func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				sc.Buffer(make([]byte, 64<<10), 1<<20)
				for sc.Scan() {
					var id any
					if err := idOnly(sc.Bytes(), &id); err != nil {
						t.Errorf("tcp receiver: %v: %q", err, sc.Bytes())
						return
					}
					r.ledger.received([]string{id.(string)})
					r.ledger.acked(1)
				}
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		r.mu.Lock()
		for _, c := range r.conns {
			c.Close()
		}
		r.mu.Unlock()
		r.wg.Wait()
	})
	return r
}

func (r *tcpReceiver) url() string { return "tcp://" + r.addr }

// listenRetry listens on addr; a restarted receiver takes its port back,
// which the kernel may not have released yet.
func listenRetry(t testing.TB, addr string) net.Listener {
	t.Helper()
	var err error
	for range 100 {
		var ln net.Listener
		if ln, err = net.Listen("tcp", addr); err == nil {
			return ln
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("listen %s: %v", addr, err)
	return nil
}

func (l *ledger) arrivalsNow() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.arrivals
}

func (l *ledger) maxOutstandingNow() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.maxOutstanding
}

func (l *ledger) seenSet() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := make(map[string]int, len(l.seen))
	for k, v := range l.seen {
		m[k] = v
	}
	return m
}
