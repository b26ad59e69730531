package forward

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/elbstream/elbstream/forward/output"
	cplocal "github.com/elbstream/elbstream/stream/checkpoint/local"
)

func get(t *testing.T, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestHealthEndpoints(t *testing.T) {
	store, err := cplocal.Open(t.TempDir() + "/cp.db")
	if err != nil {
		t.Fatal(err)
	}
	rcv := startBeats(t, nil)
	out := openOutput(t, rcv.url(), output.Config{})
	m := &Metrics{Output: out.Stats}
	data, _ := recordsOf(t, "", 3, 4)
	if n, err := newCore(out, Config{}, m, nil).deliver(context.Background(), byteRecords(data), delivery{}); err != nil || n != 3 {
		t.Fatal(n, err)
	}
	m.setBehind("shardId-000000000001", 0)
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.Collector())
	srv := httptest.NewServer((&Health{Checkpoints: store, Consumer: "forward", Ready: ReadyWhenReachable(out), Gatherer: reg}).Handler())
	defer srv.Close()

	if code, body := get(t, srv, "/healthz"); code != 200 {
		t.Errorf("/healthz %d %s", code, body)
	}
	if code, body := get(t, srv, "/readyz"); code != 200 {
		t.Errorf("/readyz %d %s", code, body)
	}
	code, body := get(t, srv, "/metrics")
	for _, want := range []string{
		"elbstream_forward_events_acked_total 12",
		"elbstream_forward_records_total 3",
		"elbstream_forward_connections 1",
		`elbstream_forward_behind_tip_seconds{shard="shardId-000000000001"} 0`,
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}

	// The receiver goes away: not ready. The store closes: not healthy.
	rcv.stop()
	if code, _ := get(t, srv, "/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the output closed: %d", code)
	}
	store.Close()
	if code, _ := get(t, srv, "/healthz"); code != http.StatusServiceUnavailable {
		t.Errorf("/healthz with the store closed: %d", code)
	}
}

func TestReadyzProbesTheReceiver(t *testing.T) {
	rcv := startBeats(t, nil)
	out := openOutput(t, rcv.url(), output.Config{})
	ready := ReadyWhenReachable(out)
	if err := ready(context.Background()); err != nil {
		t.Fatalf("receiver up: %v", err)
	}
	// An idle connection to a receiver that went away still counts as
	// open in the output's stats; the probe sees the truth.
	if err := out.Send(context.Background(), [][]byte{testEvent("", 0, 0)}); err != nil {
		t.Fatal(err)
	}
	rcv.stop()
	if out.Stats().Open() == 0 {
		t.Log("the output noticed the close by itself")
	}
	if err := ready(context.Background()); err == nil {
		t.Error("ready with the receiver down")
	}
	stdout := openOutput(t, "stdout", output.Config{})
	if err := ReadyWhenReachable(stdout)(context.Background()); err != nil {
		t.Errorf("stdout: %v", err)
	}
	srv := httptest.NewServer((&Health{Ready: func(context.Context) error { return errors.New("no") }}).Handler())
	defer srv.Close()
	if code, body := get(t, srv, "/readyz"); code != 503 || !strings.Contains(body, "no") {
		t.Errorf("%d %q", code, body)
	}
	if code, _ := get(t, srv, "/metrics"); code != 404 {
		t.Errorf("/metrics without a gatherer: %d", code)
	}
}
