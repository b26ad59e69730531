package forward

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/elbstream/elbstream/forward/output"
)

// Handler is the Lambda handler for a Kinesis event-source mapping on the
// events stream, configured with ReportBatchItemFailures. Build it once per
// execution environment (cold start) so that its output's connections are
// reused by warm invocations. Invocations must not overlap: Lambda runs one
// at a time per environment.
type Handler struct {
	core *core
}

// NewHandler returns a handler that delivers through out. m and log may be
// nil.
func NewHandler(out Sender, cfg Config, m *Metrics, log *slog.Logger) *Handler {
	return &Handler{core: newCore(out, cfg, m, log)}
}

// Metrics returns the handler's counters.
func (h *Handler) Metrics() *Metrics { return h.core.metrics }

// Handle delivers the events of the batch's records in order. Its response
// names, as the one batch item failure, the first record whose events were
// not all acknowledged; Lambda checkpoints the records before it and
// retries from it. It stops sending Config.SafetyMargin before ctx's
// deadline (a quarter of the time left, if that is less) and reports the
// rest the same way, so it always answers in time. It never returns an
// error: an error would make Lambda retry the whole batch, including what
// was already delivered.
func (h *Handler) Handle(ctx context.Context, ev events.KinesisEvent) (events.KinesisEventResponse, error) {
	var resp events.KinesisEventResponse
	recs := kinesisRecords(ev.Records)
	if len(recs) == 0 {
		return resp, nil
	}
	sendCtx := ctx
	if deadline, ok := ctx.Deadline(); ok {
		// A short invocation keeps a quarter of its time, not the whole
		// margin: with a timeout at or under the margin nothing would
		// ever be sent, and Lambda would retry the batch for ever.
		margin := h.core.cfg.SafetyMargin
		if left := time.Until(deadline); left > 0 {
			margin = min(margin, left/4)
		}
		var cancel context.CancelFunc
		sendCtx, cancel = context.WithDeadline(ctx, deadline.Add(-margin))
		defer cancel()
	}
	start := time.Now()
	acked, err := h.core.deliver(sendCtx, recs, delivery{shardID: shardOf(ev)})
	if acked < len(recs) {
		seq := recs.Sequence(acked)
		resp.BatchItemFailures = []events.KinesisBatchItemFailure{{ItemIdentifier: seq}}
		// The handler never returns an error (Lambda's Errors metric
		// stays 0), so this line is where a failed send shows: at ERROR.
		// Only running out of time with nothing failing is a warning.
		level := slog.LevelError
		if se := (*output.SendError)(nil); errors.As(err, &se) && se.Last == nil && errors.Is(se.Err, context.DeadlineExceeded) {
			level = slog.LevelWarn
		}
		h.core.log.Log(ctx, level, "batch partly delivered", "records", len(recs), "acknowledged", acked,
			"retry_from", seq, "elapsed_ms", time.Since(start).Milliseconds(), "err", err)
		return resp, nil
	}
	h.core.log.Info("batch delivered", "records", len(recs), "elapsed_ms", time.Since(start).Milliseconds())
	return resp, nil
}

// kinesisRecords adapts an event's records to the records interface.
type kinesisRecords []events.KinesisEventRecord

func (r kinesisRecords) Len() int              { return len(r) }
func (r kinesisRecords) Data(i int) []byte     { return r[i].Kinesis.Data }
func (r kinesisRecords) Sequence(i int) string { return r[i].Kinesis.SequenceNumber }

// shardOf names the batch's shard for logs: the ESM event ID is
// "shardId-…:sequence".
func shardOf(ev events.KinesisEvent) string {
	id := ev.Records[0].EventID
	for i := range len(id) {
		if id[i] == ':' {
			return id[:i]
		}
	}
	return id
}
