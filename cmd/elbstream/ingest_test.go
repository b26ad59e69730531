package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elbstream/elbstream/ingest"
	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/kpl"
	"github.com/elbstream/elbstream/stream/local"
)

func logLines(n int, tag string) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, `https 2024-05-01T00:05:%02d.%06dZ app/my-alb/50dc6c495c0c9188 203.0.113.%d:5532 10.0.1.23:80 0.000 0.013 0.000 200 200 312 2861 "GET https://shop.example.com:443/%s/%d HTTP/1.1" "curl/8.4.0" - - arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2024-05-01T00:05:01.110000Z "forward" "-" "-" "10.0.1.23:80" "200" "-" "-"`+"\n", i%60, i, i%250, tag, i)
	}
	return b.Bytes()
}

func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// streamLines deaggregates everything on the local stream in dir and
// counts each (source, position).
func streamLines(t *testing.T, dir string) map[string]int {
	t.Helper()
	s, err := local.Open(dir, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	shards, err := s.Shards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, sh := range shards {
		it, err := s.Iterate(ctx, sh.ID, stream.Position{Kind: stream.TrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		for {
			b, err := it.Next(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Records) == 0 {
				break
			}
			for _, r := range b.Records {
				err := kpl.Decode(r.Data, func(u kpl.Record) error {
					got[fmt.Sprintf("%s@%d", u.Source, u.Position)]++
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return got
}

// countSource returns how many distinct lines of source are in got, and
// fails on duplicates.
func countSource(t *testing.T, got map[string]int, source string) int {
	t.Helper()
	n := 0
	for k, c := range got {
		if strings.HasPrefix(k, source+"@") {
			n++
			if c != 1 {
				t.Errorf("%s delivered %d times", k, c)
			}
		}
	}
	return n
}

func TestIngestFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, "logs", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plain := write("a/clb.log", logLines(300, "a"))
	zipped := write("b/c/alb.log.gz", gz(t, logLines(700, "b")))
	write("AWSLogs/1/ELBAccessLogTestFile", []byte("Enable AccessLog for ELB: x\n"))
	write("notes.txt", []byte("not a log\n"))
	broken := gz(t, logLines(5000, "broken"))
	brokenPath := write("b/broken.log.gz", broken[:len(broken)/2])
	single := filepath.Join(t.TempDir(), "single.log")
	os.WriteFile(single, logLines(10, "single"), 0o644)

	streamDir := filepath.Join(t.TempDir(), "stream")
	var out, errb bytes.Buffer
	code := run([]string{"ingest", "--stream", "local://" + streamDir + "?shards=2",
		"--exclude-suffix", ".txt", filepath.Join(dir, "logs"), single}, strings.NewReader(""), &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (a broken object); stderr:\n%s", code, errb.String())
	}
	stderr := errb.String()
	for _, want := range []string{brokenPath, "gzip", "3 objects", "elb-test-file 1", "suffix 1", "1 objects FAILED", "1 objects failed: " + brokenPath} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not mention %q:\n%s", want, stderr)
		}
	}
	got := streamLines(t, streamDir)
	for path, n := range map[string]int{plain: 300, zipped: 700, single: 10} {
		fi, _ := os.Stat(path)
		src, _ := ingest.FileSource(path, fi)
		if c := countSource(t, got, src); c != n {
			t.Errorf("%s: %d lines on the stream, want %d", path, c, n)
		}
	}
}

func TestIngestS3(t *testing.T) {
	const bucket = "elb-logs"
	put := startS3(t, bucket).put
	ctx := context.Background()
	want := map[string]int{}
	for i := range 25 { // more than one page? gofakes3 pages at 1000; the paginator is exercised all the same
		want[put(fmt.Sprintf("AWSLogs/1/elasticloadbalancing/2024/05/01/alb-%02d.log.gz", i), gz(t, logLines(40, fmt.Sprint(i))))] = 40
	}
	put("AWSLogs/1/ELBAccessLogTestFile", []byte("Enable AccessLog for ELB: x\n"))
	want[put("other/with space.log", logLines(15, "s"))] = 15

	streamDir := filepath.Join(t.TempDir(), "stream")
	var out, errb bytes.Buffer
	code := run([]string{"ingest", "--stream", "local://" + streamDir,
		"s3://" + bucket + "/AWSLogs/", "s3://" + bucket + "/other/with space.log"}, strings.NewReader(""), &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "26 objects, 1015 lines") || !strings.Contains(errb.String(), "elb-test-file 1") {
		t.Errorf("summary:\n%s", errb.String())
	}
	got := streamLines(t, streamDir)
	for src, n := range want {
		if c := countSource(t, got, src); c != n {
			t.Errorf("%s: %d lines, want %d", src, c, n)
		}
	}

	// A missing object named on the command line fails the run, by name;
	// AWS's test file named there is skipped, as in a listing.
	errb.Reset()
	code = run([]string{"ingest", "--stream", "local://" + streamDir, "s3://" + bucket + "/nope.log"}, strings.NewReader(""), &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "elbstream ingest: s3://"+bucket+"/nope.log: no such object") {
		t.Errorf("missing object: exit %d, stderr:\n%s", code, errb.String())
	}
	errb.Reset()
	code = run([]string{"ingest", "--stream", "local://" + streamDir, "s3://" + bucket + "/AWSLogs/" + ingest.ELBTestFile}, strings.NewReader(""), &out, &errb)
	if code != 0 || !strings.Contains(errb.String(), "0 objects, 0 lines") || !strings.Contains(errb.String(), "elb-test-file 1") {
		t.Errorf("the test file named: exit %d, stderr:\n%s", code, errb.String())
	}

	// The Lambda handler, built from the environment as in Lambda.
	lambdaStream := filepath.Join(t.TempDir(), "lambda-stream")
	t.Setenv("ELBSTREAM_STREAM", "local://"+lambdaStream)
	t.Setenv("ELBSTREAM_INCLUDE_PREFIX", "AWSLogs/,other/")
	h, err := buildIngestLambda(ctx)
	if err != nil {
		t.Fatal(err)
	}
	handle, ok := h.(func(context.Context, json.RawMessage) (any, error))
	if !ok {
		t.Fatalf("handler is %T", h)
	}
	event := fmt.Sprintf(`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","eventTime":"2024-05-01T00:05:00Z","s3":{"bucket":{"name":%q},"object":{"key":"other/with+space.log"}}},{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","eventTime":"2024-05-01T00:05:00Z","s3":{"bucket":{"name":%q},"object":{"key":"elsewhere/x.log"}}}]}`, bucket, bucket)
	lctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	res, err := handle(lctx, json.RawMessage(event))
	if err != nil {
		t.Fatal(err)
	}
	if sum := res.(ingest.Summary); sum.Lines != 15 || sum.Skipped[ingest.SkipPrefix] != 1 {
		t.Errorf("lambda summary %+v: want 15 lines, 1 skipped by prefix", sum)
	}
}

func TestIngestUsage(t *testing.T) {
	var errb bytes.Buffer
	if code := run([]string{"ingest", "some/file"}, strings.NewReader(""), io.Discard, &errb); code != 2 {
		t.Errorf("no --stream: exit %d, want 2", code)
	}
	if code := run([]string{"ingest", "--stream", "local://" + t.TempDir()}, strings.NewReader(""), io.Discard, &errb); code != 2 {
		t.Errorf("no SOURCE: exit %d, want 2", code)
	}
	errb.Reset()
	code := run([]string{"ingest", "--stream", "local://" + t.TempDir(), filepath.Join(t.TempDir(), "missing.log")}, strings.NewReader(""), io.Discard, &errb)
	if code != 1 || !strings.Contains(errb.String(), "missing.log") {
		t.Errorf("missing file: exit %d, stderr %s", code, errb.String())
	}
}

// staleListing lists objects as they were before they were overwritten.
type staleListing []ingest.Object

func (l staleListing) ListObjects(_ context.Context, _, _ string, fn func(ingest.Object) error) error {
	for _, o := range l {
		if err := fn(o); err != nil {
			return err
		}
	}
	return nil
}

// A listed object overwritten before it is read is read as it is now: the
// command names objects, not versions, and nothing else would read the new
// content. The listed version counts as skipped (changed).
func TestListedObjectOverwrittenIsReadAsItIsNow(t *testing.T) {
	const bucket = "elb-logs"
	s3 := startS3(t, bucket)
	s3.put("AWSLogs/a.log", logLines(10, "old"))
	var listed staleListing
	err := (&ingest.S3Client{Client: s3.client}).ListObjects(context.Background(), bucket, "AWSLogs/", func(o ingest.Object) error {
		listed = append(listed, o)
		return nil
	})
	if err != nil || len(listed) != 1 {
		t.Fatalf("listed %v, %v", listed, err)
	}
	now := s3.put("AWSLogs/a.log", logLines(12, "new"))
	streamDir := filepath.Join(t.TempDir(), "stream")
	st, err := local.Open(streamDir, local.Options{Shards: 1})
	if err != nil {
		t.Fatal(err)
	}
	run := (&ingest.Ingester{Stream: st, Objects: &ingest.S3Client{Client: s3.client}}).Start(context.Background())
	err = ingestSource(context.Background(), run, listed, ingest.Filter{}, "s3://"+bucket+"/AWSLogs/")
	if cerr := run.Close(); err == nil {
		err = cerr
	}
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if sum := run.Stats().Summary(); sum.Skipped[ingest.SkipChanged] != 1 || sum.Lines != 12 || sum.FailedObjects != 0 {
		t.Errorf("summary %+v, want the listed version skipped as changed and 12 lines read", sum)
	}
	if n := countSource(t, streamLines(t, streamDir), now); n != 12 {
		t.Errorf("%d lines of the object as it is now, want 12", n)
	}
}
