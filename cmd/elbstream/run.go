package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/elbstream/elbstream/forward"
	"github.com/elbstream/elbstream/forward/output"
	"github.com/elbstream/elbstream/ingest"
	"github.com/elbstream/elbstream/stream/checkpoint"
	cplocal "github.com/elbstream/elbstream/stream/checkpoint/local"
	"github.com/elbstream/elbstream/stream/consumer"
	"github.com/elbstream/elbstream/stream/local"
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
	// runStopGrace bounds how long an interrupted run's ingest waits for
	// its writes in flight before giving them up (the objects they belong
	// to are then read again from their start by the next run).
	runStopGrace = 10 * time.Second
	// skipOwnOutput is the reason counted for the file the run writes its
	// events to (--to file:PATH) when a SOURCE directory holds it.
	skipOwnOutput = "own-output"
	// skipOwnData is the reason counted for the files of the run's data
	// directory (streams, checkpoints, ledger) when a SOURCE directory
	// holds it (`run logs --data logs/.elbstream`); its samples are read.
	skipOwnData = "own-data"
	// skipNamedTwice is the reason counted for a file or object that this
	// run's SOURCE arguments name more than once (`run logs logs/a.log`).
	skipNamedTwice = "named-twice"
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
	fs.IntVar(&f.shards, "shards", 0, fmt.Sprintf("shards of the embedded streams when they are created (default %d); a kept --data keeps the count its streams were created with, and a different --shards is an error", local.DefaultShards))
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
	if err := checkProgressMode(f.progress); err != nil {
		return usageError(fs, err.Error())
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
	named       map[string]bool // the files and objects this run took up
	outFile     os.FileInfo     // the file:PATH output, never read as a source
	dataDir     string          // dir, absolute with links resolved: never read as a source
	// resumedObjects counts the objects taken up where an interrupted
	// run stopped reading them.
	resumedObjects int
	closers        []io.Closer
}

