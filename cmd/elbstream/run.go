package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/term"

	"github.com/elbstream/elbstream/forward"
	"github.com/elbstream/elbstream/forward/output"
	"github.com/elbstream/elbstream/ingest"
	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/checkpoint"
	cplocal "github.com/elbstream/elbstream/stream/checkpoint/local"
	"github.com/elbstream/elbstream/stream/consumer"
	"github.com/elbstream/elbstream/stream/local"
	"github.com/elbstream/elbstream/testdata/gen"
	"github.com/elbstream/elbstream/transform"
	"github.com/elbstream/elbstream/transform/elblog"
)

// `elbstream run` wires the three stages together on the embedded stream;
// no stage imports another. The data directory holds:
//
//	DATA/raw/            local stream of raw lines (ingest → transform)
//	DATA/events/         local stream of JSON events (transform → forward)
//	DATA/checkpoints.db  checkpoints of the "transform" and "forward" consumers
//	DATA/ingested.jsonl  the sources read completely, one JSON object per line
//	DATA/samples/N/      logs written by --sample N
//
// The order of a run:
//
//  1. With a kept data directory, first deliver what a previous run left
//     behind (interrupted or killed): transform, then forward, each drained
//     to its tip. Counted apart ("resumed"), so the run's own counts
//     reconcile.
//  2. Start transform and forward on their streams, then ingest every
//     source while they run.
//  3. Once ingest is done, wait until the transform consumer has
//     checkpointed every raw record ingest wrote (the raw stream's tip per
//     shard, recorded from the Put results), stop it; then the same for
//     forward and the events transform wrote. Neither is stopped while it
//     holds a batch, so nothing is sent twice.
//  4. Print one summary whose counts must reconcile.

func init() {
	register(&command{
		name:    "run",
		summary: "the whole pipeline in one process: sources → embedded streams → output (default stdout)",
		run:     runRun,
	})
}

const runAbout = `
Runs ingest, transform and forward in one process on the embedded stream:
every line of every SOURCE becomes one JSON event delivered to OUTPUT
(default: stdout). Events go to stdout, everything else to stderr. Progress
is shown when stderr is a terminal; a summary is printed at the end.

SOURCE is one of:
  FILE                  a local file, plain or gzip
  DIR                   every file under DIR, recursively
  s3://BUCKET/KEY       one S3 object (AWS credentials from the SDK's chain;
                        AWS_ENDPOINT_URL_S3 for S3-compatible servers)
  s3://BUCKET/PREFIX/   every object under the prefix
The ELBAccessLogTestFile object is always skipped.

OUTPUT is as for 'elbstream forward': beats:// is acknowledged by Logstash;
tcp:// is not (events in transit when the connection dies are lost).

The summary reconciles: lines read = events delivered + control lines
skipped + empty lines skipped. Lines that do not parse are delivered as
events tagged _elbparsefailure (counted within the delivered events). The
exit status is 0 only when every line read was delivered or accounted for.

Without --data, the streams and checkpoints live in a temporary directory,
removed at exit. With --data DIR they are kept, and a later run with the
same DIR:
  - first delivers whatever an interrupted or killed run left undelivered;
  - skips sources already ingested completely (a file with the same path,
    size and modification time; an S3 object with the same key and ETag),
    so running the same command twice delivers nothing twice. --reingest
    reads them again: their events get the same event.id as before.

--sample N writes N generated lines of every format (ALB, ALB connection,
CLB, NLB, as AWS names and compresses them) under DATA/samples/N and reads
them, so 'elbstream run --sample 100' shows the pipeline with no input.`

