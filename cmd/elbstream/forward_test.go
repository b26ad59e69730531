package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	lumberlog "github.com/elastic/go-lumber/log"
	lumber "github.com/elastic/go-lumber/server/v2"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/kpl"
	"github.com/elbstream/elbstream/stream/local"
)

func init() { lumberlog.Logger = quietLogger{} }

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}
func (quietLogger) Println(...any)        {}
func (quietLogger) Print(...any)          {}

// writeEvents fills a new local stream in dir with records KPL records of
// perRec JSON events each, and returns the event ids.
func writeEvents(t *testing.T, dir string, shards, records, perRec int) []string {
	t.Helper()
	s, err := local.Open(dir, local.Options{Shards: shards})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var ids []string
	var a kpl.Aggregator
	var entries []stream.Entry
	for r := range records {
		for i := range perRec {
			id := fmt.Sprintf("%s-%d-%d", t.Name(), r, i)
			e := fmt.Appendf(nil, `{"@timestamp":"2026-03-01T12:00:00Z","event":{"id":%q},"message":"line %d of record %d"}`, id, i, r)
			if ok, err := a.Add(kpl.Record{PartitionKey: strconv.Itoa(r), Data: e, Position: -1}); err != nil || !ok {
				t.Fatal(ok, err)
			}
			ids = append(ids, id)
		}
		entries = append(entries, a.Flush())
	}
	for len(entries) > 0 {
		n := min(len(entries), 200)
		res, err := s.Put(context.Background(), entries[:n])
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if !r.OK() {
				t.Fatalf("put: %+v", r)
			}
		}
		entries = entries[n:]
	}
	return ids
}

// lumberReceiver is go-lumber's beats server counting events by event.id.
// gate, when set, is called before each batch is acknowledged.
type lumberReceiver struct {
	addr     string
	srv      *lumber.Server
	done     chan struct{}
	stopOnce sync.Once

	mu       sync.Mutex
	seen     map[string]int
	arrivals int
	gate     func(arrivals int)
}

func startLumber(t *testing.T, gate func(arrivals int)) *lumberReceiver {
	return startLumberAt(t, "127.0.0.1:0", gate)
}

// startLumberAt starts a receiver on addr: a restarted receiver takes its
// port back, which the kernel may not have released yet.
func startLumberAt(t *testing.T, addr string, gate func(arrivals int)) *lumberReceiver {
	t.Helper()
	var ln net.Listener
	var err error
	for range 100 {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	decode := func(data []byte, v any) error {
		var e struct {
			Event struct{ ID string } `json:"event"`
		}
		if err := json.Unmarshal(data, &e); err != nil {
			return err
		}
		*(v.(*any)) = e.Event.ID
		return nil
	}
	srv, err := lumber.NewWithListener(ln, lumber.JSONDecoder(decode), lumber.Keepalive(0))
	if err != nil {
		t.Fatal(err)
	}
	r := &lumberReceiver{addr: ln.Addr().String(), srv: srv, done: make(chan struct{}), seen: map[string]int{}, gate: gate}
	go func() {
		defer close(r.done)
		for b := range srv.ReceiveChan() {
			r.mu.Lock()
			for _, e := range b.Events {
				r.seen[e.(string)]++
			}
			r.arrivals += len(b.Events)
			n := r.arrivals
			r.mu.Unlock()
			if r.gate != nil {
				r.gate(n)
			}
			b.ACK()
		}
	}()
	t.Cleanup(r.stop)
	return r
}

func (r *lumberReceiver) stop() {
	r.stopOnce.Do(func() {
		r.srv.Close()
		<-r.done
	})
}

func (r *lumberReceiver) report(ids []string) (missing, dups int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		if r.seen[id] == 0 {
			missing++
		}
	}
	return missing, r.arrivals - len(r.seen)
}

// heldReceiver is a receiver that holds the window in which its n-th event
// arrives, unacknowledged, until release is called: a process can be
// stopped with events in flight.
type heldReceiver struct {
	*lumberReceiver
	reached chan struct{} // closed when the n-th event arrived
	release func()
}

func startHeldLumber(t *testing.T, n int) *heldReceiver {
	t.Helper()
	h := &heldReceiver{reached: make(chan struct{})}
	released := make(chan struct{})
	var reachOnce, releaseOnce sync.Once
	h.release = func() { releaseOnce.Do(func() { close(released) }) }
	h.lumberReceiver = startLumber(t, func(arrivals int) {
		if arrivals >= n {
			reachOnce.Do(func() { close(h.reached) })
			<-released
		}
	})
	t.Cleanup(h.release) // before the receiver stops: it waits for the held window
	return h
}

