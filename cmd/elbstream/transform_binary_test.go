package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/elbstream/elbstream/internal/lambdart"
)

func invokeTransformFunction(t *testing.T, rt *lambdart.Server, fixture string, resp any) {
	t.Helper()
	payload, err := os.ReadFile(filepath.Join("..", "..", "testdata", "events", fixture))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := rt.Invoke(ctx, payload, 30*time.Second)
	if err != nil || res.Error {
		t.Fatalf("invoke: %v %s", err, res.Payload)
	}
	if err := json.Unmarshal(res.Payload, resp); err != nil {
		t.Fatalf("response %s: %v", res.Payload, err)
	}
}

// The built binary as the Kinesis event-source-mapping handler puts the
// fixture batch's events on the events stream and reports no failure.
func TestTransformLambdaBinary(t *testing.T) {
	dir := t.TempDir()
	rt, stop := startFunction(t, "ELBSTREAM_HANDLER=transform", "ELBSTREAM_TO=local://"+dir+"/events")
	var resp events.KinesisEventResponse
	invokeTransformFunction(t, rt, "kinesis-raw-records.json", &resp)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("batch item failures %+v", resp.BatchItemFailures)
	}
	stop() // the embedded stream admits one process
	// The fixture holds 9 lines, 2 of them control lines.
	if evs := readTransformEvents(t, dir+"/events"); len(evs) != 7 {
		t.Fatalf("%d events, want 7", len(evs))
	}
}

// The built binary as the Firehose transformation: every record answered,
// in order, with its id; Dropped for control lines; the events parse.
func TestFirehoseLambdaBinary(t *testing.T) {
	rt, _ := startFunction(t, "ELBSTREAM_HANDLER=firehose", "ELBSTREAM_SCHEMA=classic")
	var resp events.KinesisFirehoseResponse
	invokeTransformFunction(t, rt, "firehose-kinesis-source.json", &resp)
	want := []string{"Ok", "Ok", "Ok", "Ok", "Dropped", "Ok", "Ok", "Ok", "Dropped"}
	if len(resp.Records) != len(want) {
		t.Fatalf("%d records answered, want %d", len(resp.Records), len(want))
	}
	for i, r := range resp.Records {
		if r.Result != want[i] {
			t.Errorf("record %d (%s): %s, want %s", i, r.RecordID, r.Result, want[i])
		}
		if r.Result != "Ok" {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal(bytes.TrimSuffix(r.Data, []byte("\n")), &ev); err != nil {
			t.Fatalf("record %d: %v: %q", i, err, r.Data)
		}
		if _, classic := ev["EventReceivedTime"]; !classic && ev["tags"] == nil {
			t.Errorf("record %d: not a classic-schema event: %v", i, ev)
		}
	}
}

// SIGTERM stops `elbstream transform` cleanly: exit 0 after the batches in
// hand are put and checkpointed, so a drain afterwards completes the job
// with every line exactly once.
func TestTransformBinarySIGTERM(t *testing.T) {
	bin := elbstreamBinary(t)
	dir := t.TempDir()
	lines := putTransformRaw(t, filepath.Join(dir, "raw"), 40, 200)
	args := []string{"transform", "--from", "local://" + dir + "/raw", "--to", "local://" + dir + "/events"}
	cmd, stderr := startBinary(t, nil, args...) // no --drain: runs until stopped
	time.Sleep(200 * time.Millisecond)          // wherever it is, the stop must be clean
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "transform: ") {
		t.Errorf("no summary after SIGTERM: %q", stderr.String())
	}
	out, err := exec.Command(bin, append(args, "--drain")...).CombinedOutput()
	if err != nil {
		t.Fatalf("drain: %v\n%s", err, out)
	}
	evs := readTransformEvents(t, filepath.Join(dir, "events"))
	ids := map[string]bool{}
	for _, ev := range evs {
		e, _ := ev["event"].(map[string]any)
		id, _ := e["id"].(string)
		if id == "" || ids[id] {
			t.Fatalf("event without an id, or twice: %v", ev)
		}
		ids[id] = true
	}
	if len(ids) != lines {
		t.Fatalf("%d events, want %d (first run: %s)", len(ids), lines, stderr.String())
	}
}

// A function that cannot start (ELBSTREAM_HANDLER unset or wrong) says why
// through the runtime API's init error, as a custom runtime is to: the
// invoker gets the reason, not only the process's exit.
func TestLambdaBinaryReportsInitError(t *testing.T) {
	for _, handler := range []string{"", "bogus"} {
		t.Run("handler="+handler, func(t *testing.T) {
			rt, _ := startFunction(t, "ELBSTREAM_HANDLER="+handler)
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			res, err := rt.Invoke(ctx, []byte(`{}`), 5*time.Second)
			if err == nil || !strings.Contains(err.Error(), "failed to initialise") {
				t.Fatalf("invoke: %v (payload %q); want the init error reported", err, res.Payload)
			}
			if !strings.Contains(string(res.Payload), `ELBSTREAM_HANDLER=\"`+handler+`\"`) {
				t.Errorf("init error %s does not name ELBSTREAM_HANDLER", res.Payload)
			}
		})
	}
}
