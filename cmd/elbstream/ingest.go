package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/elbstream/elbstream/ingest"
	"github.com/elbstream/elbstream/internal/bytesize"
)

func init() {
	register(&command{
		name:    "ingest",
		summary: "read log objects (files, directories, S3 objects and prefixes) into a stream",
		run:     runIngest,
	})
	registerLambda("ingest", buildIngestLambda)
}

const ingestAbout = `
Reads each SOURCE, splits it into lines (gzip is recognised by content),
packs the lines into KPL aggregated records that keep each line's object
and byte offset, and puts them on the stream. It exits 0 only when every
line of every object was accepted by the stream.

SOURCE is one of:
  FILE                  a local file, plain or gzip
  DIR                   every file under DIR, recursively (filtered)
  s3://BUCKET/KEY       one S3 object
  s3://BUCKET/PREFIX/   every object under the prefix (filtered); a SOURCE
                        ending in '/' or naming only a bucket is a prefix

Filters (--include-prefix, --exclude-prefix, --include-suffix,
--exclude-suffix; repeatable, comma-separated in ELBSTREAM_*) apply to
listed objects and to Lambda notifications, not to objects named
explicitly. The ELBAccessLogTestFile object is always skipped.

As a Lambda function (ELBSTREAM_HANDLER=ingest) the same flags come from
ELBSTREAM_STREAM, ELBSTREAM_CONCURRENCY, ELBSTREAM_SAFETY_MARGIN, …

A broken object (bad gzip, read error) is reported by name and does not
stop the others; the exit status is then 1.`

// ingestFlags are the flags of `ingest`, shared by its Lambda handler.
type ingestFlags struct {
	stream       string
	concurrency  int
	maxLine      int
	safetyMargin time.Duration
	progress     string
	include      listFlag
	exclude      listFlag
	includeSuf   listFlag
	excludeSuf   listFlag
}

func newIngestFlags(io stdio) (*flag.FlagSet, *ingestFlags) {
	f := new(ingestFlags)
	fs := newFlags("ingest", "--stream URL SOURCE...", ingestAbout, io)
	fs.StringVar(&f.stream, "stream", "", "stream to write to: kinesis://NAME, a stream ARN, or local://DIR (required)")
	fs.IntVar(&f.concurrency, "concurrency", 0, fmt.Sprintf("PutRecords calls in flight (default %d)", ingest.DefaultConcurrency))
	fs.IntVar(&f.maxLine, "max-line-bytes", 0, fmt.Sprintf("longest line kept whole; longer lines are cut, marked and counted (default %d)", ingest.DefaultMaxLineBytes))
	fs.DurationVar(&f.safetyMargin, "safety-margin", 0, fmt.Sprintf("Lambda: stop reading this long before the deadline and continue in a new invocation (default %v)", ingest.DefaultSafetyMargin))
	fs.StringVar(&f.progress, "progress", "auto", "progress line on stderr: auto (when stderr is a terminal), always, never")
	fs.Var(&f.include, "include-prefix", "ingest only keys starting with this prefix (repeatable)")
	fs.Var(&f.exclude, "exclude-prefix", "skip keys starting with this prefix (repeatable)")
	fs.Var(&f.includeSuf, "include-suffix", "ingest only keys ending with this suffix (repeatable), e.g. .log.gz")
	fs.Var(&f.excludeSuf, "exclude-suffix", "skip keys ending with this suffix (repeatable)")
	return fs, f
}

// check reports a flag value that parsed but cannot be used.
func (f *ingestFlags) check() error {
	if f.maxLine > 0 && f.maxLine < ingest.MinMaxLineBytes {
		return fmt.Errorf("--max-line-bytes %d: want %d or more, room for a cut line's marker", f.maxLine, ingest.MinMaxLineBytes)
	}
	return checkProgressMode(f.progress)
}

func (f *ingestFlags) config() ingest.Config {
	return ingest.Config{
		MaxLineBytes: f.maxLine,
		Writer:       ingest.WriterConfig{Concurrency: f.concurrency},
		SafetyMargin: f.safetyMargin,
		Filter: ingest.Filter{
			IncludePrefixes: ingestList(f.include),
			ExcludePrefixes: ingestList(f.exclude),
			IncludeSuffixes: ingestList(f.includeSuf),
			ExcludeSuffixes: ingestList(f.excludeSuf),
		},
	}
}

