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
		h.report(ctx, "", nil, began, err)
		return nil, err
	}
	stopAt, writeBy := h.deadlines(ctx, began)
	run := h.Ingester.start(ctx, stopAt, writeBy)
	if h.clock != nil {
		run.now = h.clock
	}

	var hop int
	var tasks [][]Task // per notification
	if ev.Kind == KindContinuation {
		hop = ev.Continuation.Hop
		ev.Notifications = []Notification{{}}
		tasks = [][]Task{ev.Continuation.Tasks}
	} else {
		for _, n := range ev.Notifications {
			var ts []Task
			for _, o := range n.Objects {
				ts = append(ts, Task{Object: o})
			}
			tasks = append(tasks, ts)
		}
	}

	// Read, notification by notification.
	var (
		results   = make([][]*Result, len(ev.Notifications))
		started   = make([]bool, len(ev.Notifications)) // begun before the deadline stop
		unstarted = make([]bool, len(ev.Notifications)) // has objects left for the continuation
		rest      []Task                                // those objects
	)
	for i, n := range ev.Notifications {
		for _, reason := range n.Skipped {
			run.stats.Skip(reason)
		}
		if n.Err != nil {
			run.stats.Error(n.Err)
			continue
		}
		if run.Stopped() && ev.Kind == KindSQS {
			break // SQS redelivers the messages not started
		}
		started[i] = true
		for _, t := range tasks[i] {
			switch {
			case run.Stopped():
				rest = append(rest, t)
				unstarted[i] = true
			case t.Offset == 0 && ev.Kind != KindContinuation && h.Ingester.Config.Filter.Skip(t.Key) != "":
				results[i] = append(results[i], run.Skip(t, t.Object.String(), h.Ingester.Config.Filter.Skip(t.Key)))
			default:
				results[i] = append(results[i], run.Object(t))
			}
		}
	}
	run.Close()

	// Continue what was cut short: the objects in hand from their first
	// line not written, then those not started.
	var pending []Task
	progress := false
	for _, rs := range results {
		for _, r := range rs {
			if t, ok := r.Resume(); ok {
				pending = append(pending, t)
				progress = progress || t.Offset > r.Task.Offset
			} else {
				progress = true
			}
		}
	}
	pending = append(pending, rest...)
	var contErr error
	if len(pending) > 0 {
		switch {
		case !progress:
			contErr = errors.New("ingest: no progress before the deadline: raise the function timeout or lower the safety margin")
		case h.Invoker == nil:
			contErr = errors.New("ingest: objects left unfinished and no invoker to continue them")
		default:
			// Invoke even if ctx is about to end: the continuation is
			// what saves the work left.
			ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), invokeTimeout)
			contErr = invokeContinuation(ictx, h.Invoker, &Continuation{Tasks: pending, Hop: hop + 1})
			cancel()
		}
		if contErr == nil {
			run.stats.continued.Add(int64(len(pending)))
		} else {
			run.stats.Error(contErr)
			run.stats.failed.Add(int64(len(pending)))
		}
	}

	// Acknowledge.
	if ev.Kind == KindSQS {
		resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
		for i, n := range ev.Notifications {
			if n.Err != nil || !started[i] || failed(results[i], contErr) || unstarted[i] && contErr != nil {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: n.MessageID})
			}
		}
		h.report(ctx, ev.Kind, run, began, nil)
		return resp, nil
	}
	err = run.err()
	if err == nil && contErr != nil {
		err = contErr
	}
	if err == nil && len(ev.Notifications) == 1 && ev.Notifications[0].Err != nil {
		err = ev.Notifications[0].Err
	}
	h.report(ctx, ev.Kind, run, began, err)
	if err != nil {
		return nil, err
	}
	return run.stats.Summary(), nil
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
func (h *Handler) report(ctx context.Context, kind Kind, run *Run, began time.Time, err error) {
	took := time.Since(began)
	var s Summary
	if run != nil {
		s = run.stats.Summary()
	}
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
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		attrs = append(attrs, slog.String("requestId", lc.AwsRequestID))
	}
	level := slog.LevelInfo
	if err != nil || s.FailedObjects > 0 {
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
