package transform

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/elbstream/elbstream/stream"
)

// DefaultMargin is the time a Lambda handler keeps before its invocation's
// deadline by default.
const DefaultMargin = 3 * time.Second

// KinesisHandler is the AWS Lambda handler for a Kinesis event-source
// mapping on the raw stream. Configure the mapping with
// FunctionResponseTypes ["ReportBatchItemFailures"]: the handler reports
// the first raw record whose events were not all accepted, and Lambda
// resumes from it. Without that setting Lambda ignores the report and
// checkpoints the whole batch — which loses the unfinished records.
type KinesisHandler struct {
	Stage *Stage
	// Margin is kept free before the invocation's deadline: no raw record
	// is started after deadline−2×Margin, and no Put is made after
	// deadline−Margin, so the handler returns its report in time instead
	// of being killed with the batch half done. An invocation shorter
	// than 4×Margin keeps a quarter of its time instead, so that a short
	// timeout (Lambda's default is 3 s) still makes progress.
	// Default: DefaultMargin.
	Margin time.Duration
	// Logger receives one summary line per invocation, and the error when
	// a batch is not done. Default: no logging.
	Logger *slog.Logger
}

// Handle transforms one batch. It never returns an error: a batch that is
// not done is reported as a batch item failure naming the first raw record
// not done, so that Lambda retries from exactly there.
func (h *KinesisHandler) Handle(ctx context.Context, ev events.KinesisEvent) (events.KinesisEventResponse, error) {
	start := time.Now()
	records := make([]stream.Record, len(ev.Records))
	for i := range ev.Records {
		k := &ev.Records[i].Kinesis
		records[i] = stream.Record{
			Data:           k.Data,
			PartitionKey:   k.PartitionKey,
			SequenceNumber: k.SequenceNumber,
			ArrivalTime:    k.ApproximateArrivalTimestamp.Time,
		}
	}

	var stopAt time.Time
	if deadline, ok := ctx.Deadline(); ok {
		var putBy time.Time
		stopAt, putBy = h.deadlines(deadline, start)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, putBy)
		defer cancel()
	}

	before := h.Stage.stats.Snapshot()
	done, err := h.Stage.process(ctx, records, stopAt)
	var resp events.KinesisEventResponse
	if done < len(records) {
		resp.BatchItemFailures = []events.KinesisBatchItemFailure{{ItemIdentifier: records[done].SequenceNumber}}
	}
	h.log(ctx, ev, before, done, err, time.Since(start))
	return resp, nil
}

// deadlines returns when to start no more raw records and when puts must
// end: 2×Margin and Margin before the invocation's deadline, the margin
// cut to a quarter of the time left when that is shorter than 4×Margin.
// With a fixed margin, a timeout of 2×Margin or less (Lambda's default 3 s
// against the default margin) started nothing, ever: Lambda retried the
// same batch until its records left the stream.
func (h *KinesisHandler) deadlines(deadline, now time.Time) (stopAt, putBy time.Time) {
	margin := h.Margin
	if margin <= 0 {
		margin = DefaultMargin
	}
	if left := deadline.Sub(now); left > 0 {
		margin = min(margin, left/4)
	}
	return deadline.Add(-2 * margin), deadline.Add(-margin)
}

func (h *KinesisHandler) log(ctx context.Context, ev events.KinesisEvent, before Snapshot, done int, err error, took time.Duration) {
	if h.Logger == nil {
		return
	}
	d := h.Stage.stats.Snapshot().Sub(before)
	attrs := []slog.Attr{
		slog.Int("records", len(ev.Records)),
		slog.Int("done", done),
		slog.Int64("lines", d.Lines),
		slog.Int64("events", d.Events),
		slog.Int64("parse_failures", d.ParseFailures),
		slog.Int64("skipped", d.Skipped),
		slog.Int64("bytes_in", d.BytesIn),
		slog.Int64("bytes_out", d.BytesOut),
		slog.Int64("retries", d.Retries),
		slog.Int64("took_ms", took.Milliseconds()),
	}
	if len(ev.Records) > 0 {
		attrs = append(attrs, slog.String("source", ev.Records[0].EventSourceArn))
	}
	if n := len(d.LastFailures); d.ParseFailures > 0 && n > 0 {
		attrs = append(attrs, slog.String("last_parse_failure", d.LastFailures[n-1].String()))
	}
	level := slog.LevelInfo
	msg := "transform: batch done"
	if done < len(ev.Records) {
		level = slog.LevelWarn
		msg = "transform: batch not done; Lambda retries from the first record not done"
		attrs = append(attrs, slog.String("retry_from", ev.Records[done].Kinesis.SequenceNumber))
		if err != nil && !errors.Is(err, errStopped) {
			level = slog.LevelError
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
	}
	h.Logger.LogAttrs(context.WithoutCancel(ctx), level, msg, attrs...)
}
