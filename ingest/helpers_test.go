package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/elbstream/elbstream/internal/s3test"
	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/kinesis/kinesistest"
	"github.com/elbstream/elbstream/stream/kpl"
	"github.com/elbstream/elbstream/stream/local"
	"github.com/elbstream/elbstream/testdata/gen"
)

// --- log lines ---------------------------------------------------------

// logGen makes realistic, deterministic access-log lines with the shared
// generator (testdata/gen), a few of them messy (IPv6, escaped quotes,
// bytes that are not UTF-8), and now and then a line with a user agent of
// several kilobytes, as some clients send.
type logGen struct {
	clbG, albG, nlbG *gen.Generator
	rng              *rand.Rand
}

func newLogGen(seed uint64) *logGen {
	opts := gen.Options{Messy: 0.05}
	return &logGen{
		clbG: gen.New(gen.CLB, seed, opts),
		albG: gen.New(gen.ALB, seed+1, opts),
		nlbG: gen.New(gen.NLB, seed+2, opts),
		rng:  rand.New(rand.NewPCG(seed, 7)),
	}
}

func (g *logGen) line(gg *gen.Generator) string {
	b := gg.Append(nil)
	if g.rng.IntN(500) == 0 {
		b = append(b, " \"Mozilla/5.0 "...)
		b = append(b, strings.Repeat("(compatible; Bot/1.0; +http://example.com/bot) ", 40+g.rng.IntN(120))...)
		b = append(b, '"')
	}
	return string(b)
}

func (g *logGen) clb() string { return g.line(g.clbG) }
func (g *logGen) alb() string { return g.line(g.albG) }
func (g *logGen) nlb() string { return g.line(g.nlbG) }

// lines returns n lines from line, joined with eol, ending with eol.
func lines(n int, line func() string, eol string) []byte {
	var b bytes.Buffer
	for range n {
		b.WriteString(line())
		b.WriteString(eol)
	}
	return b.Bytes()
}

func gzipped(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// --- S3 -----------------------------------------------------------------

// fakeS3 is an S3-compatible server in the test process (s3test), and an
// SDK client pointed at it.
type fakeS3 struct {
	client *s3.Client
	t      testing.TB
}

func newFakeS3(t testing.TB, buckets ...string) *fakeS3 {
	t.Helper()
	_, client := s3test.Start(t)
	f := &fakeS3{client: client, t: t}
	for _, b := range buckets {
		if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("create bucket %s: %v", b, err)
		}
	}
	return f
}

// put stores an object and returns it as an event would name it.
func (f *fakeS3) put(bucket, key string, data []byte) Object {
	f.t.Helper()
	out, err := f.client.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket),
		Key:    aws.String(key),
		Body:   bytes.NewReader(data),
	})
	if err != nil {
		f.t.Fatalf("put s3://%s/%s: %v", bucket, key, err)
	}
	return Object{Bucket: bucket, Key: key, ETag: trimETag(aws.ToString(out.ETag)), VersionID: aws.ToString(out.VersionId), Size: int64(len(data))}
}

// --- streams ------------------------------------------------------------

