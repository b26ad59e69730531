package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elbstream/elbstream/testdata/gen"
	"github.com/elbstream/elbstream/transform/elblog"
)

// awsExamples returns the log lines of every testdata/*/aws-examples.log.
func awsExamples(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "*", "aws-examples.log"))
	if err != nil || len(files) != 4 {
		t.Fatalf("aws-examples.log files: %v %v", files, err)
	}
	var lines []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if !strings.HasPrefix(l, "#") {
				lines = append(lines, l)
			}
		}
	}
	return lines
}

func runParseCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(append([]string{"parse"}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestParseCommand(t *testing.T) {
	lines := awsExamples(t)
	input := "Enable AccessLog for ELB: app/my-loadbalancer/50dc6c495c0c9188 at 2025-05-30T16:47:00.781Z\r\n" +
		strings.Join(lines, "\r\n") + "\n\nnot a log line" // CRLF, a blank line, no final newline
	code, stdout, stderr := runParseCmd(t, input, "--field", "labels.env=prod", "--field", "cloud.account.id=123456789012", "--source", "s3://logs/x.log")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	events := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(events) != len(lines)+1 {
		t.Fatalf("%d events for %d log lines + 1 bad line:\n%s", len(events), len(lines), stdout)
	}
	ids := map[string]bool{}
	for i, ev := range events {
		var m map[string]any
		if err := json.Unmarshal([]byte(ev), &m); err != nil {
			t.Fatalf("event %d: %v: %s", i, err, ev)
		}
		labels, _ := m["labels"].(map[string]any)
		cloud, _ := m["cloud"].(map[string]any)
		event, _ := m["event"].(map[string]any)
		if labels["env"] != "prod" || cloud["account"].(map[string]any)["id"] != "123456789012" {
			t.Errorf("event %d lacks the static fields: %s", i, ev)
		}
		id, _ := event["id"].(string)
		// The id is the documented function of --source and the line number
		// (line 1 is the control line).
		want := string(elblog.AppendEventID(nil, elblog.Provenance{Source: "s3://logs/x.log", Position: int64(i + 2)}, nil))
		if i == len(events)-1 {
			want = string(elblog.AppendEventID(nil, elblog.Provenance{Source: "s3://logs/x.log", Position: int64(i + 3)}, nil))
		}
		if id != want || ids[id] {
			t.Errorf("event %d: id %q, want %q (unique)", i, id, want)
		}
		ids[id] = true
	}
	if !strings.Contains(events[len(events)-1], `"tags":["_elbparsefailure"]`) {
		t.Errorf("last event is not a failure: %s", events[len(events)-1])
	}
	for _, want := range []string{
		"elbstream parse: 18 lines: 16 events (15 parsed, 1 parse failures), 2 skipped",
		"last 1 parse failures:\n  line 18: auto: at byte 0: not a load-balancer log line",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, stderr)
		}
	}
}

func TestParseCommandClassic(t *testing.T) {
	code, stdout, stderr := runParseCmd(t, awsExamples(t)[0]+"\n", "--schema", "classic", "--format", "alb", "--field", "Environment=prod")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatal(err)
	}
	if m["LoadBalancerName"] != "app/my-loadbalancer/50dc6c495c0c9188" || m["Environment"] != "prod" || m["SourceModuleName"] != "ELB" {
		t.Errorf("classic event: %s", stdout)
	}
}

func TestParseCommandUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--schema", "nope"},
		{"--format", "elb"},
		{"--field", "novalue"},
		{"--field", "event.id=x"},
		{"file.log"},
	} {
		if code, _, stderr := runParseCmd(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, stderr)
		}
	}
	if code, stdout, _ := runParseCmd(t, "", "--help"); code != 0 || stdout != "" {
		t.Errorf("--help: exit %d", code)
	}
}

func TestParseCommandEnv(t *testing.T) {
	t.Setenv("ELBSTREAM_FIELD", "labels.a=1,labels.b=2")
	t.Setenv("ELBSTREAM_SCHEMA", "classic")
	code, stdout, stderr := runParseCmd(t, awsExamples(t)[0]+"\n")
	if code != 0 || !strings.Contains(stdout, `"labels":{"a":"1","b":"2"}`) || !strings.Contains(stdout, `"LoadBalancerName"`) {
		t.Errorf("exit %d, stdout %s, stderr %s", code, stdout, stderr)
	}
}

// TestParseLinesLong feeds lines longer than the read buffer and many
// lines through a pipe: every line comes out whole, in order.
func TestParseLinesLong(t *testing.T) {
	g := gen.New(gen.ALB, 9, gen.Options{Messy: 0.3})
	var in bytes.Buffer
	var want int
	for i := range 3000 {
		l := g.Append(nil)
		if i%1000 == 7 { // a 3 MiB user agent
			l = bytes.Replace(l, []byte(`" "`), []byte(`" "`+strings.Repeat("x", 3<<20)), 1)
		}
		in.Write(l)
		in.WriteByte('\n')
		want++
	}
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(func() error { _, err := io.Copy(pw, &in); return err }())
	}()
	var out bytes.Buffer
	var enc elblog.Encoder
	sum, err := parseLines(context.Background(), &enc, "-", pr, &out)
	if err != nil || sum.lines != int64(want) || sum.parsed != int64(want) {
		t.Fatalf("err %v, summary %+v, want %d lines parsed", err, sum, want)
	}
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 8<<20)
	n := 0
	for sc.Scan() {
		if !json.Valid(sc.Bytes()) {
			t.Fatalf("event %d is not valid JSON", n)
		}
		n++
	}
	if n != want {
		t.Fatalf("%d events, want %d", n, want)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestParseLinesErrors(t *testing.T) {
	var enc elblog.Encoder
	input := strings.Repeat(awsExamples(t)[0]+"\n", 5000) // more than the write buffer
	if _, err := parseLines(context.Background(), &enc, "-", strings.NewReader(input), failingWriter{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("write error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	if _, err := parseLines(ctx, &enc, "-", strings.NewReader(input), &out); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
