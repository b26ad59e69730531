package main

import (
	"bytes"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrapeMetrics fetches and parses /metrics.
func scrapeMetrics(t *testing.T, base string) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	code, body := httpGet(t, base+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, body)
	}
	return mfs, body
}

// metricSum sums every series of a family (counter or gauge).
func metricSum(mfs map[string]*dto.MetricFamily, name string) float64 {
	mf := mfs[name]
	if mf == nil {
		return -1
	}
	var v float64
	for _, m := range mf.Metric {
		switch {
		case m.Counter != nil:
			v += m.Counter.GetValue()
		case m.Gauge != nil:
			v += m.Gauge.GetValue()
		}
	}
	return v
}

var forwardSummaryRE = regexp.MustCompile(`forward: (\d+) records \([^)]*\), (\d+) events read, (\d+) sent, (\d+) acknowledged`)

// forwardCounts returns records, read, sent, acked from the summary.
func forwardCounts(t *testing.T, stderr string) [4]int {
	t.Helper()
	m := forwardSummaryRE.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no summary in stderr:\n%s", stderr)
	}
	var out [4]int
	for i := range out {
		out[i], _ = strconv.Atoi(m[i+1])
	}
	return out
}

// awaitAcked polls /metrics until events_acked_total reaches n.
func awaitAcked(t *testing.T, base string, n int) map[string]*dto.MetricFamily {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		mfs, body := scrapeMetrics(t, base)
		if metricSum(mfs, "elbstream_forward_events_acked_total") >= float64(n) {
			return mfs
		}
		if time.Now().After(deadline) {
			t.Fatalf("events_acked_total never reached %d:\n%s", n, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestForwardMetricsConventionsAndTruth checks /metrics against the
// README's list and the Prometheus conventions, and its counts against
// the receiver and the end-of-run summary.
func TestForwardMetricsConventionsAndTruth(t *testing.T) {
	dir := t.TempDir()
	ids := writeEvents(t, dir+"/events", 2, 20, 10)
	rcv := startLumber(t, nil)
	addr := freeAddr(t)
	cmd, stderr := startBinary(t, nil, "forward", "--from", "local://"+dir+"/events", "--to", "beats://"+rcv.addr,
		"--listen", addr, "--consumer", "metrics")
	base := "http://" + addr
	awaitAcked(t, base, len(ids))
	time.Sleep(200 * time.Millisecond)
	mfs, body := scrapeMetrics(t, base)

	problems, err := promlint.New(strings.NewReader(body)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	types := map[string]dto.MetricType{}
	for _, n := range []string{"events_read_total", "events_sent_total", "events_acked_total", "events_resent_total",
		"records_total", "record_bytes_total", "send_retries_total", "malformed_total", "connections_created_total",
		"connections_destroyed_total", "dial_errors_total", "output_failures_total"} {
		types["elbstream_forward_"+n] = dto.MetricType_COUNTER
	}
	for _, n := range []string{"events_in_flight", "connections", "behind_tip_seconds"} {
		types["elbstream_forward_"+n] = dto.MetricType_GAUGE
	}
	for name, typ := range types {
		mf := mfs[name]
		if mf == nil {
			t.Errorf("%s missing from /metrics", name)
			continue
		}
		if mf.GetType() != typ {
			t.Errorf("%s is a %v, want %v", name, mf.GetType(), typ)
		}
		if mf.GetHelp() == "" {
			t.Errorf("%s has no HELP", name)
		}
	}
	if mfs["go_goroutines"] == nil || mfs["process_cpu_seconds_total"] == nil {
		t.Error("Go runtime or process metrics missing")
	}
	rcv.mu.Lock()
	unique := len(rcv.seen)
	rcv.mu.Unlock()
	for name, want := range map[string]float64{
		"elbstream_forward_records_total":      20,
		"elbstream_forward_events_read_total":  float64(len(ids)),
		"elbstream_forward_events_acked_total": float64(unique),
		"elbstream_forward_events_in_flight":   0,
		"elbstream_forward_malformed_total":    0,
	} {
		if got := metricSum(mfs, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := metricSum(mfs, "elbstream_forward_connections"); got < 1 {
		t.Errorf("connections = %v with a live receiver", got)
	}
	if mf := mfs["elbstream_forward_behind_tip_seconds"]; mf == nil || len(mf.Metric) != 2 {
		t.Errorf("behind_tip_seconds: want one series per shard (2): %v", mf)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, stderr)
	}
	s := forwardCounts(t, stderr.String())
	want := [4]int{int(metricSum(mfs, "elbstream_forward_records_total")), int(metricSum(mfs, "elbstream_forward_events_read_total")),
		int(metricSum(mfs, "elbstream_forward_events_sent_total")), int(metricSum(mfs, "elbstream_forward_events_acked_total"))}
	if s != want {
		t.Errorf("summary %v, metrics %v", s, want)
	}
}

// TestForwardCountersAfterReceiverRestart stops the receiver with a
// window unacknowledged and starts a new one on the same port: every event
// is acknowledged once in the counters, and the resends account for the
// duplicates the receivers saw.
func TestForwardCountersAfterReceiverRestart(t *testing.T) {
	dir := t.TempDir()
	ids := writeEvents(t, dir+"/events", 1, 40, 10)
	held := startHeldLumber(t, 100)
	addr := freeAddr(t)
	cmd, stderr := startBinary(t, nil, "forward", "--from", "local://"+dir+"/events", "--to", "beats://"+held.addr,
		"--listen", addr, "--consumer", "restart", "--window", "50", "--connections", "1", "--timeout", "2s")
	base := "http://" + addr
	held.await(t, cmd, stderr)
	held.stopOnce.Do(func() { held.srv.Close() }) // the connection drops with the window unacknowledged
	held.release()
	<-held.done
	second := startLumberAt(t, held.addr, nil)
	awaitAcked(t, base, len(ids))
	time.Sleep(300 * time.Millisecond)
	mfs, body := scrapeMetrics(t, base)

	seen := map[string]int{}
	arrivals := 0
	for _, r := range []*lumberReceiver{held.lumberReceiver, second} {
		r.mu.Lock()
		for id, n := range r.seen {
			seen[id] += n
		}
		arrivals += r.arrivals
		r.mu.Unlock()
	}
	for _, id := range ids {
		if seen[id] == 0 {
			t.Fatalf("%s never arrived", id)
		}
	}
	dups := arrivals - len(ids)
	t.Logf("arrivals %d, dups %d, first receiver %d", arrivals, dups, held.arrivals)
	acked := metricSum(mfs, "elbstream_forward_events_acked_total")
	if acked != float64(len(ids)) {
		t.Errorf("events_acked_total = %v, want %d (each event acknowledged once)", acked, len(ids))
	}
	resent := metricSum(mfs, "elbstream_forward_events_resent_total")
	sent := metricSum(mfs, "elbstream_forward_events_sent_total")
	if float64(dups) > resent+sent-acked {
		t.Errorf("receivers saw %d duplicates; resent_total %v, sent-acked %v:\n%s", dups, resent, sent-acked, body)
	}
	if metricSum(mfs, "elbstream_forward_output_failures_total")+metricSum(mfs, "elbstream_forward_dial_errors_total") < 1 {
		t.Errorf("a receiver restart shows in neither output_failures_total nor dial_errors_total:\n%s", body)
	}
	if metricSum(mfs, "elbstream_forward_connections_destroyed_total") < 1 {
		t.Errorf("connections_destroyed_total did not move:\n%s", body)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, stderr)
	}
	s := forwardCounts(t, stderr.String())
	if s[3] != len(ids) || s[1] != len(ids) {
		t.Errorf("summary %v: want %d read and acknowledged\n%s", s, len(ids), stderr)
	}
}

// TestReadyzDuringShutdown: after SIGTERM, while the window in
// flight drains, the process is on its way out; /readyz should say so
// (503) before the process stops, not keep answering 200.
func TestReadyzDuringShutdown(t *testing.T) {
	dir := t.TempDir()
	writeEvents(t, dir+"/events", 1, 10, 10)
	held := startHeldLumber(t, 1)
	addr := freeAddr(t)
	cmd, stderr := startBinary(t, nil, "forward", "--from", "local://"+dir+"/events", "--to", "beats://"+held.addr,
		"--listen", addr, "--consumer", "shutdown", "--shutdown-grace", "20s")
	base := "http://" + addr
	held.await(t, cmd, stderr)
	if code, body := httpGet(t, base+"/readyz"); code != 200 {
		t.Fatalf("/readyz before SIGTERM: %d %s", code, body)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(500 * time.Millisecond)
	code, body := httpGet(t, base+"/readyz")
	hcode, _ := httpGet(t, base+"/healthz")
	held.release()
	if err := cmd.Wait(); err != nil {
		t.Logf("exit: %v\n%s", err, stderr)
	}
	if code != http.StatusServiceUnavailable {
		t.Errorf("/readyz while shutting down after SIGTERM: %d %q, want 503", code, body)
	}
	t.Logf("/healthz while shutting down: %d", hcode)
}

// TestHealthzBoundedWhenStoreHangs: a DynamoDB endpoint that accepts
// connections and never answers. /healthz must answer 503 within its
// bounded time, not hang with the store.
func TestHealthzBoundedWhenStoreHangs(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				buf := make([]byte, 4096)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			}()
		}
	}()
	down := freeAddr(t) // nothing listens: the store is down
	for _, tc := range []struct{ name, endpoint string }{{"hangs", ln.Addr().String()}, {"down", down}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeEvents(t, dir+"/events", 1, 2, 2)
			rcv := startLumber(t, nil)
			addr := freeAddr(t)
			env := []string{"AWS_ENDPOINT_URL_DYNAMODB=http://" + tc.endpoint, "AWS_REGION=us-east-1",
				"AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=y", "AWS_EC2_METADATA_DISABLED=true"}
			cmd, stderr := startBinary(t, env, "forward", "--from", "local://"+dir+"/events", "--to", "beats://"+rcv.addr,
				"--checkpoints", "dynamodb://hanging-table", "--listen", addr)
			httpGet(t, "http://"+addr+"/readyz") // up
			client := &http.Client{Timeout: 15 * time.Second}
			began := time.Now()
			resp, err := client.Get("http://" + addr + "/healthz")
			took := time.Since(began)
			if err != nil {
				t.Fatalf("/healthz: %v after %v", err, took)
			}
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("/healthz with the store %s: %d %s", tc.name, resp.StatusCode, b.String())
			}
			if took > 3*time.Second {
				t.Errorf("/healthz took %v with the store %s", took, tc.name)
			}
			t.Logf("/healthz %d in %v: %s", resp.StatusCode, took, strings.TrimSpace(b.String()))
			cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				t.Logf("exit %v", err)
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Logf("did not exit within 10s of SIGTERM with the store %s:\n%s", tc.name, stderr)
			}
		})
	}
}
