package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/elbstream/elbstream/ingest"
	"github.com/elbstream/elbstream/stream/local"
	"github.com/elbstream/elbstream/testdata/gen"
	"github.com/elbstream/elbstream/transform/elblog"
)

// runObject is one log object of a test, and what `run` must make of it.
type runObject struct {
	name string // key or file name
	data []byte // decompressed content
	gzip bool
}

const runControlLine = "Enable AccessLog for ELB: my-clb at 2024-03-01T00:00:00.000Z"

// runFixture returns the objects every `run` test reads: a gzipped ALB
// log, a plain CLB log holding a control line, an empty line and a line
// that does not parse, and a plain NLB log whose name has spaces.
func runFixture(tag uint64) []runObject {
	clb := gen.New(gen.CLB, tag*10+2, gen.Options{Messy: 0.1}).Lines(120)
	var c bytes.Buffer
	c.WriteString(runControlLine + "\n")
	for i, l := range clb {
		if i == 60 {
			c.WriteString("\nthis is not an access log line\n")
		}
		c.Write(l)
		c.WriteByte('\n')
	}
	return []runObject{
		{name: "alb.log.gz", data: gen.Object(gen.ALB, tag*10+1, 300, gen.Options{Messy: 0.1}), gzip: true},
		{name: "clb.log", data: c.Bytes()},
		{name: "nlb with spaces.log", data: gen.Object(gen.NLB, tag*10+3, 40, gen.Options{})},
	}
}

// stored returns the object as written: gzipped when it says so.
func (o runObject) stored(t *testing.T) []byte {
	if o.gzip {
		return gz(t, o.data)
	}
	return o.data
}

// runWant is what a run must deliver and count.
type runWant struct {
	ids                   map[string]bool
	lines, control, empty int64
	events, parseFailures int64
}

// want adds the event ids of o's lines read under provenance source.
func (w *runWant) add(source string, o runObject) {
	if w.ids == nil {
		w.ids = map[string]bool{}
	}
	off := int64(0)
	for _, line := range bytes.SplitAfter(o.data, []byte("\n")) {
		if len(line) == 0 {
			break
		}
		pos := off
		off += int64(len(line))
		line = bytes.TrimSuffix(line, []byte("\n"))
		w.lines++
		switch {
		case len(line) == 0:
			w.empty++
		case string(line) == runControlLine:
			w.control++
		default:
			w.events++
			if string(line) == "this is not an access log line" {
				w.parseFailures++
			}
			w.ids[string(elblog.AppendEventID(nil, elblog.Provenance{Source: source, Position: pos}, line))] = true
		}
	}
}

var runSummaryRE = regexp.MustCompile(`(?m)^run:\s+(\d+) (lines read|events delivered|control lines skipped|empty lines skipped)`)

// runCounts reads the counts of a run's summary.
func runCounts(t *testing.T, stderr string) map[string]int64 {
	t.Helper()
	got := map[string]int64{}
	for _, m := range runSummaryRE.FindAllStringSubmatch(stderr, -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		got[m[2]] = n
	}
	if len(got) != 4 {
		t.Fatalf("no summary in stderr:\n%s", stderr)
	}
	if m := regexp.MustCompile(`(\d+) of them parse failures`).FindStringSubmatch(stderr); m != nil {
		got["parse failures"], _ = strconv.ParseInt(m[1], 10, 64)
	}
	return got
}

// runCheckSummary checks that the summary counts what w says and reconciles.
func runCheckSummary(t *testing.T, stderr string, w runWant) {
	t.Helper()
	got := runCounts(t, stderr)
	want := map[string]int64{"lines read": w.lines, "events delivered": w.events, "control lines skipped": w.control,
		"empty lines skipped": w.empty, "parse failures": w.parseFailures}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("summary: %s = %d, want %d", k, got[k], v)
		}
	}
	if !strings.Contains(stderr, "run: reconciled:") {
		t.Errorf("summary does not say it reconciled:\n%s", stderr)
	}
	// It says why lines failed: the latest failures, each with its source,
	// offset and the parser's reason.
	if n := min(w.parseFailures, 5); n > 0 {
		head := fmt.Sprintf("run: last %d parse failures", n)
		why := regexp.MustCompile(`(?m)^run:   \S+, line at offset \d+: auto: at byte 0: not a load-balancer log line`)
		if !strings.Contains(stderr, head) || len(why.FindAllString(stderr, -1)) != int(n) {
			t.Errorf("summary does not list the %d latest parse failures:\n%s", n, stderr)
		}
	} else if strings.Contains(stderr, "parse failures (each") {
		t.Errorf("summary lists parse failures where there were none:\n%s", stderr)
	}
}

