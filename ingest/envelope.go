package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Kind is the shape of the event a Lambda invocation received.
type Kind string

// Event shapes. SNS→SQS is KindSQS whose messages' bodies were SNS
// notifications.
const (
	KindS3           Kind = "s3"
	KindSNS          Kind = "sns"
	KindSQS          Kind = "sqs"
	KindEventBridge  Kind = "eventbridge"
	KindTestEvent    Kind = "s3-test-event"
	KindContinuation Kind = "continuation"
)

// maxNesting bounds envelope unwrapping (SNS in SQS is 2 levels).
const maxNesting = 4

// Event is a decoded Lambda event: what to read, and how to acknowledge it.
type Event struct {
	Kind Kind
	// Notifications holds one entry per SQS message for KindSQS, else one
	// entry for the whole event.
	Notifications []Notification
	// Continuation is set for KindContinuation.
	Continuation *Continuation
}

// Notification is what one S3 notification — or one SQS message — asked
// for.
type Notification struct {
	// MessageID is the SQS message id; "" outside SQS.
	MessageID string
	// Objects are the created objects announced, keys decoded.
	Objects []Object
	// Skipped lists a reason for each record that announced nothing to
	// read (test events, deletions, …).
	Skipped []string
	// Err is set when the message could not be decoded. In an SQS batch
	// only that message fails.
	Err error
}

// probe recognises an envelope by the members it has. encoding/json
// matches member names case-insensitively, so EventSource also catches
// SNS's capitalised "EventSource".
type probe struct {
	Records []struct {
		EventSource string `json:"eventSource"`
	} `json:"Records"`
	DetailType   string          `json:"detail-type"`
	Source       string          `json:"source"`
	Event        string          `json:"Event"`   // s3:TestEvent
	Type         string          `json:"Type"`    // an SNS message delivered to SQS
	Message      *string         `json:"Message"` // its payload
	Continuation json.RawMessage `json:"elbstreamContinuation"`
}

// DecodeEvent recognises a Lambda event — an S3 notification delivered
// directly, wrapped in SNS (Sns.Message), in SQS (body), in SNS then SQS,
// an EventBridge "Object Created" event (directly or through SQS), an
// s3:TestEvent, or an ingest continuation — and returns the objects it
// announces. Keys are URL-decoded as S3 notifications require ('+' is a
// space). An error means the event as a whole is not one of these shapes.
func DecodeEvent(raw []byte) (Event, error) {
	var p probe
	if err := json.Unmarshal(raw, &p); err != nil {
		return Event{}, fmt.Errorf("ingest: decode event: %w", err)
	}
	switch {
	case len(p.Continuation) > 0:
		var c Continuation
		if err := json.Unmarshal(p.Continuation, &c); err != nil {
			return Event{}, fmt.Errorf("ingest: decode continuation: %w", err)
		}
		return Event{Kind: KindContinuation, Continuation: &c}, nil
	case len(p.Records) > 0 && p.Records[0].EventSource == "aws:sqs":
		var e events.SQSEvent
		if err := json.Unmarshal(raw, &e); err != nil {
			return Event{}, fmt.Errorf("ingest: decode SQS event: %w", err)
		}
		ev := Event{Kind: KindSQS}
		for _, m := range e.Records {
			n, err := decodeBody([]byte(m.Body), 1)
			n.MessageID = m.MessageId
			if err != nil {
				n.Err = fmt.Errorf("SQS message %s: %w", m.MessageId, err)
			}
			ev.Notifications = append(ev.Notifications, n)
		}
		return ev, nil
	case len(p.Records) > 0 && p.Records[0].EventSource == "aws:sns":
		var e events.SNSEvent
		if err := json.Unmarshal(raw, &e); err != nil {
			return Event{}, fmt.Errorf("ingest: decode SNS event: %w", err)
		}
		var all Notification
		for _, r := range e.Records {
			n, err := decodeBody([]byte(r.SNS.Message), 1)
			if err != nil {
				return Event{}, fmt.Errorf("ingest: SNS message %s: %w", r.SNS.MessageID, err)
			}
			all.Objects = append(all.Objects, n.Objects...)
			all.Skipped = append(all.Skipped, n.Skipped...)
		}
		return Event{Kind: KindSNS, Notifications: []Notification{all}}, nil
	}
	n, err := decodeBody(raw, 0)
	if err != nil {
		return Event{}, fmt.Errorf("ingest: %w", err)
	}
	kind := KindS3
	switch {
	case p.DetailType != "":
		kind = KindEventBridge
	case p.Event != "":
		kind = KindTestEvent
	}
	return Event{Kind: kind, Notifications: []Notification{n}}, nil
}

