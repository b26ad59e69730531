package transform

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// logLine decodes the one JSON log line in buf.
func logLine(t *testing.T, buf *bytes.Buffer) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &m); err != nil {
		t.Fatalf("log %q: %v", buf, err)
	}
	return m
}

// checkFailureLog checks that a batch's log line counts its parse failures
// and quotes the latest.
func checkFailureLog(t *testing.T, m map[string]any, want int) {
	t.Helper()
	if got, _ := m["parse_failures"].(float64); int(got) != want {
		t.Errorf("parse_failures = %v, want %d (log %v)", m["parse_failures"], want, m)
	}
	last, _ := m["last_parse_failure"].(string)
	if !strings.Contains(last, "line at offset") || !strings.Contains(last, "not a load-balancer log line") {
		t.Errorf("last_parse_failure = %q, want the latest failure with its offset and reason", last)
	}
}

func TestKinesisHandlerLogsParseFailures(t *testing.T) {
	f := makeRaw(t, 2, 2, 20, mixedText)
	bad := 0
	for _, ls := range f.lines {
		for _, l := range ls {
			if strings.HasPrefix(l.Text, badLine) {
				bad++
			}
		}
	}
	if bad == 0 {
		t.Fatal("the fixture has no malformed line")
	}
	var buf bytes.Buffer
	h := &KinesisHandler{Stage: newStage(t, &memSink{}, Config{}), Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	if _, err := h.Handle(context.Background(), kinesisEvent(f.records)); err != nil {
		t.Fatal(err)
	}
	checkFailureLog(t, logLine(t, &buf), bad)
}

func TestFirehoseHandlerLogsParseFailures(t *testing.T) {
	ev := events.KinesisFirehoseEvent{Records: []events.KinesisFirehoseEventRecord{
		{RecordID: "1", Data: []byte(albLine + "\n" + badLine + "\n")},
		{RecordID: "2", Data: []byte(badLine + "\n")},
	}}
	var buf bytes.Buffer
	h := &FirehoseHandler{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	if _, err := h.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	checkFailureLog(t, logLine(t, &buf), 2)
}