// runEventIDs returns the event.id of every JSON line in out, counted.
func runEventIDs(t *testing.T, out []byte) map[string]int {
	t.Helper()
	ids := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e struct {
			Event struct{ ID string } `json:"event"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Event.ID == "" {
			t.Fatalf("not an event with an id: %q (%v)", sc.Text(), err)
		}
		ids[e.Event.ID]++
	}
	return ids
}

// runCheckOnce fails unless got holds every id of want once, and no
// other.
func runCheckOnce(t *testing.T, got map[string]int, want map[string]bool) {
	t.Helper()
	missing, dups, extra := 0, 0, 0
	for id := range want {
		switch got[id] {
		case 0:
			missing++
		case 1:
		default:
			dups++
		}
	}
	for id := range got {
		if !want[id] {
			extra++
		}
	}
	if missing+dups+extra > 0 {
		t.Errorf("%d events: %d missing, %d delivered more than once, %d unexpected", len(want), missing, dups, extra)
	}
}

// runMain runs the command in-process.
func runMain(t *testing.T, args ...string) (code int, stdout []byte, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(append([]string{"run"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.Bytes(), errb.String()
}

// TestRunS3ToBeats runs the whole pipeline from an S3 server to a beats
// receiver: every line arrives once as an event with the id its object and
// offset give it, the control line and the empty line are counted, the
// ELBAccessLogTestFile object is skipped, and the summary reconciles.
func TestRunS3ToBeats(t *testing.T) {
	// The CLI finds the server as a user's would: the SDK's standard
	// variables, no flag.
	const bucket = "elb-logs"
	put := startS3(t, bucket).put
	const prefix = "AWSLogs/123456789012/elasticloadbalancing/eu-west-1/2024/03/01/"
	var want runWant
	objs := runFixture(1)
	for _, o := range objs[:2] {
		want.add(put(prefix+o.name, o.stored(t)), o)
	}
	put("AWSLogs/123456789012/ELBAccessLogTestFile", []byte(runControlLine+"\n"))
	spaced := "other/" + objs[2].name
	want.add(put(spaced, objs[2].stored(t)), objs[2])

	rcv := startLumber(t, nil)
	code, stdout, stderr := runMain(t, "--to", "beats://"+rcv.addr, "--shards", "2",
		"s3://"+bucket+"/AWSLogs/", "s3://"+bucket+"/"+spaced)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if len(stdout) != 0 {
		t.Errorf("stdout is for events of --to stdout only; got %q", stdout)
	}
	rcv.mu.Lock()
	runCheckOnce(t, rcv.seen, want.ids)
	rcv.mu.Unlock()
	runCheckSummary(t, stderr, want)
	if !strings.Contains(stderr, "elb-test-file 1") {
		t.Errorf("the ELBAccessLogTestFile object is not counted as skipped:\n%s", stderr)
	}
	if !strings.Contains(stderr, "3 objects read") {
		t.Errorf("want 3 objects read:\n%s", stderr)
	}
	t.Logf("stderr:\n%s", stderr)

	// With --data, a second run knows the objects by key and ETag — from
	// the listing, or from HeadObject for the object named alone — and
	// reads none of them again.
	data := t.TempDir()
	args := []string{"--data", data, "--to", "beats://" + rcv.addr, "s3://" + bucket + "/AWSLogs/", "s3://" + bucket + "/" + spaced}
	if code, _, stderr := runMain(t, args...); code != 0 {
		t.Fatalf("--data: exit %d; stderr:\n%s", code, stderr)
	}
	code, _, stderr = runMain(t, args...)
	if code != 0 || !strings.Contains(stderr, "already-ingested 3") {
		t.Errorf("second run with --data: exit %d; stderr:\n%s", code, stderr)
	}
	runCheckSummary(t, stderr, runWant{})
	// An object overwritten with new content is new.
	want = runWant{}
	head := runObject{data: bytes.Join(bytes.SplitAfter(objs[2].data, []byte("\n"))[:3], nil)}
	want.add(put(spaced, head.data), head)
	code, _, stderr = runMain(t, args...)
	if code != 0 || !strings.Contains(stderr, "already-ingested 2") {
		t.Errorf("after an overwrite: exit %d; stderr:\n%s", code, stderr)
	}
	runCheckSummary(t, stderr, want)
}

// writeRunFixture writes runFixture(tag) into dir and returns what a run
// of dir must deliver.
func writeRunFixture(t *testing.T, dir string, tag uint64) runWant {
	t.Helper()
	objs := runFixture(tag)
	srcs := writeRunFiles(t, dir, objs...)
	var want runWant
	for i, o := range objs {
		want.add(srcs[i], o)
	}
	return want
}

// writeRunFiles writes objs under dir and returns their provenance ids.
func writeRunFiles(t *testing.T, dir string, objs ...runObject) []string {
	t.Helper()
	var sources []string
	for _, o := range objs {
		p := filepath.Join(dir, o.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, o.stored(t), 0o644); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		src, err := ingest.FileSource(p, fi)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, src)
	}
	return sources
}

// TestRunFilesToStdout runs from a directory and a file named alone to
// stdout, with static fields: the events are all stdout holds.
func TestRunFilesToStdout(t *testing.T) {
	dir := t.TempDir()
	objs := runFixture(2)
	logs := filepath.Join(dir, "logs")
	srcs := writeRunFiles(t, logs, objs[:2]...)
	srcs = append(srcs, writeRunFiles(t, dir, objs[2])...)
	writeRunFiles(t, logs, runObject{name: ingest.ELBTestFile, data: []byte(runControlLine + "\n")})
	var want runWant
	for i, o := range objs {
		want.add(srcs[i], o)
	}

	// Flags may follow the sources, as in the synopsis.
	code, stdout, stderr := runMain(t, logs, "--field", "env=test", filepath.Join(dir, objs[2].name), "--shards", "3")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	runCheckOnce(t, runEventIDs(t, stdout), want.ids)
	runCheckSummary(t, stderr, want)
	if n := bytes.Count(stdout, []byte(`"env":"test"`)); int64(n) != want.events {
		t.Errorf("--field env=test: in %d of %d events", n, want.events)
	}
	if !strings.Contains(stderr, "on 3 shards") {
		t.Errorf("--shards 3 after the sources was not applied:\n%s", stderr)
	}
}

// TestRunDataKept checks what a kept data directory does on later runs:
// sources ingested completely are skipped, new ones are read, --reingest
// reads everything again under the same ids, and what an interrupted run
// left in the streams is delivered first.
// A data directory kept in a SOURCE directory (`run logs --data
// logs/.elbstream`) is not read as logs: its streams, checkpoints and ledger
// would be delivered as parse failures, and anew on every run since they
// change. Its samples are read, once.
func TestRunDataInsideASource(t *testing.T) {
	logs := t.TempDir()
	want := writeRunFixture(t, logs, 21)
	data := filepath.Join(logs, ".elbstream")
	code, stdout, stderr := runMain(t, logs, "--data", data, "--sample", "5")
	if code != 0 {
		t.Fatalf("first run: exit %d; stderr:\n%s", code, stderr)
	}
	got := runEventIDs(t, stdout)
	if n := len(got) - len(want.ids); n != 4*5 {
		t.Errorf("%d events besides the logs', want the 20 samples' (a data file read as logs?):\n%s", n, stderr)
	}
	for id := range want.ids {
		if got[id] != 1 {
			t.Errorf("event %s delivered %d times", id, got[id])
		}
	}
	if !strings.Contains(stderr, skipOwnData+" ") || !strings.Contains(stderr, fmt.Sprintf("(%d of them parse failures", want.parseFailures)) {
		t.Errorf("want the data directory's files skipped as %s, and only the logs' %d parse failures:\n%s", skipOwnData, want.parseFailures, stderr)
	}
	code, stdout, stderr = runMain(t, logs, "--data", data)
	if code != 0 || len(stdout) != 0 {
		t.Errorf("the same command again: exit %d, %d bytes delivered, want none:\n%s", code, len(stdout), stderr)
	}
}

func TestRunDataKept(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	logs := filepath.Join(dir, "logs")
	objs := runFixture(3)
	srcs := writeRunFiles(t, logs, objs[:2]...)
	var first runWant
	for i, o := range objs[:2] {
		first.add(srcs[i], o)
	}

	code, stdout, stderr := runMain(t, "--data", data, logs)
	if code != 0 {
		t.Fatalf("first run: exit %d; stderr:\n%s", code, stderr)
	}
	runCheckOnce(t, runEventIDs(t, stdout), first.ids)
	runCheckSummary(t, stderr, first)

	// The same command again delivers nothing: both files are known.
	code, stdout, stderr = runMain(t, "--data", data, logs)
	if code != 0 {
		t.Fatalf("second run: exit %d; stderr:\n%s", code, stderr)
	}
	if len(stdout) != 0 || !strings.Contains(stderr, "already-ingested 2") {
		t.Errorf("second run delivered %d bytes; stderr:\n%s", len(stdout), stderr)
	}
	runCheckSummary(t, stderr, runWant{})

	// A new file: only it is read.
	var third runWant
	third.add(writeRunFiles(t, logs, objs[2])[0], objs[2])
	code, stdout, stderr = runMain(t, "--data", data, logs)
	if code != 0 {
		t.Fatalf("third run: exit %d; stderr:\n%s", code, stderr)
	}
	runCheckOnce(t, runEventIDs(t, stdout), third.ids)
	runCheckSummary(t, stderr, third)

	// --reingest: everything again, under the ids it had.
	all := runWant{ids: map[string]bool{}}
	for _, w := range []runWant{first, third} {
		for id := range w.ids {
			all.ids[id] = true
		}
		all.lines += w.lines
		all.events += w.events
		all.control += w.control
		all.empty += w.empty
		all.parseFailures += w.parseFailures
	}
	code, stdout, stderr = runMain(t, "--data", data, "--reingest", logs)
	if code != 0 {
		t.Fatalf("--reingest: exit %d; stderr:\n%s", code, stderr)
	}
	runCheckOnce(t, runEventIDs(t, stdout), all.ids)
	runCheckSummary(t, stderr, all)

	// A run killed after its ingest and before delivery, simulated with
	// `elbstream ingest` into the kept raw stream: the next run delivers
	// that first and counts it apart. The file never made it into the
	// ledger, so it is read again too: each of its events arrives twice,
	// with one id.
	late := runObject{name: "late/alb2.log.gz", data: gen.Object(gen.ALB, 77, 50, gen.Options{}), gzip: true}
	var lateWant runWant
	lateWant.add(writeRunFiles(t, dir, late)[0], late)
	if code, _, stderr := runCLI(t, "ingest", "--stream", "local://"+filepath.Join(data, "raw"), filepath.Join(dir, "late")); code != 0 {
		t.Fatalf("ingest: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr = runMain(t, "--data", data, logs, filepath.Join(dir, "late"))
	if code != 0 {
		t.Fatalf("resumed run: exit %d; stderr:\n%s", code, stderr)
	}
	got := runEventIDs(t, stdout)
	for id := range lateWant.ids {
		if got[id] != 2 {
			t.Errorf("event %s delivered %d times, want 2 (resumed, then read again)", id, got[id])
		}
	}
	if len(got) != len(lateWant.ids) {
		t.Errorf("%d distinct events delivered, want %d", len(got), len(lateWant.ids))
	}
	runCheckSummary(t, stderr, lateWant)
	if want := fmt.Sprintf("resumed: delivered %d events", lateWant.events); !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
}

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{
		{},                      // no source
		{"--shards", "-1", "x"}, // bad shards
		{"--progress", "sometimes", "x"},
		{"--schema", "nope", "x"},
	} {
		if code, _, stderr := runMain(t, args...); code != 2 {
			t.Errorf("run %q: exit %d, want 2; stderr:\n%s", args, code, stderr)
		}
	}
	if code, _, stderr := runMain(t, filepath.Join(t.TempDir(), "nope")); code != 1 || !strings.Contains(stderr, "no such file") {
		t.Errorf("missing source: exit %d; stderr:\n%s", code, stderr)
	}
	// Several errors: after the summary ("run: error: …" lines), each on
	// its own line, each with the command's name.
	dir := t.TempDir()
	code, _, stderr := runMain(t, filepath.Join(dir, "nope1"), filepath.Join(dir, "nope2"))
	named := 0
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, "no such file") && !strings.HasPrefix(line, "run: error: ") {
			if !strings.HasPrefix(line, "elbstream run: ") {
				t.Errorf("error line without the command's name: %q", line)
			}
			named++
		}
	}
	if code != 1 || named != 2 {
		t.Errorf("two missing sources: exit %d, %d error lines; stderr:\n%s", code, named, stderr)
	}
}

// TestRunSourceNamedTwice: a file named twice, directly or through its
// directory, is read once and the other mentions are counted as skipped.
func TestRunSourceNamedTwice(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	objs := runFixture(9)
	srcs := writeRunFiles(t, logs, objs...)
	var want runWant
	for i, o := range objs {
		want.add(srcs[i], o)
	}
	code, stdout, stderr := runMain(t, logs, filepath.Join(logs, objs[1].name), logs+"/.")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	runCheckOnce(t, runEventIDs(t, stdout), want.ids)
	runCheckSummary(t, stderr, want)
	if !strings.Contains(stderr, "named-twice 4") {
		t.Errorf("want 4 mentions skipped as named-twice; stderr:\n%s", stderr)
	}
}

// TestRunSkipsItsOwnOutput: `run DIR --to file:DIR/events.ndjson` does not
// read the events file it writes, on the first run or the next.
func TestRunSkipsItsOwnOutput(t *testing.T) {
	dir := t.TempDir()
	objs := runFixture(10)
	srcs := writeRunFiles(t, dir, objs...)
	var want runWant
	for i, o := range objs {
		want.add(srcs[i], o)
	}
	out := filepath.Join(dir, "events.ndjson")
	for round := 1; round <= 2; round++ {
		if round == 2 {
			os.Remove(out)
			os.WriteFile(out, nil, 0o644) // present before the run this time
		}
		code, _, stderr := runMain(t, dir, "--to", "file:"+out)
		if code != 0 {
			t.Fatalf("round %d: exit %d; stderr:\n%s", round, code, stderr)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		runCheckOnce(t, runEventIDs(t, got), want.ids)
		runCheckSummary(t, stderr, want)
		if !strings.Contains(stderr, "own-output 1") {
			t.Errorf("round %d: the output file is not counted as skipped; stderr:\n%s", round, stderr)
		}
	}
}

// TestRunSample generates the samples and delivers all of them.
func TestRunSample(t *testing.T) {
	data := t.TempDir()
	code, stdout, stderr := runMain(t, "--sample", "7", "--data", data)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	want := int64(7 * len(gen.Formats))
	got := runCounts(t, stderr)
	if got["lines read"] != want || got["events delivered"] != want || len(runEventIDs(t, stdout)) != int(want) {
		t.Errorf("want %d events; stderr:\n%s", want, stderr)
	}
	if !strings.Contains(stderr, "elb-test-file 1") {
		t.Errorf("the sample ELBAccessLogTestFile is not skipped:\n%s", stderr)
	}
	// Samples are kept as they are: a second run finds nothing new.
	code, stdout, stderr = runMain(t, "--sample", "7", "--data", data)
	if code != 0 || len(stdout) != 0 || !strings.Contains(stderr, fmt.Sprintf("already-ingested %d", len(gen.Formats))) {
		t.Errorf("second sample run: exit %d, %d bytes out; stderr:\n%s", code, len(stdout), stderr)
	}
}

func TestRunParseInterspersed(t *testing.T) {
	t.Setenv("ELBSTREAM_SHARDS", "2")
	t.Setenv("ELBSTREAM_FIELD", "a=1,b=2")
	fs, f := newRunFlags(stdio{err: io.Discard})
	got, err := parseInterspersed(fs, []string{"logs/", "--to", "tcp://h:1", "s3://b/k", "--reingest", "--", "--odd name", "x"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"logs/", "s3://b/k", "--odd name", "x"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sources %q, want %q", got, want)
	}
	enc, err := f.enc.encoder()
	if err != nil {
		t.Fatal(err)
	}
	if f.to != "tcp://h:1" || !f.reingest || f.shards != 2 || len(enc.Fields) != 2 {
		t.Errorf("flags: to %q reingest %v shards %d fields %v", f.to, f.reingest, f.shards, enc.Fields)
	}
	if code, _, _ := runMain(t, "--help"); code != 0 {
		t.Errorf("--help: exit %d", code)
	}
}

// TestRunInterruptedGoesOnMidObject: an interruption while a large object
// is being ingested stops ingest at a line boundary; the ledger keeps where,
// and the next run with the same --data takes the object up from there
// instead of reading it again from its start (which delivered every line
// read before the interruption twice). Every line is delivered, and the
// only duplicates are those of the records the stages had in hand.
func TestRunInterruptedGoesOnMidObject(t *testing.T) {
	dir := t.TempDir()
	data, out := filepath.Join(dir, "data"), filepath.Join(dir, "events.ndjson")
	obj := runObject{name: "big.log", data: gen.Object(gen.CLB, 77, 200000, gen.Options{})}
	srcs := writeRunFiles(t, filepath.Join(dir, "logs"), obj)
	var want runWant
	want.add(srcs[0], obj)
	args := []string{"--data", data, "--to", "file:" + out, filepath.Join(dir, "logs")}

	// Interrupted once the raw stream holds a few MB of the object's 52:
	// ingest has begun it and is far from its end.
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer cancel()
		for range time.Tick(2 * time.Millisecond) {
			if fi, err := os.Stat(filepath.Join(data, "raw", local.FileName)); err == nil && fi.Size() > 4<<20 {
				return
			}
		}
	}()
	var errb bytes.Buffer
	err := runRun(ctx, args, stdio{in: strings.NewReader(""), out: io.Discard, err: &errb})
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("first run: %v; stderr:\n%s", err, errb.String())
	}
	ledger, _ := os.ReadFile(filepath.Join(data, "ingested.jsonl"))
	if !bytes.Contains(ledger, []byte(`"next":`)) {
		t.Fatalf("the ledger records no stop inside the object (did ingest finish before the interruption?):\n%s\nstderr:\n%s", ledger, errb.String())
	}

	code, _, stderr := runMain(t, args...)
	if code != 0 || !strings.Contains(stderr, "1 objects taken up where an earlier run, interrupted or failing, stopped") {
		t.Fatalf("second run: exit %d; stderr:\n%s", code, stderr)
	}
	events, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := runEventIDs(t, events)
	dups := 0
	for id, n := range got {
		if !want.ids[id] {
			t.Fatalf("unexpected event %s", id)
		}
		dups += n - 1
	}
	if len(got) != len(want.ids) {
		t.Errorf("%d of %d events delivered", len(got), len(want.ids))
	}
	// A graceful stop re-delivers at most the record each stage had in
	// hand per shard: far fewer than the lines read before it.
	if bound := 4 * 2 * 2000; dups > bound {
		t.Errorf("%d duplicates, more than the records in hand can hold (%d)", dups, bound)
	}
	t.Logf("%d events, %d duplicates", len(got), dups)
}

// TestRunLedgerOverManyObjects: with more objects than an ingest run holds
// results for, every object read is still in the ledger (handed over as
// the run forgets it), so the next run with the same --data reads none.
func TestRunLedgerOverManyObjects(t *testing.T) {
	dir := t.TempDir()
	logs, data := filepath.Join(dir, "logs"), filepath.Join(dir, "data")
	const n = 1500
	var want runWant
	var objs []runObject
	for i := range n {
		objs = append(objs, runObject{name: fmt.Sprintf("%04d.log", i), data: gen.Object(gen.ALB, uint64(100+i), 1, gen.Options{})})
	}
	for i, src := range writeRunFiles(t, logs, objs...) {
		want.add(src, objs[i])
	}
	code, stdout, stderr := runMain(t, "--data", data, logs)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	runCheckOnce(t, runEventIDs(t, stdout), want.ids)
	ledger, err := os.ReadFile(filepath.Join(data, "ingested.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if got := bytes.Count(ledger, []byte("\n")); got != n {
		t.Errorf("the ledger has %d entries for %d objects", got, n)
	}
	code, stdout, stderr = runMain(t, "--data", data, logs)
	if code != 0 || len(stdout) != 0 || !strings.Contains(stderr, fmt.Sprintf("already-ingested %d", n)) {
		t.Errorf("second run: exit %d, %d bytes out; stderr:\n%s", code, len(stdout), stderr)
	}
}