const (
	// runRetention keeps the embedded streams' records long enough for
	// a kept data directory to be resumed days later; the local stream's
	// default (24h, as Kinesis) would silently drop an undelivered backlog.
	runRetention = 7 * 24 * time.Hour
	// runPoll is how often transform and forward look for new records at
	// the tip. Reads of the embedded stream are cheap; a short poll keeps
	// the end of a run (two stages draining one after the other) short.
	runPoll = 100 * time.Millisecond
	// runTransformBuffer bounds the events the transform holds per shard
	// for one put (its default is a whole Kinesis request, 5 MiB). The
	// embedded stream copies each put into its transaction's pages, so
	// with 4 shards this is most of the process's heap: on a 764,640-line
	// CLB file (200 MB), the live heap peaked at 266-306 MB with 5 MiB,
	// 169-228 MB with 2 MiB, at about the same speed; 1 MiB saved a little
	// more and cost a third of the throughput (more, smaller commits).
	runTransformBuffer = 2 << 20
	// skipIngested is the reason counted for a source a kept data
	// directory already ingested completely.
	skipIngested = "already-ingested"
	// runOwner is the lease owner of both consumers. The data directory's
	// files are locked by the process that has them open, so a lease
	// held in them can only be this process's or a dead one's: a fixed
	// owner lets a run restarted after a crash take its shards back at
	// once instead of waiting for the dead run's leases to expire.
	runOwner = "elbstream-run"
)

type runFlags struct {
	to                                       string
	shards                                   int
	data                                     string
	sample                                   int
	reingest                                 bool
	progress                                 string
	include, exclude, includeSuf, excludeSuf listFlag
	enc                                      transformEncoderFlags
	out                                      outputFlags
}

func newRunFlags(io stdio) (*flag.FlagSet, *runFlags) {
	f := new(runFlags)
	fs := newFlags("run", "[flags] SOURCE...", runAbout, io)
	fs.StringVar(&f.to, "to", "stdout", "output: stdout, file:PATH, beats://HOST[:PORT], beats+tls://…, tcp://HOST:PORT, tcp+tls://… (see 'elbstream forward --help')")
	fs.IntVar(&f.shards, "shards", 0, fmt.Sprintf("shards of the embedded streams when they are created (default %d; a kept --data keeps its own)", local.DefaultShards))
	fs.StringVar(&f.data, "data", "", "keep the streams, checkpoints and the list of ingested sources in DIR, so that a later run resumes (default: a temporary directory, removed at exit)")
	fs.IntVar(&f.sample, "sample", 0, "write N generated lines of every log format under DATA/samples/N and read them too")
	fs.BoolVar(&f.reingest, "reingest", false, "read sources that --data DIR already ingested completely again")
	fs.StringVar(&f.progress, "progress", "auto", "progress line on stderr: auto (when stderr is a terminal, and stdout is not the same terminal), always, never")
	fs.Var(&f.include, "include-prefix", "read only listed keys (and files, relative to DIR) starting with this prefix (repeatable)")
	fs.Var(&f.exclude, "exclude-prefix", "skip listed keys starting with this prefix (repeatable)")
	fs.Var(&f.includeSuf, "include-suffix", "read only listed keys ending with this suffix (repeatable), e.g. .log.gz")
	fs.Var(&f.excludeSuf, "exclude-suffix", "skip listed keys ending with this suffix (repeatable)")
	f.enc.register(fs)
	f.out.register(fs)
	return fs, f
}

func runRun(ctx context.Context, args []string, io stdio) error {
	fs, f := newRunFlags(io)
	sources, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(sources) == 0 && f.sample <= 0:
		return usageError(fs, "name at least one SOURCE (or --sample N)")
	case f.shards < 0:
		return usageError(fs, "--shards must be positive")
	case f.sample < 0:
		return usageError(fs, "--sample must be positive")
	}
	switch f.progress {
	case "auto", "always", "never":
	default:
		return usageError(fs, fmt.Sprintf("--progress %q: want auto, always or never", f.progress))
	}
	enc, err := f.enc.encoder()
	if err != nil {
		return usageError(fs, err.Error())
	}

	dir, kept := f.data, f.data != ""
	if kept {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
	} else {
		if dir, err = os.MkdirTemp("", "elbstream-run-"); err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
		defer os.RemoveAll(dir)
	}
	// Open (and so lock) the data directory before writing samples in it.
	p, err := openPipeline(ctx, dir, f, enc, io)
	if err != nil {
		return err
	}
	defer p.close()
	if f.sample > 0 {
		sdir, err := writeSamples(filepath.Join(dir, "samples"), f.sample)
		if err != nil {
			return err
		}
		sources = append(sources, sdir)
	}
	return p.run(ctx, sources)
}

