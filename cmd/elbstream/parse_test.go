package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/elbstream/elbstream/ingest"
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
		{"--source", "x", "file.log"}, // files are identified as elbstream run identifies them
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

// TestParseSourceFromEnvNamesStdinOnly: ELBSTREAM_SOURCE, set for a
// shell's every parse, names stdin when stdin is read and is no error with
// FILEs, whose events keep the ids of their path, size and mtime.
func TestParseSourceFromEnvNamesStdinOnly(t *testing.T) {
	line := awsExamples(t)[0] + "\n"
	file := filepath.Join(t.TempDir(), "a.log")
	if err := os.WriteFile(file, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	_, fromFile, _ := runParseCmd(t, "", file)
	_, fromStdin, _ := runParseCmd(t, line, "--source", "s3://b/k.log")
	t.Setenv("ELBSTREAM_SOURCE", "s3://b/k.log")
	if code, stdout, stderr := runParseCmd(t, "", file); code != 0 || stdout != fromFile {
		t.Errorf("FILE with ELBSTREAM_SOURCE set: exit %d, events\n%s\nwant\n%s\nstderr: %s", code, stdout, fromFile, stderr)
	}
	if code, stdout, stderr := runParseCmd(t, line); code != 0 || stdout != fromStdin {
		t.Errorf("stdin with ELBSTREAM_SOURCE set: exit %d, events\n%s\nwant\n%s\nstderr: %s", code, stdout, fromStdin, stderr)
	}
	if fromFile == fromStdin {
		t.Fatal("the file's events and stdin's are alike: the test tells nothing")
	}
	if code, _, stderr := runParseCmd(t, "", "--source", "x", file); code != 2 {
		t.Errorf("--source on the command line with a FILE: exit %d, want 2 (%s)", code, stderr)
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
	sum, err := parseStdin(context.Background(), pr, &out)
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
	input := strings.Repeat(awsExamples(t)[0]+"\n", 5000) // more than the write buffer
	if _, err := parseStdin(context.Background(), strings.NewReader(input), failingWriter{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("write error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	if _, err := parseStdin(ctx, strings.NewReader(input), &out); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// parseStdin runs a lineParser with the default encoder on r as stdin.
func parseStdin(ctx context.Context, r io.Reader, w io.Writer) (parseSummary, error) {
	var enc elblog.Encoder
	p := lineParser{enc: &enc, w: bufio.NewWriterSize(w, parseWriteBuffer)}
	err := p.stdin(ctx, r, "-")
	if ferr := p.w.Flush(); err == nil {
		err = ferr
	}
	return p.sum, err
}

// TestParseCommandStdinGzip: gzip on stdin is recognised by content and
// gives the events of the plain text.
func TestParseCommandStdinGzip(t *testing.T) {
	plain := strings.Join(awsExamples(t), "\n") + "\n"
	code, want, stderr := runParseCmd(t, plain)
	if code != 0 {
		t.Fatalf("plain: exit %d: %s", code, stderr)
	}
	code, got, stderr := runParseCmd(t, string(gz(t, []byte(plain))))
	if code != 0 || got != want {
		t.Fatalf("gzip: exit %d, %d bytes of events, want %d: %s", code, len(got), len(want), stderr)
	}
	// A gzip stream cut short: the lines before the cut are written, and
	// the exit status says the input was not read to its end.
	// the exit status says the input was not read to its end. The line
	// the cut falls in is not written, its end being unknown.
	long := strings.Repeat(plain, 50)
	_, all, _ := runParseCmd(t, long)
	code, got, stderr = runParseCmd(t, string(gz(t, []byte(long))[:1500]))
	if code != 1 || !strings.Contains(stderr, "read stdin: after ") || !strings.Contains(stderr, "gzip: ") ||
		got == "" || !strings.HasPrefix(all, got) || !strings.HasSuffix(got, "\n") {
		t.Errorf("cut gzip: exit %d, %d bytes of events, stderr:\n%s", code, len(got), stderr)
	}
}

var parseSummaryRE = regexp.MustCompile(`elbstream parse: (?:(\d+) files? \((\d+) unreadable\): )?(\d+) lines: (\d+) events \((\d+) parsed, (\d+) parse failures\), (\d+) skipped`)

// parseCounts reads the counts of parse's summary: files, unreadable,
// lines, events, parsed, failures, skipped.
func parseCounts(t *testing.T, stderr string) (c [7]int64) {
	t.Helper()
	m := parseSummaryRE.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no summary in stderr:\n%s", stderr)
	}
	for i := range c {
		c[i], _ = strconv.ParseInt(m[i+1], 10, 64)
	}
	return c
}

// TestParseCommandFiles reads files named as arguments, gzip or plain: each
// line gets the event.id the pipeline gives it (the file's identity and the
// line's byte offset); a missing file and a broken gzip file are named, the
// others read, and the counts reconcile.
func TestParseCommandFiles(t *testing.T) {
	dir := t.TempDir()
	objs := runFixture(6)
	want := writeRunFixture(t, dir, 6)
	broken := runObject{name: "broken.log.gz", data: gen.Object(gen.ALB, 61, 200, gen.Options{}), gzip: true}
	brokenPath := filepath.Join(dir, broken.name)
	if err := os.WriteFile(brokenPath, broken.stored(t)[:2000], 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(brokenPath)
	if err != nil {
		t.Fatal(err)
	}
	src, err := ingest.FileSource(brokenPath, fi)
	if err != nil {
		t.Fatal(err)
	}
	var brokenWant runWant // every line of the whole object; the file holds a head of them
	brokenWant.add(src, broken)

	args := []string{"--format", "auto"}
	for _, o := range objs[:2] {
		args = append(args, filepath.Join(dir, o.name))
	}
	args = append(args, filepath.Join(dir, "missing.log"), brokenPath, filepath.Join(dir, objs[2].name))
	code, stdout, stderr := runParseCmd(t, "", args...)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
	}
	for _, msg := range []string{
		"elbstream parse: " + filepath.Join(dir, "missing.log") + ": open: no such file or directory",
		"elbstream parse: " + brokenPath + ": after ",
		"2 of 5 files could not be read to their end",
	} {
		if !strings.Contains(stderr, msg) {
			t.Errorf("stderr lacks %q:\n%s", msg, stderr)
		}
	}

	got := runEventIDs(t, []byte(stdout))
	fromBroken := 0
	for id, n := range got {
		if brokenWant.ids[id] && n == 1 {
			delete(got, id)
			fromBroken++
		}
	}
	if fromBroken == 0 {
		t.Error("no events from the broken file's head")
	}
	runCheckOnce(t, got, want.ids)

	c := parseCounts(t, stderr)
	files, unreadable, lines, events, parsed, failures, skipped := c[0], c[1], c[2], c[3], c[4], c[5], c[6]
	if files != 5 || unreadable != 2 || events != want.events+int64(fromBroken) || failures != want.parseFailures ||
		lines != events+skipped || events != parsed+failures || skipped != want.control+want.empty {
		t.Errorf("summary %v does not reconcile with %d events (%d from the broken file), %d failures, %d control and %d empty lines",
			c, want.events+int64(fromBroken), fromBroken, want.parseFailures, want.control, want.empty)
	}
	if !strings.Contains(stderr, objs[1].name+" line 63: auto: at byte 0: not a load-balancer log line") {
		t.Errorf("the failure is not named by file and line:\n%s", stderr)
	}
}

// TestParseBinaryMatchesRun: the built binary's parse of a few files
// writes the very events elbstream run delivers from them.
func TestParseBinaryMatchesRun(t *testing.T) {
	dir := t.TempDir()
	objs := runFixture(7)
	writeRunFixture(t, dir, 7)
	code, fromRun, stderr := runBinary(t, "--field", "labels.env=prod", dir)
	if code != 0 {
		t.Fatalf("run: exit %d:\n%s", code, stderr)
	}
	args := []string{"parse", "--field", "labels.env=prod"}
	for _, o := range objs {
		args = append(args, filepath.Join(dir, o.name))
	}
	cmd := exec.Command(elbstreamBinary(t), args...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	fromParse, err := cmd.Output()
	if err != nil {
		t.Fatalf("parse: %v:\n%s", err, errb.String())
	}
	sorted := func(b []byte) []string {
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		slices.Sort(lines)
		return lines
	}
	r, p := sorted(fromRun), sorted(fromParse)
	if len(r) < 400 || !slices.Equal(r, p) {
		t.Fatalf("run delivered %d events, parse wrote %d, not the same", len(r), len(p))
	}
}

// TestParseCommandDirAndStdin: a directory is read recursively as run reads
// it (the ELBAccessLogTestFile skipped), "-" reads stdin among the FILEs
// with --source naming it, and flags after the FILEs apply.
func TestParseCommandDirAndStdin(t *testing.T) {
	dir := t.TempDir()
	want := writeRunFixture(t, filepath.Join(dir, "nested", "deeper"), 8)
	testFile := filepath.Join(dir, ingest.ELBTestFile)
	if err := os.WriteFile(testFile, []byte("Enable AccessLog for ELB: my-clb at 2024-03-01T00:00:00.000Z\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdinLines := gen.New(gen.CLB, 81, gen.Options{}).Lines(7)
	var stdin strings.Builder
	for _, l := range stdinLines {
		stdin.Write(l)
		stdin.WriteByte('\n')
	}
	_, alone, _ := runParseCmd(t, stdin.String(), "--source", "s3://b/k.log")
	stdinIDs := runEventIDs(t, []byte(alone))
	if len(stdinIDs) != len(stdinLines) {
		t.Fatalf("stdin alone: %d ids for %d lines", len(stdinIDs), len(stdinLines))
	}

	code, stdout, stderr := runParseCmd(t, stdin.String(), dir, "-", "--source", "s3://b/k.log", "--field", "labels.env=prod")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := runEventIDs(t, []byte(stdout))
	for id := range stdinIDs {
		if got[id] != 1 {
			t.Errorf("stdin's event %s delivered %d times, want once", id, got[id])
		}
		delete(got, id)
	}
	runCheckOnce(t, got, want.ids)
	if n, m := strings.Count(stdout, `"labels":{"env":"prod"}`), strings.Count(stdout, "\n"); n != m {
		t.Errorf("--field after the FILEs: %d of %d events have the label", n, m)
	}
	if c := parseCounts(t, stderr); c[0] != 4 || c[1] != 0 {
		t.Errorf("summary counts %d files (%d unreadable), want 4 (3 under the directory, stdin) and 0:\n%s", c[0], c[1], stderr)
	}
}

// TestParseCommandUsageIsShort: a wrong command line is told in one line
// and a pointer to --help, not the whole usage; --help prints it all.
func TestParseCommandUsageIsShort(t *testing.T) {
	for _, args := range [][]string{
		{"--bogus"},
		{"--schema", "nope"},
		{"--field", "source.ip=1"},
		{"-", "-"},
		{"--source", "x", "file.log"},
	} {
		code, _, stderr := runParseCmd(t, "", args...)
		if code != 2 || strings.Contains(stderr, "Usage:") || strings.Count(stderr, "\n") != 2 ||
			!strings.HasSuffix(stderr, "Run 'elbstream parse --help' for usage.\n") {
			t.Errorf("%v: exit %d, stderr:\n%s", args, code, stderr)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"parse", "--help"}, strings.NewReader(""), &out, &errb); code != 0 || !strings.Contains(errb.String(), "Usage: elbstream parse") {
		t.Errorf("--help: exit %d, stderr:\n%s", code, errb.String())
	}
}