// ingestList flattens repeated and comma-separated values.
func ingestList(l listFlag) []string {
	var out []string
	for _, v := range l {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func runIngest(ctx context.Context, args []string, io stdio) error {
	fs, f := newIngestFlags(io)
	sources, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if f.stream == "" || len(sources) == 0 {
		return usageError(fs, "want --stream URL and at least one SOURCE")
	}
	if err := f.check(); err != nil {
		return usageError(fs, err.Error())
	}
	s, err := openStream(ctx, f.stream)
	if err != nil {
		return err
	}
	defer s.Close()

	in := &ingest.Ingester{Stream: s, Config: f.config()}
	var lister ingest.ObjectLister
	for _, src := range sources {
		if strings.HasPrefix(src, "s3://") {
			c, err := newS3Client(ctx)
			if err != nil {
				return err
			}
			in.Objects, lister = c, c
			break
		}
	}

	began := time.Now()
	run := in.Start(ctx)
	stop := showIngestProgress(io.err, f.progress, run.Stats(), began)
	var sourceErrs []error
	// Once the stream refuses writes for good (permissions, a missing
	// stream), the objects still to come are failed by name without
	// being read (ingest.Run does that), so that each is accounted for.
	for _, src := range sources {
		if ctx.Err() != nil {
			break
		}
		if err := ingestSource(ctx, run, lister, in.Config.Filter, src); err != nil {
			sourceErrs = append(sourceErrs, err)
			run.Stats().Error(err)
		}
	}
	run.Close()
	stop()
	printIngestSummary(io.err, run.Stats().Summary(), time.Since(began))
	if failed := run.Failed(); len(failed) > 0 {
		sourceErrs = append(sourceErrs, fmt.Errorf("%d objects failed: %s", len(failed), failedNames(failed)))
	}
	if err := errors.Join(sourceErrs...); err != nil {
		return err
	}
	return ctx.Err()
}

// failedNames lists failed objects by name, the first few of them: the
// summary's errors say why, and a refusing stream can fail thousands.
func failedNames(failed []*ingest.Result) string {
	const most = 10
	var names []string
	for _, r := range failed[:min(len(failed), most)] {
		names = append(names, r.Name)
	}
	if len(failed) > most {
		names = append(names, fmt.Sprintf("and %d more", len(failed)-most))
	}
	return strings.Join(names, ", ")
}

// ingestNamed reads an object named on the command line: not filtered,
// except that AWS's ELBAccessLogTestFile is always skipped; and one that
// does not exist is an error naming it, where an object announced by a
// notification and deleted since is skipped as missing.
func ingestNamed(run *ingest.Run, t ingest.Task) error {
	if reason := (ingest.Filter{}).Skip(t.Key); reason != "" {
		run.Skip(t, t.Object.String(), reason)
		return nil
	}
	if res := readObject(run, t); res.Skipped == ingest.SkipMissing {
		return fmt.Errorf("%s: no such object", t.Object)
	}
	return nil
}

// readObject reads an object the command line names or lists. One that
// was overwritten since it was listed (or looked up) is skipped as changed
// and read again as it is now: the command names the object, not a
// version of it, and nothing else would read its new content.
func readObject(run *ingest.Run, t ingest.Task) *ingest.Result {
	res := run.Object(t)
	if res.Skipped == ingest.SkipChanged {
		t.ETag = ""
		res = run.Object(t)
	}
	return res
}

// ingestSource reads one SOURCE argument.
func ingestSource(ctx context.Context, run *ingest.Run, lister ingest.ObjectLister, filter ingest.Filter, src string) error {
	if strings.HasPrefix(src, "s3://") {
		bucket, key, err := ingest.ParseS3URL(src)
		if err != nil {
			return err
		}
		if key != "" && !strings.HasSuffix(key, "/") {
			return ingestNamed(run, ingest.Task{Object: ingest.Object{Bucket: bucket, Key: key}})
		}
		return lister.ListObjects(ctx, bucket, key, func(o ingest.Object) error {
			t := ingest.Task{Object: o}
			if reason := filter.Skip(o.Key); reason != "" {
				run.Skip(t, o.String(), reason)
				return nil
			}
			readObject(run, t)
			return ctx.Err()
		})
	}
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		if reason := (ingest.Filter{}).Skip(filepath.ToSlash(src)); reason != "" {
			run.Skip(ingest.Task{Object: ingest.Object{Key: src}}, src, reason)
			return nil
		}
		run.File(src)
		return nil
	}
	return ingest.WalkFiles(src, filter, func(path, skip string, err error) error {
		t := ingest.Task{Object: ingest.Object{Key: path}}
		switch {
		case err != nil:
			run.Fail(t, path, err)
		case skip != "":
			run.Skip(t, path, skip)
		default:
			run.File(path)
		}
		return ctx.Err()
	})
}

// newS3Client builds an S3 client from the SDK's default chain.
func newS3Client(ctx context.Context) (*ingest.S3Client, error) {
	cfg, err := loadAWSConfig(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	return s3ClientFrom(cfg), nil
}

// s3ClientFrom makes the S3 client. With an endpoint override
// (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL: MinIO, a test server) it uses
// path-style requests, which S3-compatible servers expect. The SDK's
// per-object note that a response carried no checksum to validate (objects
// written without one, as load balancers write them) is turned off: it
// would be a log line per object.
func s3ClientFrom(cfg aws.Config) *ingest.S3Client {
	pathStyle := os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	return &ingest.S3Client{Client: s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = pathStyle
		o.DisableLogOutputChecksumValidationSkipped = true
	})}
}