// parseInterspersed parses flags placed before, between and after the
// sources (`elbstream run logs/ --to beats://…`), which the flag package
// alone stops at, and returns the sources. Everything after "--" is a
// source. Flags not given come from ELBSTREAM_<FLAG>, as parseFlags does.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var sources []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, errUsage
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			sources = append(sources, rest...)
			break
		}
		sources = append(sources, rest[0])
		args = rest[1:]
	}
	return sources, applyEnv(fs, os.LookupEnv)
}

// pipeline is one `run`: the embedded streams, the checkpoint store, the
// output and the stages between them.
type pipeline struct {
	io       stdio
	dir      string
	kept     bool
	resuming bool // the data directory held streams before this run
	flags    *runFlags
	enc      elblog.Encoder
	log      *slog.Logger

	raw, events *tipStream
	store       checkpoint.Store
	out         output.Output
	ledger      *ledger
	closers     []io.Closer
}

func openPipeline(ctx context.Context, dir string, f *runFlags, enc elblog.Encoder, io stdio) (p *pipeline, err error) {
	p = &pipeline{io: io, dir: dir, kept: f.data != "", flags: f, enc: enc,
		log: slog.New(slog.NewTextHandler(io.err, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	if _, err := os.Stat(filepath.Join(dir, "raw", local.FileName)); err == nil {
		p.resuming = true
	}
	opts := local.Options{Shards: f.shards, Retention: runRetention}
	if p.resuming && f.shards == 0 {
		opts.Shards = 0 // whatever the kept streams have
	}
	for _, s := range []struct {
		name string
		dst  **tipStream
	}{{"raw", &p.raw}, {"events", &p.events}} {
		ls, err := local.Open(filepath.Join(dir, s.name), opts)
		if err != nil {
			return p, fmt.Errorf("%s stream: %w", s.name, err)
		}
		p.closers = append(p.closers, ls)
		*s.dst = newTipStream(ls)
	}
	if p.store, err = cplocal.Open(filepath.Join(dir, "checkpoints.db")); err != nil {
		return p, fmt.Errorf("checkpoints: %w", err)
	}
	p.closers = append(p.closers, p.store)
	if p.ledger, err = openLedger(filepath.Join(dir, "ingested.jsonl")); err != nil {
		return p, err
	}
	p.closers = append(p.closers, p.ledger)

	oc := f.out.config()
	oc.Stdout = io.out
	if p.out, err = output.Open(f.to, oc); err != nil {
		return p, err
	}
	p.closers = append(p.closers, p.out)
	// Fail at once on a receiver that is not there, rather than retrying
	// for ever at the end of the run with everything ingested.
	if err := connectOnce(ctx, p.out); err != nil {
		return p, fmt.Errorf("output %s not reachable: %w", p.out, err)
	}
	return p, nil
}

func (p *pipeline) close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		p.closers[i].Close()
	}
	p.closers = nil
}

func (p *pipeline) newStage() (*transform.Stage, error) {
	return transform.New(transform.Config{Sink: p.events, Encoder: p.enc, BufferBytes: runTransformBuffer})
}

func (p *pipeline) newForwarder() *forward.Forwarder {
	oc := p.flags.out.config()
	return forward.New(p.out, forwardConfig(oc, deliveryFlags{}), &forward.Metrics{Output: p.out.Stats}, p.log)
}

func (p *pipeline) transformConfig(drain bool) transform.RunConfig {
	return transform.RunConfig{
		From:         p.raw,
		Checkpoints:  p.store,
		Consumer:     transform.DefaultConsumer,
		Owner:        runOwner,
		Drain:        drain,
		PollInterval: runPoll,
		Logger:       p.log,
	}
}

func (p *pipeline) forwardConfig(drain bool) consumer.Config {
	return consumer.Config{
		Stream:       p.events,
		Checkpoints:  p.store,
		Consumer:     "forward",
		Owner:        runOwner,
		Drain:        drain,
		PollInterval: runPoll,
		Logger:       p.log,
	}
}

// runReport is what the summary shows.
type runReport struct {
	sources   int
	ingest    ingest.Summary
	transform transform.Snapshot
	forward   forward.Stats
	output    output.Stats
	shards    int
	took      time.Duration

	// resumed counts what a previous run had left undelivered.
	resumedEvents, resumedLines int64

	interrupted bool
	failures    []string
}

func (p *pipeline) run(ctx context.Context, sources []string) error {
	began := time.Now()
	rep := runReport{sources: len(sources)}
	if shards, err := p.raw.Shards(ctx); err == nil {
		rep.shards = len(shards)
	}

	if p.resuming {
		if err := p.resume(ctx, &rep); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("interrupted while delivering what a previous run left undelivered; it stays in %s for the next run", p.dir)
			}
			return err
		}
	}

	stage, err := p.newStage()
	if err != nil {
		return err
	}
	fwd := p.newForwarder()
	// A stage that fails stops the run, ingest included.
	pctx, fail := context.WithCancelCause(ctx)
	defer fail(nil)
	tr := startStage(pctx, fail, func(ctx context.Context) error { return stage.Run(ctx, p.transformConfig(false)) })
	fw := startStage(pctx, fail, func(ctx context.Context) error { return fwd.Run(ctx, p.forwardConfig(false)) })

	in := &ingest.Ingester{Stream: p.raw, Config: ingest.Config{Filter: p.filter()}}
	var lister ingest.ObjectLister
	var s3c *ingest.S3Client
	for _, src := range sources {
		if strings.HasPrefix(src, "s3://") {
			if s3c, err = newS3Client(ctx); err != nil {
				tr.stop()
				fw.stop()
				return err
			}
			in.Objects, lister = s3c, s3c
			break
		}
	}
	ir := in.Start(pctx)
	stopProgress := p.showProgress(ir.Stats(), stage.Stats(), fwd.Metrics(), began)
	var errs []error
	for _, src := range sources {
		if pctx.Err() != nil {
			break
		}
		if err := p.ingestSource(pctx, ir, s3c, lister, src); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", src, err))
			ir.Stats().Error(fmt.Errorf("%s: %w", src, err))
		}
	}
	ir.Close()
	if err := p.ledger.record(ir.Results()); err != nil {
		errs = append(errs, err)
	}
	for _, r := range ir.Failed() {
		errs = append(errs, fmt.Errorf("%s: %w", r.Name, r.Err()))
	}

	// Drain: transform to the raw tip ingest reached, then forward to the
	// events tip transform reached.
	if err := waitCaughtUp(pctx, tr, p.store, transform.DefaultConsumer, p.raw.Tips()); err != nil && pctx.Err() == nil {
		fail(err)
	}
	if err := tr.stop(); err != nil {
		fail(err)
	}
	if err := waitCaughtUp(pctx, fw, p.store, "forward", p.events.Tips()); err != nil && pctx.Err() == nil {
		fail(err)
	}
	if err := fw.stop(); err != nil {
		fail(err)
	}
	stopProgress()

	rep.ingest = ir.Stats().Summary()
	rep.transform = stage.Stats().Snapshot()
	rep.forward = fwd.Metrics().Snapshot()
	rep.output = p.out.Stats()
	rep.took = time.Since(began)
	rep.interrupted = ctx.Err() != nil
	for _, f := range rep.forward.Failures {
		rep.failures = append(rep.failures, f.Err)
	}
	if cause := context.Cause(pctx); cause != nil && !errors.Is(cause, context.Canceled) {
		errs = append(errs, cause)
	}
	missing := p.writeSummary(rep)

	switch {
	case rep.interrupted:
		where := "the temporary data directory is removed: run with --data DIR to resume after an interruption"
		if p.kept {
			where = "what was not delivered is kept in " + p.dir + " and delivered first by the next run with the same --data"
		}
		errs = append(errs, fmt.Errorf("interrupted: %s", where))
	case missing > 0:
		errs = append(errs, fmt.Errorf("counts do not reconcile: %d lines read were neither delivered nor accounted for", missing))
	case missing < 0:
		errs = append(errs, fmt.Errorf("counts do not reconcile: %d more events delivered than lines read", -missing))
	}
	return errors.Join(errs...)
}

