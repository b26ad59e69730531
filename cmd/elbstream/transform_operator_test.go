package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"regexp"
	"strconv"

	"github.com/elbstream/elbstream/stream"
	cplocal "github.com/elbstream/elbstream/stream/checkpoint/local"
	"github.com/elbstream/elbstream/stream/kpl"
	"github.com/elbstream/elbstream/stream/local"
)

// fakeKinesis is a fake Kinesis endpoint for an events stream: it
// answers DescribeStreamSummary, and PutRecords with put (a status and a
// body, marshalled as JSON). The built binary reaches it through
// AWS_ENDPOINT_URL_KINESIS.
type fakeKinesis struct {
	srv   *httptest.Server
	puts  atomic.Int64
	put   func(r *http.Request, records []any) (int, any)
	first chan struct{}
	once  sync.Once
}

func newFakeKinesis(t *testing.T, put func(r *http.Request, records []any) (int, any)) *fakeKinesis {
	k := &fakeKinesis{put: put, first: make(chan struct{})}
	k.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "Kinesis_20131202.")
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		var status int
		var resp any
		switch op {
		case "DescribeStreamSummary":
			status, resp = 200, map[string]any{"StreamDescriptionSummary": map[string]any{
				"StreamName": "elbstream-events", "StreamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/elbstream-events",
				"StreamStatus": "ACTIVE", "OpenShardCount": 1, "RetentionPeriodHours": 24,
				"StreamCreationTimestamp": 1700000000, "EnhancedMonitoring": []any{},
			}}
		case "PutRecords":
			k.puts.Add(1)
			k.once.Do(func() { close(k.first) })
			recs, _ := body["Records"].([]any)
			status, resp = k.put(r, recs)
		default:
			status, resp = 400, map[string]any{"__type": "UnknownOperationException", "message": op}
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(func() {
		k.srv.CloseClientConnections()
		k.srv.Close()
	})
	return k
}

func (k *fakeKinesis) env() []string {
	return []string{
		"AWS_ENDPOINT_URL_KINESIS=" + k.srv.URL, "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=fake", "AWS_SECRET_ACCESS_KEY=fake", "AWS_SESSION_TOKEN=",
		"AWS_PROFILE=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	}
}

// hang answers no PutRecords call: it holds the request until the client
// gives up or the server closes.
func hang(r *http.Request, _ []any) (int, any) {
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Minute):
	}
	return 500, map[string]any{"__type": "InternalFailure", "message": "gone"}
}

func transformCheckpoints(t *testing.T, path string) map[string]string {
	t.Helper()
	st, err := cplocal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cps, err := st.List(context.Background(), "transform")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, cp := range cps {
		m[cp.ShardID] = cp.Sequence
	}
	return m
}