// decodeBody decodes a payload that is, or wraps, S3 notifications: an S3
// event, an s3:TestEvent, an EventBridge event, or an SNS message (the body
// of an SQS message fed by SNS without raw delivery).
func decodeBody(raw []byte, depth int) (Notification, error) {
	if depth > maxNesting {
		return Notification{}, errors.New("envelopes nested too deep")
	}
	var p probe
	if err := json.Unmarshal(raw, &p); err != nil {
		return Notification{}, fmt.Errorf("decode: %w", err)
	}
	switch {
	case p.Event == "s3:TestEvent":
		return Notification{Skipped: []string{SkipTestEvent}}, nil
	case p.Type != "" && p.Message != nil:
		if p.Type != "Notification" {
			return Notification{Skipped: []string{SkipNotification}}, nil
		}
		return decodeBody([]byte(*p.Message), depth+1)
	case p.DetailType != "":
		return decodeEventBridge(raw, p)
	case len(p.Records) > 0:
		switch p.Records[0].EventSource {
		case "aws:s3":
			return decodeS3(raw)
		case "aws:sns":
			// An SNS Lambda event as an SQS body does not occur, but an
			// SNS-shaped payload is unwrapped all the same.
			var e events.SNSEvent
			if err := json.Unmarshal(raw, &e); err != nil {
				return Notification{}, fmt.Errorf("decode SNS event: %w", err)
			}
			var all Notification
			for _, r := range e.Records {
				n, err := decodeBody([]byte(r.SNS.Message), depth+1)
				if err != nil {
					return Notification{}, err
				}
				all.Objects = append(all.Objects, n.Objects...)
				all.Skipped = append(all.Skipped, n.Skipped...)
			}
			return all, nil
		}
		return Notification{}, fmt.Errorf("unknown record source %q", p.Records[0].EventSource)
	}
	return Notification{}, errors.New("not an S3 notification, SNS, SQS or EventBridge event")
}

func decodeS3(raw []byte) (Notification, error) {
	var e events.S3Event
	if err := json.Unmarshal(raw, &e); err != nil {
		// aws-lambda-go fails the whole event when a key does not
		// URL-decode.
		return Notification{}, fmt.Errorf("decode S3 event: %w", err)
	}
	var n Notification
	for _, r := range e.Records {
		// eventName is "ObjectCreated:Put", with an "s3:" prefix in
		// some deliveries.
		if !strings.HasPrefix(strings.TrimPrefix(r.EventName, "s3:"), "ObjectCreated:") {
			n.Skipped = append(n.Skipped, SkipNotCreated)
			continue
		}
		o := r.S3.Object
		n.Objects = append(n.Objects, Object{
			Bucket:    r.S3.Bucket.Name,
			Key:       o.URLDecodedKey,
			VersionID: o.VersionID,
			ETag:      trimETag(o.ETag),
			Size:      o.Size,
		})
	}
	return n, nil
}

// eventBridgeS3 is the detail of an S3 EventBridge event.
type eventBridgeS3 struct {
	Bucket struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key       string `json:"key"`
		Size      int64  `json:"size"`
		ETag      string `json:"etag"`
		VersionID string `json:"version-id"`
	} `json:"object"`
}

func decodeEventBridge(raw []byte, p probe) (Notification, error) {
	if p.Source != "aws.s3" {
		return Notification{}, fmt.Errorf("EventBridge event from %q, want aws.s3", p.Source)
	}
	if p.DetailType != "Object Created" {
		return Notification{Skipped: []string{SkipNotCreated}}, nil
	}
	var e events.CloudWatchEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		return Notification{}, fmt.Errorf("decode EventBridge event: %w", err)
	}
	var d eventBridgeS3
	if err := json.Unmarshal(e.Detail, &d); err != nil {
		return Notification{}, fmt.Errorf("decode EventBridge detail: %w", err)
	}
	o := Object{
		Bucket:    d.Bucket.Name,
		Key:       d.Object.Key,
		VersionID: d.Object.VersionID,
		ETag:      trimETag(d.Object.ETag),
		Size:      d.Object.Size,
	}
	// EventBridge keys are taken to be URL-encoded like notification keys
	// (AWS documents neither way); the raw spelling is kept as the
	// alternative, tried when the decoded one names no object or another
	// one (see Run.open).
	if k, err := url.QueryUnescape(o.Key); err == nil && k != o.Key {
		o.Key, o.AltKey = k, o.Key
	}
	return Notification{Objects: []Object{o}}, nil
}