// resume delivers what a previous run left in a kept data directory:
// transform drained to its tip, then forward to its.
func (p *pipeline) resume(ctx context.Context, rep *runReport) error {
	stage, err := p.newStage()
	if err != nil {
		return err
	}
	if err := stage.Run(ctx, p.transformConfig(true)); err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	fwd := p.newForwarder()
	if err := fwd.Run(ctx, p.forwardConfig(true)); err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rep.resumedLines = stage.Stats().Snapshot().Lines
	rep.resumedEvents = fwd.Metrics().Snapshot().EventsAcked
	// Tips so far are delivered; this run's drain waits only for its own.
	p.raw.Reset()
	p.events.Reset()
	return nil
}

func (p *pipeline) filter() ingest.Filter {
	f := p.flags
	return ingest.Filter{
		IncludePrefixes: ingestList(f.include),
		ExcludePrefixes: ingestList(f.exclude),
		IncludeSuffixes: ingestList(f.includeSuf),
		ExcludeSuffixes: ingestList(f.excludeSuf),
	}
}

// ingestSource reads one SOURCE argument, skipping what the ledger says
// was ingested already (unless --reingest).
func (p *pipeline) ingestSource(ctx context.Context, run *ingest.Run, s3c *ingest.S3Client, lister ingest.ObjectLister, src string) error {
	filter := p.filter()
	if strings.HasPrefix(src, "s3://") {
		bucket, key, err := ingest.ParseS3URL(src)
		if err != nil {
			return err
		}
		if key != "" && !strings.HasSuffix(key, "/") {
			t := ingest.Task{Object: ingest.Object{Bucket: bucket, Key: key}}
			if p.ingested(ctx, s3c, &t.Object) {
				run.Skip(t, t.String(), skipIngested)
				return nil
			}
			run.Object(t)
			return nil
		}
		return lister.ListObjects(ctx, bucket, key, func(o ingest.Object) error {
			t := ingest.Task{Object: o}
			switch {
			case filter.Skip(o.Key) != "":
				run.Skip(t, o.String(), filter.Skip(o.Key))
			case p.ingested(ctx, s3c, &t.Object):
				run.Skip(t, o.String(), skipIngested)
			default:
				run.Object(t)
			}
			return ctx.Err()
		})
	}
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	file := func(path string, fi os.FileInfo) {
		if id, err := ingest.FileSource(path, fi); err == nil && !p.flags.reingest && p.ledger.has(id) {
			run.Skip(ingest.Task{Object: ingest.Object{Key: path}}, path, skipIngested)
			return
		}
		run.File(path)
	}
	if !fi.IsDir() {
		file(src, fi)
		return nil
	}
	return ingest.WalkFiles(src, filter, func(path, skip string) error {
		if skip != "" {
			run.Skip(ingest.Task{Object: ingest.Object{Key: path}}, path, skip)
			return nil
		}
		fi, err := os.Stat(path)
		if err != nil {
			run.File(path) // fails with the error, by name
			return nil
		}
		file(path, fi)
		return ctx.Err()
	})
}

