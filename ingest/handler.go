package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Handler is the ingest Lambda function: it accepts S3 notifications
// (direct, through SNS, SQS, SNS then SQS, or EventBridge) and its own
// continuation events, and returns only once every line of every object it
// read was accepted by the stream.
type Handler struct {
	Ingester *Ingester
	// Invoker starts the continuation when the deadline approaches. Nil
	// disables deadline handling: objects are read to their end or the
	// invocation times out (and the trigger retries it).
	Invoker Invoker
	// Logger receives one summary line per invocation.
	// Default: slog's JSON handler on stderr.
	Logger *slog.Logger
	// Metrics receives one CloudWatch embedded-metric-format line per
	// invocation. Default: os.Stdout.
	Metrics io.Writer
	// Namespace of the metrics. Default: DefaultNamespace ("elbstream").
	Namespace string

	// clock, when set, replaces time.Now for the deadline stop (tests).
	clock func() time.Time
}

// Handle processes one Lambda event. For an SQS batch it returns an
// events.SQSEventResponse listing the messages to redeliver (those whose
// objects failed, and those not started before the deadline) and a nil
// error, so that one bad object does not redeliver its neighbours; the
// event source mapping must have ReportBatchItemFailures enabled. For other
// events it returns the run's Summary, and an error when an object failed
// (so that Lambda's retries and failure destinations see it).
//
// When an Invoker is set and the deadline is within Config.SafetyMargin,
// reading stops at a line boundary, the writes in flight finish, and the
// rest — the object in hand from the first line not written, and the
// objects not started — goes to a continuation invocation. Only records
// in flight when a write fails for the deadline may be written twice.
func (h *Handler) Handle(ctx context.Context, event json.RawMessage) (any, error) {
	began := time.Now()
	ev, err := DecodeEvent(event)
	if err != nil {
		// Counted as an error like any other, so an alarm on Errors
		// sees an event the function cannot take.
		stats := new(Stats)
		stats.Error(err)
		h.report(ctx, "", stats, began, err)
		return nil, err
	}
	stopAt, writeBy := h.deadlines(ctx, began)
	inv := &invocation{h: h, ev: ev, run: h.Ingester.start(ctx, stopAt, writeBy)}
	if h.clock != nil {
		inv.run.now = h.clock
	}
	inv.read()
	inv.run.Close()
	inv.continueRest(ctx)

	if ev.Kind == KindSQS {
		resp := inv.sqsResponse()
		h.report(ctx, ev.Kind, inv.run.stats, began, nil, slog.Int("batchItemFailures", len(resp.BatchItemFailures)))
		return resp, nil
	}
	err = inv.run.err()
	if err == nil {
		err = inv.contErr
	}
	if err == nil && len(ev.Notifications) == 1 {
		err = ev.Notifications[0].Err
	}
	h.report(ctx, ev.Kind, inv.run.stats, began, err)
	if err != nil {
		return nil, err
	}
	return inv.run.stats.Summary(), nil
}

// invocation is the state of one Handle call.
type invocation struct {
	h   *Handler
	ev  Event
	run *Run
	hop int // of the continuation being run; 0 for a notification

	// Per notification:
	results   [][]*Result
	started   []bool // begun before the deadline stop
	unstarted []bool // has objects left for the continuation
	rest      []Task // those objects

	contErr error // the continuation could not be started
}

// tasks returns what each notification asks to read.
func (inv *invocation) tasks() [][]Task {
	if inv.ev.Kind == KindContinuation {
		inv.hop = inv.ev.Continuation.Hop
		inv.ev.Notifications = []Notification{{}}
		return [][]Task{inv.ev.Continuation.Tasks}
	}
	var tasks [][]Task
	for _, n := range inv.ev.Notifications {
		var ts []Task
		for _, o := range n.Objects {
			ts = append(ts, Task{Object: o})
		}
		tasks = append(tasks, ts)
	}
	return tasks
}

// read reads the objects, notification by notification, until done or
// the deadline stop.
func (inv *invocation) read() {
	tasks := inv.tasks()
	n := len(inv.ev.Notifications)
	inv.results, inv.started, inv.unstarted = make([][]*Result, n), make([]bool, n), make([]bool, n)
	filter := inv.h.Ingester.Config.Filter
	for i, n := range inv.ev.Notifications {
		for _, reason := range n.Skipped {
			inv.run.stats.Skip(reason)
		}
		if n.Err != nil {
			inv.run.stats.Error(n.Err)
			continue
		}
		if inv.run.Stopped() && inv.ev.Kind == KindSQS {
			break // SQS redelivers the messages not started
		}
		inv.started[i] = true
		for _, t := range tasks[i] {
			// Filtered here, before a deadline stop passes the task on:
			// a continuation's tasks were filtered by the invocation that
			// handed them over, and are not filtered again.
			var skip string
			if t.Offset == 0 && inv.ev.Kind != KindContinuation {
				skip = filter.Skip(t.Key)
			}
			switch {
			case skip != "":
				inv.results[i] = append(inv.results[i], inv.run.Skip(t, t.Object.String(), skip))
			case inv.run.Stopped():
				inv.rest = append(inv.rest, t)
				inv.unstarted[i] = true
			default:
				inv.results[i] = append(inv.results[i], inv.run.Object(t))
			}
		}
	}
}