// await waits until the n-th event arrived. When it does not within 30 s,
// it kills cmd and fails the test with cmd's stderr.
func (h *heldReceiver) await(t *testing.T, cmd *exec.Cmd, stderr *bytes.Buffer) {
	t.Helper()
	select {
	case <-h.reached:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the events the receiver waits for never arrived:\n%s", stderr.String())
	}
}

func TestForwardBinaryDrain(t *testing.T) {
	bin := elbstreamBinary(t)
	dir := t.TempDir()
	ids := writeEvents(t, dir+"/events", 2, 80, 25)
	rcv := startLumber(t, nil)
	cmd := exec.Command(bin, "forward", "--from", "local://"+dir+"/events", "--to", "beats://"+rcv.addr, "--drain",
		"--checkpoints", "local://"+dir+"/cp.db")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if missing, dups := rcv.report(ids); missing != 0 || dups != 0 {
		t.Errorf("%d of %d missing, %d duplicates", missing, len(ids), dups)
	}
	if !strings.Contains(stderr.String(), fmt.Sprintf("%d acknowledged", len(ids))) {
		t.Errorf("summary does not reconcile:\n%s", stderr.String())
	}
}

// TestForwardBinaryKilledAndRestarted SIGKILLs the forwarder while the
// receiver holds a window unacknowledged, then restarts it: every event
// arrives, and only events in flight arrive twice.
func TestForwardBinaryKilledAndRestarted(t *testing.T) {
	const shards, records, perRec, window, maxRecords = 3, 120, 20, 50, 5
	bin := elbstreamBinary(t)
	dir := t.TempDir()
	ids := writeEvents(t, dir+"/events", shards, records, perRec)
	// The receiver holds a window until the forwarder is dead.
	rcv := startHeldLumber(t, len(ids)/3)
	args := []string{"forward", "--from", "local://" + dir + "/events", "--to", "beats://" + rcv.addr, "--drain",
		"--checkpoints", "local://" + dir + "/cp.db", "--connections", "1", "--window", strconv.Itoa(window),
		"--max-records", strconv.Itoa(maxRecords), "--max-in-flight", strconv.Itoa(window), "--lease-ttl", "1s"}
	first, stderr := startBinary(t, nil, args...)
	rcv.await(t, first, stderr)
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	rcv.release()

	second := exec.Command(bin, args...)
	out, err := second.CombinedOutput()
	if err != nil {
		t.Fatalf("restart: %v\n%s", err, out)
	}
	missing, dups := rcv.report(ids)
	if missing != 0 {
		t.Errorf("%d of %d events never arrived", missing, len(ids))
	}
	// The forwarder checkpoints after every acknowledged window. What was
	// sent and not checkpointed at the kill is at most the events in flight
	// (--max-in-flight), plus, per shard, a window acknowledged whose
	// checkpoint was still being written and the acknowledged head of the
	// record that window ended in. (Before per-window checkpoints the bound
	// was the batch in hand: shards × max-records × events per record.)
	if bound := window + shards*(window+perRec-1); dups > bound {
		t.Errorf("%d duplicates, more than %d (in flight, plus per shard a window being checkpointed and a partial record)", dups, bound)
	}
	t.Logf("%d events, %d duplicates after SIGKILL", len(ids), dups)
}

// TestForwardBinarySIGTERM stops the forwarder with SIGTERM: it exits 0
// with a summary, and a restart delivers the rest.
func TestForwardBinarySIGTERM(t *testing.T) {
	const shards, perRec = 2, 20
	bin := elbstreamBinary(t)
	dir := t.TempDir()
	ids := writeEvents(t, dir+"/events", shards, 100, perRec)
	reached := make(chan struct{})
	var once sync.Once
	rcv := startLumber(t, func(arrivals int) {
		if arrivals >= len(ids)/3 {
			once.Do(func() { close(reached) })
		}
	})
	args := []string{"forward", "--from", "local://" + dir + "/events", "--to", "beats://" + rcv.addr,
		"--checkpoints", "local://" + dir + "/cp.db", "--connections", "1", "--window", "40"}
	cmd, stderr := startBinary(t, nil, args...) // no --drain: runs until stopped
	<-reached
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("SIGTERM: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "acknowledged") {
		t.Errorf("no summary:\n%s", stderr.String())
	}
	out, err := exec.Command(bin, append(args, "--drain")...).CombinedOutput()
	if err != nil {
		t.Fatalf("restart: %v\n%s", err, out)
	}
	missing, dups := rcv.report(ids)
	if missing != 0 {
		t.Errorf("%d of %d events never arrived", missing, len(ids))
	}
	if dups > shards*perRec {
		t.Errorf("%d duplicates after a graceful stop, more than a record per shard", dups)
	}
}

