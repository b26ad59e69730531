package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/elbstream/elbstream/internal/bytesize"
	"github.com/elbstream/elbstream/stream/consumer"
	"github.com/elbstream/elbstream/transform"
	"github.com/elbstream/elbstream/transform/elblog"
)

func init() {
	register(&command{
		name:    "transform",
		summary: "parse raw records into JSON events, from the raw stream to the events stream",
		run:     runTransform,
	})
	registerLambda("transform", buildTransformLambda)
	registerLambda("firehose", buildFirehoseLambda)
}

const transformAbout = `
Reads every shard of the raw stream (children after their parents) from the
consumer's checkpoints, parses each line into one JSON event, puts the
events on the events stream as KPL-aggregated records, and checkpoints a
raw position only after the events made from it were accepted.

Without --drain it runs until SIGINT or SIGTERM, then finishes the batches
in hand, checkpoints them and exits. With --drain it exits 0 once every
shard is read to its tip, and everything read is put and checkpointed.

Lines that do not parse become events tagged _elbparsefailure; AWS control
lines are skipped and counted. Progress is shown when stderr is a
terminal; a summary is printed at the end.`

// transformEncoderFlags configure the events, for the command and both
// Lambda handlers.
type transformEncoderFlags struct {
	format, schema string
	fields         listFlag
}

func (f *transformEncoderFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.format, "format", "auto", "log format: auto (detected per line), clb, alb, alb-conn or nlb")
	fs.StringVar(&f.schema, "schema", "ecs", "event field names: ecs or classic (the original Node.js processor's)")
	fs.Var(&f.fields, "field", "static field `KEY=VALUE` added to every event (repeatable; in ELBSTREAM_FIELD, a comma-separated list)")
}

func (f *transformEncoderFlags) encoder() (elblog.Encoder, error) {
	format, err := elblog.ParseFormat(f.format)
	if err != nil {
		return elblog.Encoder{}, flagError("--format", err)
	}
	schema, err := elblog.ParseSchema(f.schema)
	if err != nil {
		return elblog.Encoder{}, flagError("--schema", err)
	}
	enc := elblog.Encoder{Format: format, Schema: schema}
	fields := []string(f.fields)
	if v, ok := os.LookupEnv(envName("field")); ok && len(fields) == 1 && fields[0] == v {
		// From the environment: a comma-separated list.
		fields = strings.Split(v, ",")
	}
	for _, kv := range fields {
		fld, err := elblog.ParseField(kv)
		if err != nil {
			return elblog.Encoder{}, flagError("--field", err)
		}
		enc.Fields = append(enc.Fields, fld)
	}
	probe := enc
	if err := probe.Init(); err != nil {
		return elblog.Encoder{}, flagError("--field", err) // format and schema parsed: the fields are at fault
	}
	return enc, nil
}