// ingested reports whether the ledger holds o's content (bucket, key and
// ETag). An object named explicitly has no ETag yet: it is asked for with
// HeadObject, only when the ledger is not empty.
func (p *pipeline) ingested(ctx context.Context, s3c *ingest.S3Client, o *ingest.Object) bool {
	if p.flags.reingest || p.ledger.empty() {
		return false
	}
	if o.ETag == "" {
		head, err := s3c.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(o.Key)})
		if err != nil {
			return false // reading it will say what is wrong
		}
		o.ETag = strings.Trim(aws.ToString(head.ETag), `"`)
	}
	return p.ledger.has(ingest.S3Source(o.Bucket, o.Key, o.ETag, ""))
}

// stageRun is a stage running in its own goroutine until stopped.
type stageRun struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// startStage runs fn under a child of ctx. An error from fn cancels the
// whole pipeline with fail.
func startStage(ctx context.Context, fail context.CancelCauseFunc, fn func(context.Context) error) *stageRun {
	ctx, cancel := context.WithCancel(ctx)
	s := &stageRun{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		if s.err = fn(ctx); s.err != nil {
			fail(s.err)
		}
	}()
	return s
}

// stop cancels the stage — which finishes and checkpoints the batches in
// hand — and returns its error.
func (s *stageRun) stop() error {
	s.cancel()
	<-s.done
	return s.err
}