// kinesisBatch is an event-source-mapping batch of records KPL records of
// perRec events each, as Lambda delivers it (data base64 in JSON).
func kinesisBatch(t *testing.T, prefix string, records, perRec int) (payload []byte, seqs []string, ids []string) {
	t.Helper()
	var ev events.KinesisEvent
	var a kpl.Aggregator
	for r := range records {
		for i := range perRec {
			id := fmt.Sprintf("%s-%d-%d", prefix, r, i)
			if ok, err := a.Add(kpl.Record{PartitionKey: "pk", Data: fmt.Appendf(nil, `{"event":{"id":%q}}`, id), Position: -1}); err != nil || !ok {
				t.Fatal(ok, err)
			}
			ids = append(ids, id)
		}
		seq := fmt.Sprintf("4959033827149025660855969253836157109592157598913658%04d", r)
		seqs = append(seqs, seq)
		ev.Records = append(ev.Records, events.KinesisEventRecord{
			EventID: "shardId-000000000000:" + seq, EventSource: "aws:kinesis", EventName: "aws:kinesis:record",
			Kinesis: events.KinesisRecord{Data: a.Flush().Data, SequenceNumber: seq, PartitionKey: "pk", KinesisSchemaVersion: "1.0"},
		})
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return payload, seqs, ids
}

// TestForwardLambdaBinary runs the built binary as a Lambda function
// against a local Runtime API: a batch is delivered; with the receiver
// down, the invocation answers before its deadline with the first record as
// the batch item failure; a warm invocation after the receiver is back
// redials through the same output and delivers.
func TestForwardLambdaBinary(t *testing.T) {
	rcv := startLumber(t, nil)
	rt, _ := startFunction(t, "ELBSTREAM_HANDLER=forward", "ELBSTREAM_TO=beats://"+rcv.addr,
		"ELBSTREAM_SAFETY_MARGIN=500ms", "ELBSTREAM_TIMEOUT=1s")
	invoke := func(payload []byte, timeout time.Duration) events.KinesisEventResponse {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), timeout+10*time.Second)
		defer cancel()
		res, err := rt.Invoke(ctx, payload, timeout)
		if err != nil || res.Error {
			t.Fatalf("invoke: %v %s", err, res.Payload)
		}
		var resp events.KinesisEventResponse
		if err := json.Unmarshal(res.Payload, &resp); err != nil {
			t.Fatalf("response %s: %v", res.Payload, err)
		}
		return resp
	}

	payload, _, ids := kinesisBatch(t, "first", 10, 30)
	if resp := invoke(payload, 10*time.Second); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %+v", resp.BatchItemFailures)
	}
	if missing, _ := rcv.report(ids); missing != 0 {
		t.Fatalf("%d events missing", missing)
	}

	// The receiver goes down between invocations.
	rcv.stop()
	payload, seqs, ids := kinesisBatch(t, "second", 5, 30)
	resp := invoke(payload, 2*time.Second)
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != seqs[0] {
		t.Fatalf("failures %+v, want the first record %s", resp.BatchItemFailures, seqs[0])
	}

	// Lambda retries the batch from the failure on the warm function.
	rcv = startLumberAt(t, rcv.addr, nil)
	if resp := invoke(payload, 10*time.Second); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("retry failures %+v", resp.BatchItemFailures)
	}
	if missing, _ := rcv.report(ids); missing != 0 {
		t.Fatalf("%d events missing after the retry", missing)
	}
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// httpGet polls url until it answers (the server may not be up yet).
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, string(body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestForwardBinaryListen runs the forwarder with --listen and checks its
// health, readiness and metrics endpoints while it runs.
func TestForwardBinaryListen(t *testing.T) {
	dir := t.TempDir()
	ids := writeEvents(t, dir+"/events", 2, 20, 10)
	rcv := startLumber(t, nil)
	addr := freeAddr(t)
	cmd, stderr := startBinary(t, nil, "forward", "--from", "local://"+dir+"/events", "--to", "beats://"+rcv.addr,
		"--listen", addr, "--consumer", "listen")
	base := "http://" + addr
	if code, body := httpGet(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz: %d %s", code, body)
	}
	if code, body := httpGet(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz: %d %s", code, body)
	}
	// Metrics count every event once delivered.
	want := fmt.Sprintf("elbstream_forward_events_acked_total %d", len(ids))
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body := httpGet(t, base+"/metrics")
		if strings.Contains(body, want) && strings.Contains(body, "elbstream_forward_connections_created_total") && !strings.Contains(body, "elbstream_forward_connections 0") &&
			strings.Contains(body, "go_goroutines") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics never showed %q:\n%s", want, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The receiver goes away: not ready any more.
	rcv.stop()
	if code, _ := httpGet(t, base+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the receiver down: %d", code)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v\n%s", err, stderr.String())
	}
}
