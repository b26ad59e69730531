package output

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/elastic/go-lumber/lj"
	lumberlog "github.com/elastic/go-lumber/log"
	lumber "github.com/elastic/go-lumber/server/v2"
)

func init() { lumberlog.Logger = quietLogger{} }

// quietLogger silences go-lumber's per-connection logging in tests.
type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}
func (quietLogger) Println(...any)        {}
func (quietLogger) Print(...any)          {}

// events returns n distinct ~500-byte JSON events with ids prefix-0 … prefix-(n-1).
func events(prefix string, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, `{"@timestamp":"2024-05-01T12:00:00.000Z","event":{"id":"%s-%d"},"message":"GET https://example.com:443/path?q=%d HTTP/1.1","source":{"ip":"203.0.113.7","port":51234},"http":{"request":{"method":"GET"},"response":{"status_code":200}},"user_agent":{"original":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"},"aws":{"elb":{"name":"app/my-loadbalancer/50dc6c495c0c9188","target_port":["10.0.0.1:80"]}},"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}`, prefix, i, i)
	}
	return out
}

// ledger counts arrivals by event.id.
type ledger struct {
	mu   sync.Mutex
	seen map[string]int
	cond chan struct{} // closed and replaced on every arrival
}

func newLedger() *ledger { return &ledger{seen: map[string]int{}, cond: make(chan struct{})} }

func (l *ledger) add(id string) {
	l.mu.Lock()
	l.seen[id]++
	close(l.cond)
	l.cond = make(chan struct{})
	l.mu.Unlock()
}

// missing returns how many of the events have not arrived.
func (l *ledger) missing(evs [][]byte) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range evs {
		if l.seen[eventID(e)] == 0 {
			n++
		}
	}
	return n
}

func (l *ledger) total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.seen {
		n += c
	}
	return n
}

// waitAll waits until every event arrived, or fails the test after 10s.
func (l *ledger) waitAll(t *testing.T, evs [][]byte) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		l.mu.Lock()
		c := l.cond
		l.mu.Unlock()
		if l.missing(evs) == 0 {
			return
		}
		select {
		case <-c:
		case <-deadline:
			t.Fatalf("%d of %d events never arrived", l.missing(evs), len(evs))
		}
	}
}

func eventID(e []byte) string {
	var v struct {
		Event struct{ ID string } `json:"event"`
	}
	if err := json.Unmarshal(e, &v); err != nil {
		return ""
	}
	return v.Event.ID
}

func idOf(ev any) string {
	m, _ := ev.(map[string]any)
	inner, _ := m["event"].(map[string]any)
	id, _ := inner["id"].(string)
	return id
}

// trackingListener remembers accepted connections so a test can reset
// them, as a peer or a frozen Lambda's network would.
type trackingListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

// reset closes every accepted connection; with rst, with SO_LINGER 0 so
// the peer gets a TCP RST instead of a FIN.
func (l *trackingListener) reset(rst bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		if tc, ok := c.(*net.TCPConn); ok && rst {
			tc.SetLinger(0)
		}
		c.Close()
	}
	l.conns = nil
}

func listen(t *testing.T, addr string) *trackingListener {
	t.Helper()
	var ln net.Listener
	var err error
	// A restarted receiver takes its port back; retry briefly in case the
	// kernel has not released it yet.
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", addr); err == nil {
			return &trackingListener{Listener: ln}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("listen %s: %v", addr, err)
	return nil
}

// beatsReceiver is go-lumber's Lumberjack v2 server, the beats protocol as
// Elastic implements it, counting events by event.id.
type beatsReceiver struct {
	t      *testing.T
	addr   string
	tls    *tls.Config
	opts   []lumber.Option
	ledger *ledger

	// ack decides whether a batch is acknowledged; nil acknowledges all.
	// Batches it refuses are held unacknowledged until the server stops.
	ack func(b *lj.Batch) bool

	mu   sync.Mutex
	srv  *lumber.Server
	ln   *trackingListener
	done chan struct{}
}

func startBeats(t *testing.T, tlsCfg *tls.Config, ack func(*lj.Batch) bool, opts ...lumber.Option) *beatsReceiver {
	r := &beatsReceiver{t: t, addr: "127.0.0.1:0", tls: tlsCfg, opts: opts, ack: ack, ledger: newLedger()}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *beatsReceiver) start() {
	r.t.Helper()
	ln := listen(r.t, r.addr)
	r.addr = ln.Addr().String()
	var l net.Listener = ln
	if r.tls != nil {
		l = tls.NewListener(ln, r.tls)
	}
	srv, err := lumber.NewWithListener(l, r.opts...)
	if err != nil {
		r.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range srv.ReceiveChan() {
			for _, ev := range b.Events {
				r.ledger.add(idOf(ev))
			}
			if r.ack == nil || r.ack(b) {
				b.ACK()
			}
		}
	}()
	r.mu.Lock()
	r.srv, r.ln, r.done = srv, ln, done
	r.mu.Unlock()
}

// stop kills the receiver: the listener and every connection close.
func (r *beatsReceiver) stop() {
	r.mu.Lock()
	srv, done := r.srv, r.done
	r.srv = nil
	r.mu.Unlock()
	if srv != nil {
		srv.Close()
		<-done
	}
}

func (r *beatsReceiver) url(scheme string) string { return scheme + "://" + r.addr }

// tcpReceiver is a json_lines listener like Logstash's tcp input: it reads
// lines and never writes.
type tcpReceiver struct {
	t      *testing.T
	addr   string
	tls    *tls.Config
	ledger *ledger

	mu sync.Mutex
	ln *trackingListener
	wg sync.WaitGroup
}

func startTCP(t *testing.T, tlsCfg *tls.Config) *tcpReceiver {
	r := &tcpReceiver{t: t, addr: "127.0.0.1:0", tls: tlsCfg, ledger: newLedger()}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *tcpReceiver) start() {
	r.t.Helper()
	ln := listen(r.t, r.addr)
	r.addr = ln.Addr().String()
	r.mu.Lock()
	r.ln = ln
	r.mu.Unlock()
	r.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if r.tls != nil {
				c = tls.Server(c, r.tls)
			}
			r.wg.Go(func() { r.serve(c) })
		}
	})
}

func (r *tcpReceiver) serve(c net.Conn) {
	defer c.Close()
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		r.ledger.add(eventID(sc.Bytes()))
	}
	io.Copy(io.Discard, c)
}

func (r *tcpReceiver) stop() {
	r.mu.Lock()
	ln := r.ln
	r.ln = nil
	r.mu.Unlock()
	if ln != nil {
		ln.Close()
		ln.reset(false)
		r.wg.Wait()
	}
}

func (r *tcpReceiver) url(scheme string) string { return scheme + "://" + r.addr }