// waitCaughtUp waits until consumer's checkpoint of every shard in tips is
// at or past the tip, the stage ends or ctx is done.
func waitCaughtUp(ctx context.Context, s *stageRun, store checkpoint.Store, name string, tips map[string]string) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		ok, err := caughtUp(ctx, store, name, tips)
		if err != nil {
			return fmt.Errorf("%s: checkpoints: %w", name, err)
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			if s.err != nil {
				return s.err
			}
			return fmt.Errorf("%s stopped before reaching the end of its stream", name)
		case <-t.C:
		}
	}
}

func caughtUp(ctx context.Context, store checkpoint.Store, name string, tips map[string]string) (bool, error) {
	if len(tips) == 0 {
		return true, nil
	}
	cps, err := store.List(ctx, name)
	if err != nil {
		return false, err
	}
	at := make(map[string]string, len(cps))
	for _, c := range cps {
		at[c.ShardID] = c.Sequence
	}
	for shard, tip := range tips {
		switch seq := at[shard]; seq {
		case checkpoint.ShardEnd:
		case "", checkpoint.TrimHorizon, checkpoint.Latest:
			return false, nil
		default:
			if stream.CompareSequence(seq, tip) < 0 {
				return false, nil
			}
		}
	}
	return true, nil
}

// tipStream is a stream that remembers, per shard, the highest sequence
// number its Puts were given: where a consumer that is to read everything
// written in this run must get to.
type tipStream struct {
	stream.Stream
	mu   sync.Mutex
	tips map[string]string
}

func newTipStream(s stream.Stream) *tipStream {
	return &tipStream{Stream: s, tips: map[string]string{}}
}

func (s *tipStream) Put(ctx context.Context, entries []stream.Entry) ([]stream.PutResult, error) {
	res, err := s.Stream.Put(ctx, entries)
	s.mu.Lock()
	for _, r := range res {
		if r.OK() && stream.CompareSequence(r.SequenceNumber, s.tips[r.ShardID]) > 0 {
			s.tips[r.ShardID] = r.SequenceNumber
		}
	}
	s.mu.Unlock()
	return res, err
}

// Tips returns a copy of the tips.
func (s *tipStream) Tips() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]string, len(s.tips))
	for k, v := range s.tips {
		m[k] = v
	}
	return m
}

// Reset forgets the tips.
func (s *tipStream) Reset() {
	s.mu.Lock()
	s.tips = map[string]string{}
	s.mu.Unlock()
}

// Close does nothing: the pipeline closes the underlying stream once.
func (s *tipStream) Close() error { return nil }

// ledger is the list of sources a kept data directory has ingested
// completely: DATA/ingested.jsonl, one {"source","name","at"} per line,
// appended and synced after each run's ingest. Sources are identified as
// their provenance (ingest.FileSource, ingest.S3Source): a file that
// changes, or an object overwritten with new content, is new.
type ledger struct {
	path string
	seen map[string]bool
	f    *os.File
}

type ledgerEntry struct {
	Source string    `json:"source"`
	Name   string    `json:"name"`
	At     time.Time `json:"at"`
}

func openLedger(path string) (*ledger, error) {
	l := &ledger{path: path, seen: map[string]bool{}}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	l.f = f
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e ledgerEntry
		// A line cut by a crash mid-append is ignored: its source is
		// read again, which duplicates nothing downstream (same ids).
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Source != "" {
			l.seen[e.Source] = true
		}
	}
	if err := sc.Err(); err != nil {
		f.Close()
		return nil, fmt.Errorf("ledger %s: %w", path, err)
	}
	return l, nil
}

func (l *ledger) has(source string) bool { return l.seen[source] }
func (l *ledger) empty() bool            { return len(l.seen) == 0 }

