package transform

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/elbstream/elbstream/transform/elblog"
)

// Lambda refuses a synchronous invocation's response larger than 6 MiB
// (the error names 6,291,556 bytes); Firehose invokes transformations
// synchronously, so the whole JSON response — base64 data and record
// envelopes included — must stay under it.
const (
	lambdaMaxResponseBytes = 6 << 20
	// DefaultMaxResponseBytes keeps 64 KiB of the limit spare.
	DefaultMaxResponseBytes = lambdaMaxResponseBytes - 64<<10
)

// FirehoseHandler is the Amazon Data Firehose data-transformation handler.
// It returns one response record per input record, with the same recordId:
//
//   - Ok, with the record's events, each followed by a newline — lines that
//     do not parse included, tagged _elbparsefailure;
//   - Dropped, when the record held only AWS control lines (or nothing):
//     there is nothing to deliver, and Firehose counts Dropped as success;
//   - ProcessingFailed, when the record cannot be deaggregated at all (KPL
//     checksum mismatch, malformed aggregate), or when its events would
//     push the response past MaxResponseBytes. Firehose writes such records,
//     with their original data, to the stream's S3 error prefix
//     (processing-failed/).
//
// Firehose deaggregates KPL records from a Kinesis source before invoking
// the function, which drops elbstream's provenance fields: events then
// carry no source object or offset. Aggregated input (Direct PUT of KPL
// records) is deaggregated here, provenance included.
//
// Firehose's Lambda buffer (ProcessingConfiguration BufferSizeInMBs) sets
// the input size; events are a few times larger than their lines and the
// response is base64 (1 MB of lines makes about 4.3 MB of response for
// ALB, 7.1 MB for CLB), so keep the buffer at 0.5 MB, or at most 1 MB (the
// default) for ALB and NLB lines only. Records over the limit are not
// lost but returned as ProcessingFailed.
type FirehoseHandler struct {
	// Encoder is the template of the encoders used (format, schema,
	// static fields); each invocation uses its own copy.
	Encoder elblog.Encoder
	// MaxResponseBytes bounds the JSON response. Default:
	// DefaultMaxResponseBytes.
	MaxResponseBytes int
	// Stats receives the counters. Default: none kept.
	Stats *Stats
	// Logger receives one summary line per invocation. Default: no
	// logging.
	Logger *slog.Logger

	pool sync.Pool // of *lineEncoder
}

// Handle transforms one Firehose batch. It returns an error only when ctx
// ends first; Firehose then retries the invocation.
func (h *FirehoseHandler) Handle(ctx context.Context, ev events.KinesisFirehoseEvent) (events.KinesisFirehoseResponse, error) {
	start := time.Now()
	le, _ := h.pool.Get().(*lineEncoder)
	if le == nil {
		if err := checkEncoder(&h.Encoder); err != nil {
			return events.KinesisFirehoseResponse{}, fmt.Errorf("firehose: %w", err)
		}
		le = newLineEncoder(&h.Encoder)
	}
	defer h.pool.Put(le)

	limit := h.MaxResponseBytes
	if limit <= 0 {
		limit = DefaultMaxResponseBytes
	}
	resp := events.KinesisFirehoseResponse{Records: make([]events.KinesisFirehoseResponseRecord, len(ev.Records))}
	var out []byte
	emit := func(ev, _ []byte, _ elblog.Provenance) error {
		out = append(out, ev...)
		out = append(out, '\n')
		return nil
	}
	var ok, dropped, failed, overflow int
	for i, r := range ev.Records {
		if err := ctx.Err(); err != nil {
			h.add(le)
			return events.KinesisFirehoseResponse{}, err
		}
		rec := events.KinesisFirehoseResponseRecord{RecordID: r.RecordID, Data: []byte{}}
		out = out[:0]
		origin, sub := "firehose:"+r.RecordID, int64(0)
		if m := r.KinesisFirehoseRecordMetadata; m.SequenceNumber != "" {
			origin, sub = "kinesis:"+m.SequenceNumber, m.SubsequenceNumber
		}
		err := le.record(r.Data, origin, sub, emit)
		if err != nil && !errors.As(err, new(errUndecodable)) {
			return events.KinesisFirehoseResponse{}, fmt.Errorf("firehose: record %s: %w", r.RecordID, err)
		}
		switch {
		case err != nil: // undecodable: nothing was emitted
			rec.Result = events.KinesisFirehoseTransformedStateProcessingFailed
			failed++
		case len(out) == 0:
			rec.Result = events.KinesisFirehoseTransformedStateDropped
			dropped++
		default:
			rec.Result = events.KinesisFirehoseTransformedStateOk
			rec.Data = bytes.Clone(out)
		}
		resp.Records[i] = rec
	}

	// Every record is answered. Start from the response in which every Ok
	// record failed, then give the Ok records their events, in order, while
	// the response stays under the limit; those that do not fit stay
	// ProcessingFailed.
	size := len(`{"records":[]}`) + max(len(resp.Records)-1, 0) // commas
	for i := range resp.Records {
		size += responseRecordSize(fallback(&resp.Records[i]))
	}
	for i := range resp.Records {
		rec := &resp.Records[i]
		if rec.Result != events.KinesisFirehoseTransformedStateOk {
			continue
		}
		grow := responseRecordSize(rec) - responseRecordSize(fallback(rec))
		if size+grow > limit {
			*rec = *fallback(rec)
			overflow++
			continue
		}
		size += grow
		ok++
	}
	parseFailures, last := le.c.parseFailures, le.c.lastFailure()
	h.add(le)
	if h.Logger != nil {
		level := slog.LevelInfo
		if overflow > 0 || failed > 0 {
			level = slog.LevelError
		}
		attrs := []slog.Attr{
			slog.Int("records", len(ev.Records)),
			slog.Int("ok", ok),
			slog.Int("dropped", dropped),
			slog.Int("undecodable", failed),
			slog.Int("over_response_limit", overflow),
			slog.Int64("parse_failures", parseFailures),
			slog.Int("response_bytes", size),
			slog.Int64("took_ms", time.Since(start).Milliseconds()),
		}
		if last != nil {
			attrs = append(attrs, slog.String("last_parse_failure", last.String()))
		}
		h.Logger.LogAttrs(ctx, level, "firehose: batch transformed", attrs...)
	}
	return resp, nil
}

func (h *FirehoseHandler) add(le *lineEncoder) {
	if h.Stats != nil {
		h.Stats.add(&le.c)
	}
	le.c = counts{}
}

// fallback is what rec becomes if its events do not fit in the response.
func fallback(rec *events.KinesisFirehoseResponseRecord) *events.KinesisFirehoseResponseRecord {
	if rec.Result != events.KinesisFirehoseTransformedStateOk {
		return rec
	}
	return &events.KinesisFirehoseResponseRecord{
		RecordID: rec.RecordID,
		Result:   events.KinesisFirehoseTransformedStateProcessingFailed,
		Data:     []byte{},
	}
}

// responseRecordSize is the size of rec in the JSON response as
// encoding/json, which aws-lambda-go uses, writes it: data in base64.
func responseRecordSize(rec *events.KinesisFirehoseResponseRecord) int {
	env := *rec
	env.Data = []byte{}
	b, err := json.Marshal(&env)
	if err != nil { // cannot happen for these types; count generously
		return 1 << 10
	}
	return len(b) + base64.StdEncoding.EncodedLen(len(rec.Data))
}