// stopHungTransform starts the binary's transform from a local raw stream
// in a new directory to an events stream that never answers PutRecords,
// with the shutdown grace given, and sends it SIGTERM once its first put
// hangs.
func stopHungTransform(t *testing.T, grace string) (dir string, cmd *exec.Cmd, stderr *bytes.Buffer) {
	t.Helper()
	dir = t.TempDir()
	putTransformRaw(t, filepath.Join(dir, "raw"), 6, 50)
	k := newFakeKinesis(t, hang)
	cmd, stderr = startBinary(t, k.env(), "transform", "--from", "local://"+dir+"/raw", "--to", "kinesis://elbstream-events", "--shutdown-grace", grace)
	select {
	case <-k.first:
	case <-time.After(15 * time.Second):
		t.Fatal("no PutRecords call in 15s")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	return dir, cmd, stderr
}

// SIGTERM while the events stream never answers a PutRecords call: the
// batches in hand cannot be put within the shutdown grace. The process
// must not report a clean stop (exit 0) with nothing said: the README
// promises exit 0 only when everything read was delivered or accounted
// for, and the summary must say the grace ran out and what was left unput.
func TestTransformSIGTERMWithHungEventsStream(t *testing.T) {
	began := time.Now()
	dir, cmd, stderr := stopHungTransform(t, "2s")
	err := cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	if code != 1 {
		t.Errorf("exit %d (%v), want 1; stderr:\n%s", code, err, stderr.String())
	}
	if cps := transformCheckpoints(t, filepath.Join(dir, "raw", "transform-checkpoints.db")); len(cps) != 0 {
		for sh, seq := range cps {
			if seq != "" && seq != "TRIM_HORIZON" {
				t.Errorf("checkpoint %s = %s although no event was accepted", sh, seq)
			}
		}
	}
	if took := time.Since(began); took > 20*time.Second {
		t.Errorf("exited %v after the start, with a grace of 2s", took)
	}
	if s := stderr.String(); !strings.Contains(s, "the shutdown grace ran out (2s)") || !strings.Contains(s, "shardId-") {
		t.Errorf("stderr does not say the shutdown grace ran out, and for which shards")
	}
}

// `transform`, like `forward`, takes --shutdown-grace (and --lease-ttl):
// an operator whose orchestrator kills after 10 s (ECS's default
// stopTimeout is 30 s, Kubernetes' terminationGracePeriodSeconds 30 s)
// must be able to fit the 30 s grace inside it.
func TestTransformTakesShutdownGraceAndLeaseTTL(t *testing.T) {
	dir := t.TempDir()
	putTransformRaw(t, filepath.Join(dir, "raw"), 1, 3)
	for _, flag := range []string{"--shutdown-grace", "--lease-ttl", "--max-records"} {
		val := "5s"
		if flag == "--max-records" {
			val = "100"
		}
		code, stderr := transformCLI(t, "transform", "--from", "local://"+dir+"/raw", "--to", "local://"+dir+"/events", "--drain", flag, val)
		if code != 0 {
			t.Errorf("transform %s %s: exit %d: %s", flag, val, code, firstLine(stderr))
		}
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// putRawRecords puts records (data, partition key) on a new one-shard local
// stream in dir.
func putRawRecords(t *testing.T, dir string, recs ...[]byte) {
	t.Helper()
	s, err := local.Open(dir, local.Options{Shards: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i, d := range recs {
		res, err := s.Put(context.Background(), []stream.Entry{{Data: d, PartitionKey: fmt.Sprint("k", i)}})
		if err != nil || !res[0].OK() {
			t.Fatal(err, res)
		}
	}
}

const controlLine = "Enable AccessLog for ELB: my-loadbalancer at 2015-05-13T23:39:43.945958Z"

var transformSummaryRE = regexp.MustCompile(`transform: (\d+) records \([^)]*\) → (\d+) lines → (\d+) events \((\d+) parse failures, (\d+) control lines skipped\)`)

// transformCounts returns records, lines, events, parse failures and skipped
// from a transform summary.
func transformCounts(t *testing.T, stderr string) (c [5]int) {
	t.Helper()
	m := transformSummaryRE.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no summary in %q", stderr)
	}
	for i := range c {
		c[i], _ = strconv.Atoi(m[i+1])
	}
	return c
}

// Every kind of raw record an operator meets: elbstream's aggregates,
// another producer's plain records (several lines, CRLF, blank lines),
// a record that starts with the KPL magic but is broken, and a line too
// large for an events record. The summary reconciles: lines = events +
// skipped, and every event counted is on the events stream.
func TestTransformAccountsEveryRawRecordKind(t *testing.T) {
	dir := t.TempDir()
	var agg kpl.Aggregator
	for i, text := range []string{controlLine, transformTestLine, "not a log line"} {
		agg.Add(kpl.Record{PartitionKey: "a", Data: []byte(text), Source: "s3://b/k", Position: int64(i * 1000)})
	}
	plain := []byte(transformTestLine + "\r\n" + transformTestLine + "\n\n" + controlLine + "\n")
	broken := append(append([]byte{0xF3, 0x89, 0x9A, 0xC2}, "garbage garbage garbage"...), make([]byte, 16)...)
	huge := []byte(strings.Replace(transformTestLine, "curl/7.46.0", strings.Repeat("x", 300<<10), 1))
	putRawRecords(t, filepath.Join(dir, "raw"), agg.Flush().Data, plain, broken, huge)
	code, stderr := transformCLI(t, "transform", "--from", "local://"+dir+"/raw", "--to", "local://"+dir+"/events?max-record-bytes=262144", "--drain")
	t.Logf("exit %d\n%s", code, stderr)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	c := transformCounts(t, stderr)
	records, lines, evs, failures, skipped := c[0], c[1], c[2], c[3], c[4]
	if records != 4 {
		t.Errorf("%d records, want 4", records)
	}
	if lines != evs+skipped {
		t.Errorf("%d lines != %d events + %d skipped", lines, evs, skipped)
	}
	got := readTransformEvents(t, filepath.Join(dir, "events"))
	if len(got) != evs {
		t.Errorf("%d events on the stream, summary says %d", len(got), evs)
	}
	nfail := 0
	for _, ev := range got {
		if tags, _ := ev["tags"].([]any); len(tags) > 0 {
			nfail++
		}
	}
	if nfail != failures {
		t.Errorf("%d tagged events on the stream, summary says %d parse failures", nfail, failures)
	}
	if skipped != 2 {
		t.Errorf("%d control lines skipped, want 2", skipped)
	}
}

func (k *fakeKinesis) setenv(t *testing.T) {
	for _, kv := range k.env() {
		name, val, _ := strings.Cut(kv, "=")
		t.Setenv(name, val)
	}
}

// reviewAccepted collects the event ids of the records a fake events
// stream accepted.
type reviewAccepted struct {
	mu  sync.Mutex
	ids map[string]int
	seq int
}

func (a *reviewAccepted) accept(t *testing.T, rec any) map[string]any {
	m, _ := rec.(map[string]any)
	data, err := base64.StdEncoding.DecodeString(fmt.Sprint(m["Data"]))
	if err != nil {
		t.Errorf("record data: %v", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ids == nil {
		a.ids = map[string]int{}
	}
	kpl.Decode(data, func(u kpl.Record) error {
		var ev struct {
			Event struct{ ID string } `json:"event"`
		}
		json.Unmarshal(u.Data, &ev)
		a.ids[ev.Event.ID]++
		return nil
	})
	a.seq++
	return map[string]any{"SequenceNumber": fmt.Sprintf("%020d", a.seq), "ShardId": "shardId-000000000000"}
}

func (a *reviewAccepted) count() (n, dups int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, c := range a.ids {
		n++
		dups += c - 1
	}
	return n, dups
}

// The events stream refuses PutRecords for good (AccessDenied, or a KMS
// key it may not use, per entry): transform fails at once, exit 1, with an
// error that names the events stream, and checkpoints nothing.
func TestTransformEventsStreamRefusesForGood(t *testing.T) {
	for _, tc := range []struct {
		name string
		put  func(*http.Request, []any) (int, any)
	}{
		{"AccessDenied", func(*http.Request, []any) (int, any) {
			return 400, map[string]any{"__type": "AccessDeniedException", "message": "User: arn:aws:sts::1:assumed-role/x is not authorized to perform: kinesis:PutRecords"}
		}},
		{"KMSAccessDenied per entry", func(_ *http.Request, recs []any) (int, any) {
			out := []any{}
			for range recs {
				out = append(out, map[string]any{"ErrorCode": "KMSAccessDeniedException", "ErrorMessage": "The ciphertext refers to a customer master key that does not exist"})
			}
			return 200, map[string]any{"FailedRecordCount": len(recs), "Records": out}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			putTransformRaw(t, filepath.Join(dir, "raw"), 3, 10)
			k := newFakeKinesis(t, tc.put)
			k.setenv(t)
			began := time.Now()
			code, stderr := transformCLI(t, "transform", "--from", "local://"+dir+"/raw", "--to", "kinesis://elbstream-events", "--drain")
			t.Logf("exit %d after %s\n%s", code, time.Since(began).Round(time.Millisecond), stderr)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			var errLine string
			for _, l := range strings.Split(stderr, "\n") {
				if strings.HasPrefix(l, "elbstream transform: ") {
					errLine = l
				}
			}
			if !strings.Contains(errLine, "elbstream-events") {
				t.Errorf("error line %q does not name the events stream", errLine)
			}
			if time.Since(began) > 10*time.Second {
				t.Errorf("took %s: not at once", time.Since(began))
			}
			for sh, seq := range transformCheckpoints(t, filepath.Join(dir, "raw", "transform-checkpoints.db")) {
				if seq != "" && seq != "TRIM_HORIZON" {
					t.Errorf("checkpoint %s = %s although no event was accepted", sh, seq)
				}
			}
		})
	}
}

// PutRecords partial failures (throttled and internal-failure entries,
// every other entry, twice) are retried alone until accepted: drain exits
// 0, every event is on the stream exactly once, the summary counts the
// retries.
func TestTransformPartialPutFailures(t *testing.T) {
	dir := t.TempDir()
	lines := putTransformRaw(t, filepath.Join(dir, "raw"), 40, 100)
	var acc reviewAccepted
	var n atomic.Int64
	k := newFakeKinesis(t, func(_ *http.Request, recs []any) (int, any) {
		out := []any{}
		failed := 0
		for _, r := range recs {
			switch i := n.Add(1); {
			case i%2 == 0 && i < 60:
				out = append(out, map[string]any{"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded for shard"})
				failed++
			case i%3 == 0 && i < 60:
				out = append(out, map[string]any{"ErrorCode": "InternalFailure", "ErrorMessage": "Internal service failure."})
				failed++
			default:
				out = append(out, acc.accept(t, r))
			}
		}
		return 200, map[string]any{"FailedRecordCount": failed, "Records": out}
	})
	k.setenv(t)
	code, stderr := transformCLI(t, "transform", "--from", "local://"+dir+"/raw", "--to", "kinesis://elbstream-events", "--drain")
	t.Logf("exit %d\n%s", code, stderr)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	got, dups := acc.count()
	if got != lines || dups != 0 {
		t.Errorf("%d distinct events accepted (%d duplicates), want %d once each", got, dups, lines)
	}
	if !strings.Contains(stderr, "retried (") {
		t.Errorf("summary does not count the retries")
	}
}

// A raw record that starts with the KPL magic but cannot be deaggregated
// is forwarded as a failure event and listed with the latest parse
// failures. The summary's reason must be why the record failed (its
// checksum), not the parse error of the stand-in message elbstream wrote
// for it ("not a load-balancer log line … \"elbstream:\"").
func TestTransformSummaryGivesUndecodableReason(t *testing.T) {
	dir := t.TempDir()
	var agg kpl.Aggregator
	agg.Add(kpl.Record{PartitionKey: "a", Data: []byte(transformTestLine), Source: "s3://b/k", Position: 0})
	broken := agg.Flush().Data
	broken[len(broken)-1] ^= 0xff // break the MD5 trailer
	putRawRecords(t, filepath.Join(dir, "raw"), broken)
	code, stderr := transformCLI(t, "transform", "--from", "local://"+dir+"/raw", "--to", "local://"+dir+"/events", "--drain")
	t.Logf("exit %d\n%s", code, stderr)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var listed string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "transform:   kinesis:") {
			listed = l
		}
	}
	if listed == "" {
		t.Fatal("the undecodable record is not among the listed failures")
	}
	if !strings.Contains(listed, "checksum") && !strings.Contains(listed, "deaggregat") {
		t.Errorf("listed failure %q does not say why the record failed (checksum / could not be deaggregated)", listed)
	}
}

// --from and --to naming one stream is refused (exit 2), as the README
// promises, also when the stream is given by its ARN.
func TestTransformSameStreamByARN(t *testing.T) {
	k := newFakeKinesis(t, hang)
	k.setenv(t)
	dir := t.TempDir()
	const arn = "arn:aws:kinesis:us-east-1:123456789012:stream/elbstream-raw"
	for _, tc := range [][2]string{{arn, arn}, {"kinesis://" + arn, arn}} {
		code, stderr := transformCLI(t, "transform", "--from", tc[0], "--to", tc[1], "--checkpoints", "local://"+dir+"/cp.db", "--drain")
		if code != 2 || !strings.Contains(stderr, "same stream") {
			t.Errorf("--from %s --to %s: exit %d, %q; want exit 2 naming the same stream", tc[0], tc[1], code, firstLine(stderr))
		}
	}
}

// TestSecondSignalEndsTheStop: the first SIGTERM starts a graceful stop,
// which an events stream that never answers holds for the whole grace; a
// second signal ends the process at once, as an impatient Ctrl-C expects.
func TestSecondSignalEndsTheStop(t *testing.T) {
	_, cmd, stderr := stopHungTransform(t, "1m")
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	select {
	case <-exited:
		t.Fatalf("the first SIGTERM ended the process at once, with a grace of 1m: %s", stderr)
	case <-time.After(500 * time.Millisecond):
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatal("a second SIGTERM did not end the process within 5s")
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("process state %v, want ended by the second SIGTERM", cmd.ProcessState)
	}
}