// record appends the sources of results that were read to their end and
// whose every line the raw stream accepted.
func (l *ledger) record(results []*ingest.Result) error {
	var b []byte
	now := time.Now().UTC()
	for _, r := range results {
		if r.Skipped != "" || r.Stopped || r.Source == "" || r.Err() != nil || l.seen[r.Source] {
			continue
		}
		line, _ := json.Marshal(ledgerEntry{Source: r.Source, Name: r.Name, At: now})
		b = append(append(b, line...), '\n')
		l.seen[r.Source] = true
	}
	if len(b) == 0 {
		return nil
	}
	if _, err := l.f.Write(b); err != nil {
		return fmt.Errorf("ledger %s: %w", l.path, err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("ledger %s: %w", l.path, err)
	}
	return nil
}

func (l *ledger) Close() error { return l.f.Close() }

// writeSummary prints the end-of-run report and returns how many lines
// read are unaccounted for (negative: more events delivered than lines).
//
//	lines read = events delivered + control lines skipped + empty lines skipped
//
// where lines read counts every line of every object read (empty ones
// included), events delivered are those the output acknowledged (or wrote
// and flushed, for outputs without acknowledgements) and parse failures are
// delivered events.
func (p *pipeline) writeSummary(r runReport) int64 {
	w := p.io.err
	in, tr, fw := r.ingest, r.transform, r.forward
	read := in.Lines + in.EmptyLines
	delivered := fw.EventsAcked
	missing := read - delivered - tr.Skipped - in.EmptyLines

	if r.resumedEvents > 0 || r.resumedLines > 0 {
		fmt.Fprintf(w, "run: resumed: delivered %d events a previous run had left undelivered (%d of its raw lines were still to transform); not counted below\n",
			r.resumedEvents, r.resumedLines)
	}
	fmt.Fprintf(w, "run: %d objects read, %s (%s stored)", in.Objects, ingestBytes(in.Bytes), ingestBytes(in.StoredBytes))
	if n := in.SkippedTotal(); n > 0 {
		reasons := make([]string, 0, len(in.Skipped))
		for k, v := range in.Skipped {
			reasons = append(reasons, fmt.Sprintf("%s %d", k, v))
		}
		sort.Strings(reasons)
		fmt.Fprintf(w, "; %d skipped (%s)", n, strings.Join(reasons, ", "))
		if in.Skipped[skipIngested] > 0 {
			fmt.Fprint(w, "; --reingest reads already ingested sources again")
		}
	}
	if in.FailedObjects > 0 {
		fmt.Fprintf(w, "; %d FAILED", in.FailedObjects)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "run: %12d lines read\n", read)
	fmt.Fprintf(w, "run: %12d events delivered to %s (%d of them parse failures, tagged _elbparsefailure)\n", delivered, p.out, tr.ParseFailures)
	fmt.Fprintf(w, "run: %12d control lines skipped (Enable AccessLog for ELB …)\n", tr.Skipped)
	fmt.Fprintf(w, "run: %12d empty lines skipped\n", in.EmptyLines)
	switch {
	case r.interrupted:
		fmt.Fprintf(w, "run: interrupted: %d lines read are not delivered yet\n", missing)
	case missing == 0:
		fmt.Fprintf(w, "run: reconciled: %d read = %d delivered + %d control + %d empty\n", read, delivered, tr.Skipped, in.EmptyLines)
	default:
		fmt.Fprintf(w, "run: NOT RECONCILED: %d read ≠ %d delivered + %d control + %d empty (off by %d)\n",
			read, delivered, tr.Skipped, in.EmptyLines, missing)
	}
	fmt.Fprintf(w, "run: pipeline: %d lines in %d raw records → %d lines → %d events in %d records → %d events read → %d acknowledged, on %d shards\n",
		in.Lines, in.Records, tr.Lines, tr.Events, tr.Entries, fw.EventsRead, fw.EventsAcked, r.shards)
	var extra []string
	if in.TruncatedLines > 0 {
		extra = append(extra, fmt.Sprintf("%d lines truncated to the line limit (delivered, marked)", in.TruncatedLines))
	}
	if tr.Undecodable > 0 {
		extra = append(extra, fmt.Sprintf("%d undecodable raw records", tr.Undecodable))
	}
	if fw.Malformed > 0 {
		extra = append(extra, fmt.Sprintf("%d undeliverable event records skipped", fw.Malformed))
	}
	if in.Retries+tr.Retries > 0 {
		extra = append(extra, fmt.Sprintf("%d stream puts retried", in.Retries+tr.Retries))
	}
	if len(extra) > 0 {
		fmt.Fprintf(w, "run: %s\n", strings.Join(extra, "; "))
	}
	rate := 0.0
	if secs := r.took.Seconds(); secs > 0 {
		rate = float64(delivered) / secs
	}
	fmt.Fprintf(w, "run: output: connections opened %d, events re-sent after connection failures %d, sends retried %d; %v (%.0f events/s)\n",
		r.output.ConnectionsCreated, r.output.EventsRetried, fw.Retries, r.took.Round(time.Millisecond), rate)
	failures := append(append([]string(nil), in.Errors...), r.failures...)
	if len(failures) > 5 {
		failures = failures[len(failures)-5:]
	}
	for _, f := range failures {
		fmt.Fprintf(w, "run: error: %s\n", f)
	}
	return missing
}

// showProgress redraws one status line on stderr twice a second, when
// --progress says so. In auto mode it stays off when stdout is the same
// terminal as stderr and the events go there: the redraws would tear the
// events apart.
func (p *pipeline) showProgress(is *ingest.Stats, ts *transform.Stats, fm *forward.Metrics, began time.Time) (stop func()) {
	w := p.io.err
	on := p.flags.progress == "always"
	if p.flags.progress == "auto" {
		on = runIsTerminal(w) && !(p.flags.to == "stdout" && runIsTerminal(p.io.out))
	}
	if !on {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-t.C:
				in, tr, fw := is.Summary(), ts.Snapshot(), fm.Snapshot()
				secs := time.Since(began).Seconds()
				fmt.Fprintf(w, "\r\033[Kread %d objects, %d lines (%s) │ transformed %s │ delivered %d events (%s), %.0f/s",
					in.Objects, in.Lines+in.EmptyLines, ingestBytes(in.Bytes), runPercent(tr.Lines, in.Lines),
					fw.EventsAcked, runPercent(fw.EventsAcked+tr.Skipped, in.Lines), float64(fw.EventsAcked)/secs)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// runPercent is n of total, as progress shows it.
func runPercent(n, total int64) string {
	if total <= 0 {
		return "0%"
	}
	return fmt.Sprintf("%d%%", n*100/total)
}

func runIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// writeSamples writes n generated lines of every format under
// dir/N, named and compressed as AWS writes them (gzip for ALB and NLB,
// plain for Classic), plus the ELBAccessLogTestFile object AWS writes when
// logging is enabled, and returns that directory. Existing samples are
// kept as they are, so a kept data directory does not see them as new.
func writeSamples(dir string, n int) (string, error) {
	final := filepath.Join(dir, fmt.Sprint(n))
	if _, err := os.Stat(final); err == nil {
		return final, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("samples: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, ".tmp-")
	if err != nil {
		return "", fmt.Errorf("samples: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("samples: %w", err)
	}
	const account, region = "123456789012", "eu-west-1"
	day := filepath.Join("AWSLogs", account, "elasticloadbalancing", region, "2024", "03", "01")
	prefix := account + "_elasticloadbalancing_" + region + "_"
	files := []struct {
		name   string
		format gen.Format
		gzip   bool
	}{
		{prefix + "app.my-alb.50dc6c495c0c9188_20240301T0005Z_198.51.100.10_1d9c3jke.log.gz", gen.ALB, true},
		{prefix + "conn_log.app.my-alb.50dc6c495c0c9188_20240301T0005Z_198.51.100.10_5e3b1af0.log.gz", gen.ALBConnection, true},
		{prefix + "my-clb_20240301T0005Z_198.51.100.20_3kq7x9za.log", gen.CLB, false},
		{prefix + "net.my-nlb.73e2d6bc24d8a067_20240301T0005Z_9f2c4e1d.log.gz", gen.NLB, true},
	}
	for i, f := range files {
		data := gen.Object(f.format, uint64(i+1), n, gen.Options{Messy: 0.05})
		if err := writeSample(filepath.Join(tmp, day, f.name), data, f.gzip); err != nil {
			return "", err
		}
	}
	test := fmt.Sprintf("Enable AccessLog for ELB: my-clb at %s\n", gen.Start.Format("2006-01-02T15:04:05.000Z"))
	if err := writeSample(filepath.Join(tmp, "AWSLogs", account, ingest.ELBTestFile), []byte(test), false); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("samples: %w", err)
	}
	return final, nil
}

func writeSample(path string, data []byte, gz bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("samples: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("samples: %w", err)
	}
	var w io.Writer = f
	var z *gzip.Writer
	if gz {
		z = gzip.NewWriter(f)
		w = z
	}
	_, err = w.Write(data)
	if z != nil && err == nil {
		err = z.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("samples: %w", err)
	}
	return nil
}