func runTransform(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("transform", "--from URL --to URL [flags]", transformAbout, io)
	from := fs.String("from", "", "raw stream: kinesis://NAME, a stream ARN, or local://DIR (required)")
	to := fs.String("to", "", "events stream: kinesis://NAME, a stream ARN, or local://DIR (required)")
	consumerName := fs.String("consumer", transform.DefaultConsumer, "consumer name the checkpoints are kept under")
	cpURL := fs.String("checkpoints", "", "checkpoint store URL: local://PATH or dynamodb://TABLE[?create=true] (default for a local:// stream: local://DIR/transform-checkpoints.db)")
	startAt := fs.String("start-at", "checkpoint", "where shards without a checkpoint start: checkpoint (= trim-horizon), trim-horizon, latest or timestamp:RFC3339")
	drain := fs.Bool("drain", false, "exit 0 once every shard is read to its tip, put and checkpointed")
	shutdownGrace := fs.Duration("shutdown-grace", 0, "after SIGTERM, how long the batches in hand may take to be put and checkpointed (default 30s)")
	leaseTTL := fs.Duration("lease-ttl", 0, "how long a shard's lease outlives its holder; after a crash, a restarted transform waits this long for the dead one's leases (default 30s)")
	maxRecords := fs.Int("max-records", 0, "raw records per read from a shard, at most; a crash transforms at most one such batch per shard again (default 10000)")
	var ef transformEncoderFlags
	ef.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usageError(fs, fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	case *from == "":
		return usageError(fs, "--from is required")
	case *to == "":
		return usageError(fs, "--to is required")
	}
	if sameStream(*from, *to) {
		return usageError(fs, fmt.Sprintf("--from and --to name the same stream, %s: the events would be read as raw lines again", *to))
	}
	if *cpURL == "" {
		var err error
		if *cpURL, err = defaultCheckpoints(*from, "transform"); err != nil {
			return usageError(fs, err.Error())
		}
	}
	start, err := parseStartAt(*startAt)
	if err != nil {
		return usageError(fs, "--start-at "+err.Error())
	}
	enc, err := ef.encoder()
	if err != nil {
		return usageError(fs, err.Error())
	}

	raw, err := openExistingStream(ctx, *from)
	if err != nil {
		return err
	}
	defer raw.Close()
	events, err := openStream(ctx, *to)
	if err != nil {
		return err
	}
	defer events.Close()
	cps, err := openCheckpoints(ctx, *cpURL)
	if err != nil {
		return err
	}
	defer cps.Close()

	stage, err := transform.New(transform.Config{Sink: events, Encoder: enc})
	if err != nil {
		return err
	}
	var listInterval time.Duration
	if *leaseTTL > 0 {
		// Shards whose lease a dead process left are taken at the first
		// listing after it expires: list at least that often.
		listInterval = min(consumer.DefaultListInterval, *leaseTTL)
	}
	began := time.Now()
	stopProgress := transformProgress(io.err, stage.Stats(), began)
	err = stage.Run(ctx, transform.RunConfig{
		From:          raw,
		Checkpoints:   cps,
		Consumer:      *consumerName,
		StartAt:       start,
		Drain:         *drain,
		MaxRecords:    *maxRecords,
		LeaseTTL:      *leaseTTL,
		ShutdownGrace: *shutdownGrace,
		ListInterval:  listInterval,
		Logger:        slog.New(slog.NewTextHandler(io.err, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	stopProgress()
	snap := stage.Stats().Snapshot()
	fmt.Fprintln(io.err, transformSummary(snap, time.Since(began)))
	writeParseFailures(io.err, "transform: ", snap.LastFailures)
	if errors.As(err, new(*transform.EntryError)) {
		// An entry the stream refused for good (a KMS key it may not
		// use): the shard's error does not say which stream.
		err = fmt.Errorf("events stream %s: %w", *to, err)
	}
	return err
}

// writeParseFailures lists the latest parse failures, so that a summary
// says why lines failed as well as how many did.
func writeParseFailures(w io.Writer, prefix string, fs []transform.Failure) {
	if len(fs) == 0 {
		return
	}
	fmt.Fprintf(w, "%slast %d parse failures (each forwarded as an event tagged _elbparsefailure):\n", prefix, len(fs))
	for _, f := range fs {
		fmt.Fprintf(w, "%s  %s\n", prefix, f)
	}
}

// transformProgress redraws one status line on stderr every second when
// stderr is a terminal. The returned function clears it.
func transformProgress(w io.Writer, stats *transform.Stats, began time.Time) (stop func()) {
	return progressLine(w, isTerminal(w), time.Second, func(w io.Writer) {
		io.WriteString(w, transformSummary(stats.Snapshot(), time.Since(began)))
	})
}

// transformSummary is one line: what was read, made and put.
func transformSummary(s transform.Snapshot, took time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "transform: %d records (%s) → %d lines → %d events (%d parse failures, %d control lines skipped)",
		s.Records, bytesize.Format(s.BytesIn), s.Lines, s.Events, s.ParseFailures, s.Skipped)
	fmt.Fprintf(&b, "; put %s in %d records", bytesize.Format(s.BytesOut), s.Entries)
	if s.Retries > 0 {
		fmt.Fprintf(&b, ", %d retried (%d throttled)", s.Retries, s.Throttled)
	}
	if s.Undecodable > 0 {
		fmt.Fprintf(&b, "; %d undecodable raw records", s.Undecodable)
	}
	if s.Truncated > 0 {
		fmt.Fprintf(&b, "; %d oversized lines truncated", s.Truncated)
	}
	fmt.Fprintf(&b, "; lag %s; %s", s.Lag.Round(time.Second), took.Round(100*time.Millisecond))
	if secs := took.Seconds(); secs > 0 {
		fmt.Fprintf(&b, " (%s/s in)", bytesize.Format(int64(float64(s.BytesIn)/secs)))
	}
	return b.String()
}

// buildTransformLambda builds the Kinesis event-source-mapping handler
// from the environment: ELBSTREAM_TO (the events stream),
// ELBSTREAM_SAFETY_MARGIN, ELBSTREAM_FORMAT, ELBSTREAM_SCHEMA, ELBSTREAM_FIELD.
func buildTransformLambda(ctx context.Context) (any, error) {
	fs := newFlags("transform", "", "", stdio{err: io.Discard})
	to := fs.String("to", "", "events stream")
	margin := fs.Duration("safety-margin", transform.DefaultMargin, "start no raw record after deadline−2×margin, put nothing after deadline−margin")
	var ef transformEncoderFlags
	ef.register(fs)
	if err := parseFlags(fs, nil); err != nil {
		return nil, err
	}
	if *to == "" {
		return nil, errors.New("ELBSTREAM_TO is required: the events stream (kinesis://NAME or a stream ARN)")
	}
	enc, err := ef.encoder()
	if err != nil {
		return nil, err
	}
	events, err := openStream(ctx, *to)
	if err != nil {
		return nil, err
	}
	stage, err := transform.New(transform.Config{Sink: events, Encoder: enc})
	if err != nil {
		return nil, err
	}
	h := &transform.KinesisHandler{Stage: stage, Margin: *margin, Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil))}
	return h.Handle, nil
}

// buildFirehoseLambda builds the Firehose data-transformation handler from
// the environment: ELBSTREAM_FORMAT, ELBSTREAM_SCHEMA, ELBSTREAM_FIELD.
func buildFirehoseLambda(ctx context.Context) (any, error) {
	fs := newFlags("firehose", "", "", stdio{err: io.Discard})
	var ef transformEncoderFlags
	ef.register(fs)
	if err := parseFlags(fs, nil); err != nil {
		return nil, err
	}
	enc, err := ef.encoder()
	if err != nil {
		return nil, err
	}
	h := &transform.FirehoseHandler{Encoder: enc, Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil))}
	return h.Handle, nil
}