// showIngestProgress rewrites one progress line on w twice a second while
// the run lasts, when mode says so (auto: when w is a terminal).
func showIngestProgress(w io.Writer, mode string, stats *ingest.Stats, began time.Time) (stop func()) {
	return progressLine(w, progressWanted(mode, isTerminal(w)), 500*time.Millisecond, func(w io.Writer) {
		s := stats.Summary()
		secs := time.Since(began).Seconds()
		fmt.Fprintf(w, "%d objects, %s read (%s/s), %d lines, %d records",
			s.Objects, bytesize.Format(s.Bytes), bytesize.Format(int64(float64(s.Bytes)/secs)), s.Lines, s.Records)
	})
}

// printIngestSummary writes the end-of-run report.
func printIngestSummary(w io.Writer, s ingest.Summary, took time.Duration) {
	fmt.Fprintf(w, "ingest: %d objects, %d lines, %s read (%s stored) in %v\n",
		s.Objects, s.Lines, bytesize.Format(s.Bytes), bytesize.Format(s.StoredBytes), took.Round(time.Millisecond))
	fmt.Fprintf(w, "ingest: %d records in %d PutRecords calls, %d retried entries, %d throttled\n",
		s.Records, s.PutCalls, s.Retries, s.Throttled)
	if s.TruncatedLines > 0 || s.EmptyLines > 0 {
		fmt.Fprintf(w, "ingest: %d lines truncated to the line limit (marked), %d empty lines skipped\n", s.TruncatedLines, s.EmptyLines)
	}
	if len(s.Skipped) > 0 {
		reasons := make([]string, 0, len(s.Skipped))
		for r, n := range s.Skipped {
			reasons = append(reasons, fmt.Sprintf("%s %d", r, n))
		}
		sort.Strings(reasons)
		fmt.Fprintf(w, "ingest: skipped: %s\n", strings.Join(reasons, ", "))
	}
	if s.FailedObjects > 0 {
		fmt.Fprintf(w, "ingest: %d objects FAILED", s.FailedObjects)
		if n := s.LinesRead - s.Lines; n > 0 {
			fmt.Fprintf(w, "; %d lines read from them were not accepted by the stream", n)
		}
		fmt.Fprintln(w)
	}
	for _, e := range s.Errors {
		fmt.Fprintf(w, "ingest: error: %s\n", e)
	}
}

// buildIngestLambda builds the ingest handler once per execution
// environment from ELBSTREAM_* variables (ELBSTREAM_STREAM is required).
func buildIngestLambda(ctx context.Context) (any, error) {
	fs, f := newIngestFlags(stdio{err: os.Stderr})
	if err := parseFlags(fs, nil); err != nil {
		return nil, err
	}
	if f.stream == "" {
		return nil, errors.New("ELBSTREAM_STREAM is not set")
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	s, err := openStream(ctx, f.stream)
	if err != nil {
		return nil, err
	}
	cfg, err := loadAWSConfig(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	h := &ingest.Handler{
		Ingester: &ingest.Ingester{
			Stream:  s,
			Objects: s3ClientFrom(cfg),
			Config:  f.config(),
		},
		Invoker: &ingest.LambdaInvoker{Client: lambda.NewFromConfig(cfg)},
	}
	return h.Handle, nil
}