func openPipeline(ctx context.Context, dir string, f *runFlags, enc elblog.Encoder, io stdio) (p *pipeline, err error) {
	p = &pipeline{io: io, dir: dir, kept: f.data != "", flags: f, enc: enc, named: map[string]bool{},
		log: slog.New(slog.NewTextHandler(io.err, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	if _, err := os.Stat(filepath.Join(dir, "raw", local.FileName)); err == nil {
		p.resuming = true
	}
	if p.dataDir, err = realPath(dir); err != nil {
		return p, fmt.Errorf("data directory: %w", err)
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

	oc := f.out.config(p.log)
	oc.Stdout = io.out
	if p.out, err = output.Open(f.to, oc); err != nil {
		return p, err
	}
	p.closers = append(p.closers, p.out)
	if path, ok := strings.CutPrefix(f.to, "file:"); ok {
		// `run . --to file:events.ndjson` must not read its own output.
		p.outFile, _ = os.Stat(strings.TrimPrefix(path, "//"))
	}
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
	oc := p.flags.out.config(p.log)
	return forward.New(p.out, forwardConfig(oc, deliveryFlags{}), &forward.Metrics{Output: p.out.Stats, Guarantee: p.out.Guarantee()}, p.log)
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
				fmt.Fprintf(p.io.err, "run: interrupted while resuming: %d events delivered, %d raw lines transformed of what a previous run had left undelivered; no SOURCE was read\n",
					rep.resumedEvents, rep.resumedLines)
				return fmt.Errorf("interrupted while delivering what a previous run left undelivered; the rest stays in %s for the next run", p.dir)
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
	// Ingest is stopped, not cancelled, by an interruption: it stops at a
	// line boundary and finishes its writes in flight (for runStopGrace at
	// most), so that the ledger can say where the next run goes on with
	// the object in hand instead of reading it again from its start. A
	// failed stage cancels it at once.
	ictx, icancel := context.WithCancel(context.WithoutCancel(pctx))
	defer icancel()
	ir := in.Start(ictx)
	ir.OnDone = p.ledger.done // the ledger, not the run, remembers what is done
	defer context.AfterFunc(pctx, func() {
		if ctx.Err() == nil {
			icancel()
			return
		}
		ir.Stop()
		time.AfterFunc(runStopGrace, icancel)
	})()
	stopProgress := p.showProgress(ir.Stats(), stage.Stats(), fwd.Metrics(), began)
	var errs []error
	for _, src := range sources {
		if pctx.Err() != nil {
			break // interrupted; a refusing stream fails the rest by name
		}
		if err := p.ingestSource(pctx, ir, s3c, lister, src); err != nil {
			if ctx.Err() != nil && errors.Is(err, context.Canceled) {
				break // the interruption, said below
			}
			errs = append(errs, fmt.Errorf("%s: %w", src, err))
			ir.Stats().Error(fmt.Errorf("%s: %w", src, err))
		}
	}
	ir.Close()
	if err := p.ledger.record(ir.Results()); err != nil {
		errs = append(errs, err)
	}
	// Each failed object on a line of its own, the first few: a stream
	// refusing writes fails every object after it alike.
	failed := ir.Failed()
	for _, r := range failed[:min(len(failed), runFailedShown)] {
		errs = append(errs, fmt.Errorf("%s: %w", r.Name, r.Err()))
	}
	if n := len(failed) - runFailedShown; n > 0 {
		errs = append(errs, fmt.Errorf("and %d more objects failed", n))
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
		rep.failures = append(rep.failures, "at "+f.Time.UTC().Format(time.RFC3339)+": "+f.Err)
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
	case missing > 0 && p.kept:
		// A stage failed (a full disk, say): what the streams hold is
		// kept, and the next run delivers it first.
		errs = append(errs, fmt.Errorf("counts do not reconcile: %d lines read are not delivered; what is on the streams is kept in %s and delivered first by the next run with the same --data", missing, p.dir))
	case missing > 0:
		errs = append(errs, fmt.Errorf("counts do not reconcile: %d lines read were neither delivered nor accounted for", missing))
	case missing < 0:
		errs = append(errs, fmt.Errorf("counts do not reconcile: %d more events delivered than lines read", -missing))
	}
	return errors.Join(errs...)
}

// runFailedShown is how many failed objects run's final error names.
const runFailedShown = 10

// resume delivers what a previous run left in a kept data directory:
// transform drained to its tip, then forward to its.
func (p *pipeline) resume(ctx context.Context, rep *runReport) error {
	stage, err := p.newStage()
	if err != nil {
		return err
	}
	err = stage.Run(ctx, p.transformConfig(true))
	rep.resumedLines = stage.Stats().Snapshot().Lines
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	fwd := p.newForwarder()
	err = fwd.Run(ctx, p.forwardConfig(true))
	rep.resumedEvents = fwd.Metrics().Snapshot().EventsAcked
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
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
			switch {
			case p.namedTwice("s3://" + bucket + "/" + key):
				run.Skip(t, t.String(), skipNamedTwice)
			case p.ingested(ctx, s3c, &t):
				run.Skip(t, t.String(), skipIngested)
			default:
				return ingestNamed(run, t)
			}
			return nil
		}
		return lister.ListObjects(ctx, bucket, key, func(o ingest.Object) error {
			t := ingest.Task{Object: o}
			switch {
			case filter.Skip(o.Key) != "":
				run.Skip(t, o.String(), filter.Skip(o.Key))
			case p.namedTwice("s3://" + o.Bucket + "/" + o.Key):
				run.Skip(t, o.String(), skipNamedTwice)
			case p.ingested(ctx, s3c, &t):
				run.Skip(t, o.String(), skipIngested)
			default:
				readObject(run, t)
			}
			return ctx.Err()
		})
	}
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	// Only a directory that holds the data directory needs each of its
	// files resolved and checked (a file named alone is checked anyway).
	checkData := !fi.IsDir() || p.holdsData(src)
	file := func(path string, fi os.FileInfo) {
		id, err := ingest.FileSource(path, fi)
		switch {
		case p.outFile != nil && os.SameFile(fi, p.outFile):
			run.Skip(ingest.Task{Object: ingest.Object{Key: path}}, path, skipOwnOutput)
		case checkData && p.ownData(path):
			run.Skip(ingest.Task{Object: ingest.Object{Key: path}}, path, skipOwnData)
		case (ingest.Filter{}).Skip(filepath.ToSlash(path)) == ingest.SkipTestFile:
			run.Skip(ingest.Task{Object: ingest.Object{Key: path}}, path, ingest.SkipTestFile)
		case err == nil && p.namedTwice(id):
			run.Skip(ingest.Task{Object: ingest.Object{Key: path}}, path, skipNamedTwice)
		case err == nil && !p.flags.reingest && p.ledger.has(id):
			run.Skip(ingest.Task{Object: ingest.Object{Key: path}}, path, skipIngested)
		default:
			var next int64
			if err == nil && !p.flags.reingest {
				next, _ = p.ledger.resumeAt(id)
			}
			if next > 0 {
				p.resumedObjects++
			}
			run.FileFrom(path, next)
		}
	}
	if !fi.IsDir() {
		file(src, fi)
		return nil
	}
	return ingest.WalkFiles(src, filter, func(path, skip string, err error) error {
		if err != nil {
			run.Fail(ingest.Task{Object: ingest.Object{Key: path}}, path, err)
			return nil
		}
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

// ownData reports whether path is one of the data directory's own files:
// reading the streams, checkpoints or ledger as logs would deliver binary
// garbage, and new garbage on every run since they change. Samples are
// logs.
func (p *pipeline) ownData(path string) bool {
	rel, ok := below(p.dataDir, path)
	return ok && rel != "." && !strings.HasPrefix(filepath.ToSlash(rel), "samples/")
}

// holdsData reports whether the directory dir holds the data directory.
func (p *pipeline) holdsData(dir string) bool {
	root, err := realPath(dir)
	if err != nil {
		return false
	}
	_, ok := below(root, p.dataDir)
	return ok
}

// below returns path relative to dir (absolute, links resolved) when path,
// its links resolved, is dir or under it.
func below(dir, path string) (rel string, ok bool) {
	abs, err := realPath(path)
	if err != nil {
		return "", false
	}
	rel, err = filepath.Rel(dir, abs)
	return rel, err == nil && (rel == "." || filepath.IsLocal(rel))
}

// realPath is path made absolute, with symbolic links resolved.
func realPath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// namedTwice reports whether this run took up the file or object id (a
// file's provenance identity, or s3://bucket/key) before, and notes it.
func (p *pipeline) namedTwice(id string) bool {
	if p.named[id] {
		return true
	}
	p.named[id] = true
	return false
}

// ingested reports whether the ledger holds t's content (bucket, key and
// ETag). When an interrupted run stopped reading that content, t is set to
// go on from there, pinned to the ETag. An object named explicitly has no
// ETag yet: it is asked for with HeadObject, only when the ledger is not
// empty.
func (p *pipeline) ingested(ctx context.Context, s3c *ingest.S3Client, t *ingest.Task) bool {
	if p.flags.reingest || p.ledger.empty() {
		return false
	}
	o := &t.Object
	if o.ETag == "" {
		head, err := s3c.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(o.Key)})
		if err != nil {
			return false // reading it will say what is wrong
		}
		o.ETag = strings.Trim(aws.ToString(head.ETag), `"`)
	}
	source := ingest.S3Source(o.Bucket, o.Key, o.ETag, "")
	if next, gz := p.ledger.resumeAt(source); next > 0 {
		t.Offset, t.Gzip = next, gz
		p.resumedObjects++
	}
	return p.ledger.has(source)
}
