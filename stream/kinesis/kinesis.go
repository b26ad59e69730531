package kinesis

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/elbstream/elbstream/stream"
)

var _ stream.Stream = (*Stream)(nil)

// Stream is one Kinesis data stream. It is safe for concurrent use.
type Stream struct {
	client *kinesis.Client
	// Exactly one of name and arn is set. A stream opened by ARN is
	// addressed by StreamARN alone: that is what reaches a stream of
	// another account through its resource policy.
	name, arn string
	limits    atomic.Pointer[stream.Limits]
	reads     readPacer
}

// New returns the stream named nameOrARN (a stream name or a stream ARN)
// on client. It makes no call: its Limits are Kinesis's defaults until
// Refresh reads the stream's own. Open does both.
func New(client *kinesis.Client, nameOrARN string) (*Stream, error) {
	name, streamARN, err := parseStream(nameOrARN)
	if err != nil {
		return nil, err
	}
	s := &Stream{client: client, name: name, arn: streamARN}
	limits := stream.DefaultLimits()
	s.limits.Store(&limits)
	return s, nil
}

// Open returns the stream named nameOrARN (a stream name or a stream ARN)
// with a client made from cfg, and reads its limits; it fails with an error
// wrapping stream.ErrStreamNotFound when the stream does not exist. When
// nameOrARN is an ARN, its region is used whatever cfg says: the stream
// lives there, and requests sent to another region's endpoint would not
// find it.
//
// The endpoint and credentials come from cfg, which config.LoadDefaultConfig
// fills from the standard chain (AWS_ENDPOINT_URL_KINESIS included).
func Open(ctx context.Context, cfg aws.Config, nameOrARN string, optFns ...func(*kinesis.Options)) (*Stream, error) {
	if _, streamARN, err := parseStream(nameOrARN); err == nil && streamARN != "" {
		a, _ := arn.Parse(streamARN)
		cfg.Region = a.Region
	}
	s, err := New(kinesis.NewFromConfig(cfg, optFns...), nameOrARN)
	if err != nil {
		return nil, err
	}
	if _, err := s.Refresh(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Name returns the stream's name, as given or as the ARN ends.
func (s *Stream) Name() string {
	if s.arn != "" {
		a, _ := arn.Parse(s.arn)
		return strings.TrimPrefix(a.Resource, "stream/")
	}
	return s.name
}

// ARN returns the stream's ARN when it was opened by ARN, else "".
func (s *Stream) ARN() string { return s.arn }

// Refresh reads the stream's summary (DescribeStreamSummary) and sets its
// limits from it: MaxRecordBytes from MaxRecordSizeInKiB (1 MiB when the
// service does not report it) and MaxPutBytes from that (5 MiB, or 10 MiB
// for a stream that takes records larger than 1 MiB, as the PutRecords
// reference gives the limit for large records).
func (s *Stream) Refresh(ctx context.Context) (stream.Limits, error) {
	out, err := call(ctx, s.client.DescribeStreamSummary, &kinesis.DescribeStreamSummaryInput{
		StreamName: s.nameParam(),
		StreamARN:  s.arnParam(),
	})
	if err != nil {
		return stream.Limits{}, s.errorf(ctx, "describe stream summary", stream.ErrStreamNotFound, nil, err)
	}
	limits := stream.DefaultLimits()
	if sum := out.StreamDescriptionSummary; sum != nil && sum.MaxRecordSizeInKiB != nil && *sum.MaxRecordSizeInKiB > 0 {
		limits = limitsFor(int(*sum.MaxRecordSizeInKiB) << 10)
	}
	s.limits.Store(&limits)
	return limits, nil
}

// limitsFor returns the limits of a stream whose records may be up to
// maxRecord bytes.
func limitsFor(maxRecord int) stream.Limits {
	l := stream.DefaultLimits()
	l.MaxRecordBytes = maxRecord
	if maxRecord > stream.DefaultMaxRecordBytes {
		l.MaxPutBytes = maxLargePutBytes
	}
	return l
}

// maxLargePutBytes is the PutRecords request limit of a stream with records
// larger than 1 MiB ("each record can be as large as 10 MiB, up to a limit
// of 10 MiB for the entire request").
const maxLargePutBytes = 10 << 20

// Limits reports the limits Put enforces.
func (s *Stream) Limits() stream.Limits { return *s.limits.Load() }

// Close releases nothing: the SDK client holds no resource that needs it.
func (s *Stream) Close() error { return nil }

// nameParam and arnParam address the stream in a request: by name or by
// ARN, never both.
func (s *Stream) nameParam() *string {
	if s.name == "" {
		return nil
	}
	return aws.String(s.name)
}

func (s *Stream) arnParam() *string {
	if s.arn == "" {
		return nil
	}
	return aws.String(s.arn)
}

// streamName is what Kinesis accepts as a stream name.
var streamName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,128}$`)

// parseStream splits a stream name or ARN.
func parseStream(nameOrARN string) (name, streamARN string, err error) {
	if !arn.IsARN(nameOrARN) {
		if !streamName.MatchString(nameOrARN) {
			return "", "", fmt.Errorf("kinesis: %q is not a stream name (1-128 of a-z A-Z 0-9 _ . -) or a stream ARN", nameOrARN)
		}
		return nameOrARN, "", nil
	}
	a, err := arn.Parse(nameOrARN)
	if err != nil {
		return "", "", fmt.Errorf("kinesis: stream ARN %q: %w", nameOrARN, err)
	}
	n, ok := strings.CutPrefix(a.Resource, "stream/")
	if a.Service != "kinesis" || !ok || !streamName.MatchString(n) {
		return "", "", fmt.Errorf("kinesis: %q is not a Kinesis stream ARN (arn:PARTITION:kinesis:REGION:ACCOUNT:stream/NAME)", nameOrARN)
	}
	return "", nameOrARN, nil
}