// continueRest invokes the continuation for what was cut short: the
// objects in hand from their first line not written, then those not
// started.
func (inv *invocation) continueRest(ctx context.Context) {
	var pending []Task
	progress := false
	for _, rs := range inv.results {
		for _, r := range rs {
			if t, ok := r.Resume(); ok {
				pending = append(pending, t)
				progress = progress || t.Offset > r.Task.Offset
			} else {
				progress = true
			}
		}
	}
	// The objects stopped part way are handed on now: continued, or
	// failed with the continuation.
	inv.run.stats.stopped.Add(-int64(len(pending)))
	pending = append(pending, inv.rest...)
	if len(pending) == 0 {
		return
	}
	switch {
	case !progress:
		inv.contErr = errors.New("ingest: no progress before the deadline: raise the function timeout or lower the safety margin")
	case inv.h.Invoker == nil:
		inv.contErr = errors.New("ingest: objects left unfinished and no invoker to continue them")
	default:
		// Invoke even if ctx is about to end: the continuation is what
		// saves the work left.
		ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), invokeTimeout)
		inv.contErr = invokeContinuation(ictx, inv.h.Invoker, &Continuation{Tasks: pending, Hop: inv.hop + 1})
		cancel()
	}
	if inv.contErr == nil {
		inv.run.stats.continued.Add(int64(len(pending)))
	} else {
		inv.run.stats.Error(inv.contErr)
		inv.run.stats.failed.Add(int64(len(pending)))
	}
}

// sqsResponse lists the messages SQS must redeliver: undecodable ones,
// those not started, and those with an object that failed.
func (inv *invocation) sqsResponse() events.SQSEventResponse {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for i, n := range inv.ev.Notifications {
		if n.Err != nil || !inv.started[i] || failed(inv.results[i], inv.contErr) || inv.unstarted[i] && inv.contErr != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: n.MessageID})
		}
	}
	return resp
}

// invokeTimeout bounds the continuation's Invoke call.
const invokeTimeout = 10 * time.Second

// failed reports whether any of a notification's objects failed: its read
// or writes failed for good, or it was to be continued and the
// continuation could not be started.
func failed(rs []*Result, contErr error) bool {
	for _, r := range rs {
		if _, ok := r.Resume(); ok {
			if contErr != nil {
				return true
			}
			continue
		}
		if r.Err() != nil {
			return true
		}
	}
	return false
}

// deadlines returns when to stop reading and when to give up writing, from
// the invocation's deadline; zero times when there is no deadline or no
// way to continue.
func (h *Handler) deadlines(ctx context.Context, now time.Time) (stopAt, writeBy time.Time) {
	deadline, ok := ctx.Deadline()
	if !ok || h.Invoker == nil {
		return time.Time{}, time.Time{}
	}
	margin := h.Ingester.Config.SafetyMargin
	if margin <= 0 {
		margin = DefaultSafetyMargin
	}
	// Read for at least half the invocation, so that a short timeout
	// still makes progress.
	margin = min(margin, deadline.Sub(now)/2)
	// Writes in flight get three quarters of the margin; the last
	// quarter is for invoking the continuation.
	return deadline.Add(-margin), deadline.Add(-margin / 4)
}

// report writes the invocation's summary log line and metrics.
func (h *Handler) report(ctx context.Context, kind Kind, stats *Stats, began time.Time, err error, extra ...slog.Attr) {
	took := time.Since(began)
	s := stats.Summary()
	logger := h.Logger
	if logger == nil {
		logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	attrs := []slog.Attr{
		slog.String("stage", "ingest"),
		slog.String("event", string(kind)),
		slog.Int64("durationMs", took.Milliseconds()),
		slog.Any("summary", s),
	}
	attrs = append(attrs, extra...)
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		attrs = append(attrs, slog.String("requestId", lc.AwsRequestID))
	}
	level := slog.LevelInfo
	if err != nil || s.FailedObjects > 0 || s.ErrorCount > 0 {
		level = slog.LevelError
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	logger.LogAttrs(ctx, level, "ingest summary", attrs...)

	w := h.Metrics
	if w == nil {
		w = os.Stdout
	}
	if err := WriteEMF(w, h.Namespace, s, took, time.Now()); err != nil {
		logger.LogAttrs(ctx, slog.LevelWarn, "ingest metrics", slog.String("error", fmt.Sprint(err)))
	}
}