// newLocalStream opens an embedded stream in a temporary directory.
func newLocalStream(t testing.TB, opts local.Options) *local.Stream {
	t.Helper()
	if opts.Shards == 0 {
		opts.Shards = 4
	}
	s, err := local.Open(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// backends are the real streams the end-to-end tests run against.
var backends = []struct {
	name string
	open func(t testing.TB) stream.Stream
}{
	{"local", func(t testing.TB) stream.Stream { return newLocalStream(t, local.Options{}) }},
	{"kinesis", func(t testing.TB) stream.Stream { return kinesistest.NewStream(t, 4) }},
}

// wantLine is a line expected on the stream.
type wantLine struct {
	source string
	pos    int64
	text   string
}

// expect lists the non-empty lines of content as the stream should carry
// them (lines longer than maxLine cut and marked), from offset start on.
func expect(source string, content []byte, maxLine int, start int64) []wantLine {
	var out []wantLine
	for _, l := range referenceLines(string(content[start:]), maxLine, start) {
		if l.text != "" {
			out = append(out, wantLine{source, l.pos, l.text})
		}
	}
	return out
}

type lineKey struct {
	source string
	pos    int64
}

// readAll reads every record of every shard from the trim horizon to the
// tip, by shard.
func readAll(t testing.TB, s stream.Stream) map[string][]stream.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	shards, err := s.Shards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all := map[string][]stream.Record{}
	for _, sh := range shards {
		it, err := s.Iterate(ctx, sh.ID, stream.Position{Kind: stream.TrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		for empty := 0; empty < 2; {
			b, err := it.Next(ctx, 0)
			if err != nil {
				t.Fatalf("read %s: %v", sh.ID, err)
			}
			all[sh.ID] = append(all[sh.ID], b.Records...)
			if len(b.Records) == 0 {
				empty++
			}
			if b.EndOfShard {
				break
			}
		}
	}
	return all
}

// reconcile checks that the stream holds every wanted line exactly once,
// with its provenance, in records within the stream's limits, and nothing
// else. It returns the number of aggregated records per shard.
func reconcile(t testing.TB, s stream.Stream, want []wantLine) (perShard map[string]int) {
	t.Helper()
	limits := s.Limits()
	got := map[lineKey]string{}
	dups := 0
	perShard = map[string]int{}
	for shard, recs := range readAll(t, s) {
		for _, r := range recs {
			if n := len(r.Data) + len(r.PartitionKey); n > limits.MaxRecordBytes {
				t.Errorf("record of %d bytes, limit %d", n, limits.MaxRecordBytes)
			}
			if len(r.PartitionKey) == 0 || len(r.PartitionKey) > limits.MaxPartitionKey {
				t.Errorf("partition key %q", r.PartitionKey)
			}
			err := kpl.Decode(r.Data, func(u kpl.Record) error {
				if u.PartitionKey != r.PartitionKey {
					t.Errorf("user record key %q in aggregate with key %q", u.PartitionKey, r.PartitionKey)
				}
				k := lineKey{u.Source, u.Position}
				if _, dup := got[k]; dup {
					dups++
				}
				got[k] = string(u.Data)
				return nil
			})
			if err != nil {
				t.Fatalf("deaggregate: %v", err)
			}
			perShard[shard]++
		}
	}
	if dups > 0 {
		t.Errorf("%d lines delivered more than once", dups)
	}
	missing := 0
	for _, w := range want {
		text, ok := got[lineKey{w.source, w.pos}]
		switch {
		case !ok:
			if missing++; missing <= 3 {
				t.Errorf("line missing: %s @%d %.60q", w.source, w.pos, w.text)
			}
		case text != w.text:
			t.Errorf("line %s @%d:\n got %.80q\nwant %.80q", w.source, w.pos, text, w.text)
		}
		delete(got, lineKey{w.source, w.pos})
	}
	if missing > 0 {
		t.Errorf("%d of %d lines missing", missing, len(want))
	}
	for k, v := range got {
		t.Errorf("unexpected line %s @%d %.60q", k.source, k.pos, v)
		break
	}
	return perShard
}

// --- logs and metrics ---------------------------------------------------

func newJSONLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// summaryFromLog checks that the log holds exactly one line, the
// invocation's JSON summary, and returns the summary.
func summaryFromLog(t testing.TB, logs *bytes.Buffer) Summary {
	t.Helper()
	text := strings.TrimSpace(logs.String())
	logs.Reset()
	if n := strings.Count(text, "\n"); n != 0 {
		t.Errorf("%d log lines, want one per invocation:\n%s", n+1, text)
	}
	var line struct {
		Msg     string  `json:"msg"`
		Stage   string  `json:"stage"`
		Summary Summary `json:"summary"`
	}
	if err := json.Unmarshal([]byte(text[strings.LastIndex(text, "\n")+1:]), &line); err != nil {
		t.Fatalf("summary line %q: %v", text, err)
	}
	if line.Msg != "ingest summary" || line.Stage != "ingest" {
		t.Errorf("summary line %q", text)
	}
	return line.Summary
}

// checkEMF checks that metrics holds one valid embedded-metric-format
// document whose values agree with sum.
func checkEMF(t testing.TB, metrics *bytes.Buffer, sum Summary) {
	t.Helper()
	text := strings.TrimSpace(metrics.String())
	if strings.Count(text, "\n") != 0 {
		t.Errorf("want one EMF line, got:\n%s", text)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("EMF %q: %v", text, err)
	}
	var meta struct {
		Timestamp         int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string     `json:"Namespace"`
			Dimensions [][]string `json:"Dimensions"`
			Metrics    []struct {
				Name string `json:"Name"`
				Unit string `json:"Unit"`
			} `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	}
	raw, _ := json.Marshal(doc["_aws"])
	if err := json.Unmarshal(raw, &meta); err != nil || meta.Timestamp <= 0 || len(meta.CloudWatchMetrics) != 1 {
		t.Fatalf("EMF _aws %s: %v", raw, err)
	}
	d := meta.CloudWatchMetrics[0]
	if d.Namespace != DefaultNamespace || len(d.Metrics) == 0 {
		t.Errorf("EMF directive %+v", d)
	}
	for _, dims := range d.Dimensions {
		for _, dim := range dims {
			if _, ok := doc[dim].(string); !ok {
				t.Errorf("EMF dimension %s has no string value at the root", dim)
			}
		}
	}
	for _, m := range d.Metrics {
		if _, ok := doc[m.Name].(float64); !ok {
			t.Errorf("EMF metric %s has no number at the root", m.Name)
		}
	}
	if doc["Lines"] != float64(sum.Lines) || doc["Objects"] != float64(sum.Objects) || doc["Records"] != float64(sum.Records) {
		t.Errorf("EMF values %v disagree with the summary %+v", doc, sum)
	}
}

// kplDecode deaggregates one record.
func kplDecode(t testing.TB, data []byte, fn func(source string, pos int64, text string)) {
	t.Helper()
	err := kpl.Decode(data, func(r kpl.Record) error {
		fn(r.Source, r.Position, string(r.Data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
