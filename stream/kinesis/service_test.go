package kinesis_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/kinesis"
)

func TestPutErrorClassification(t *testing.T) {
	tests := []struct {
		status int
		code   string
		want   error // nil: not retryable
		as     any   // a pointer to the SDK type errors.As must find
	}{
		{400, "ProvisionedThroughputExceededException", stream.ErrThrottled, new(*types.ProvisionedThroughputExceededException)},
		{400, "KMSThrottlingException", stream.ErrThrottled, new(*types.KMSThrottlingException)},
		{400, "LimitExceededException", stream.ErrThrottled, new(*types.LimitExceededException)},
		{400, "ThrottlingException", stream.ErrThrottled, nil},
		{400, "ResourceNotFoundException", stream.ErrStreamNotFound, new(*types.ResourceNotFoundException)},
		{500, "InternalFailureException", stream.ErrTransient, new(*types.InternalFailureException)},
		{500, "InternalFailure", stream.ErrTransient, nil},
		{503, "ServiceUnavailable", stream.ErrTransient, nil},
		{400, "ResourceInUseException", stream.ErrTransient, new(*types.ResourceInUseException)},
		{400, "AccessDeniedException", nil, new(*types.AccessDeniedException)},
		{400, "KMSDisabledException", nil, new(*types.KMSDisabledException)},
		{400, "ValidationException", nil, new(*types.ValidationException)},
		{400, "InvalidArgumentException", nil, new(*types.InvalidArgumentException)},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status, " ", tt.code), func(t *testing.T) {
			f := newFakeService(t)
			f.Ops["PutRecords"] = fail(tt.status, tt.code)
			_, err := f.stream("logs").Put(context.Background(), entries(2, "x"))
			if err == nil {
				t.Fatal("Put succeeded")
			}
			for _, kind := range []error{stream.ErrThrottled, stream.ErrTransient, stream.ErrStreamNotFound, stream.ErrExpiredIterator} {
				if got := errors.Is(err, kind); got != (kind == tt.want) {
					t.Errorf("errors.Is(%v, %v) = %v", err, kind, got)
				}
			}
			if tt.want == nil && stream.IsRetryable(err) {
				t.Errorf("%v is retryable", err)
			}
			if tt.as != nil && !errors.As(err, tt.as) {
				t.Errorf("errors.As(%v, %T) = false", err, tt.as)
			}
		})
	}
}

// Listing errors are classified as Put's are: what a consumer retries
// (a stream not ACTIVE yet) and what it stops on (no stream, no access).
func TestListShardsErrorClassification(t *testing.T) {
	tests := []struct {
		code      string
		retryable bool
		is        error
	}{
		{"ResourceInUseException", true, stream.ErrTransient},
		{"LimitExceededException", true, stream.ErrThrottled},
		{"ResourceNotFoundException", false, stream.ErrStreamNotFound},
		{"AccessDeniedException", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			f := newFakeService(t)
			f.Ops["ListShards"] = fail(400, tt.code)
			_, err := f.stream("logs").Shards(context.Background())
			if err == nil {
				t.Fatal("Shards succeeded")
			}
			if got := stream.IsRetryable(err); got != tt.retryable {
				t.Errorf("IsRetryable(%v) = %v, want %v", err, got, tt.retryable)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.code) {
				t.Errorf("error %q does not name %s", err, tt.code)
			}
		})
	}
}

func TestNetworkFailuresAreTransient(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		f := newFakeService(t)
		s := f.stream("logs")
		f.srv.Close()
		_, err := s.Put(context.Background(), entries(1, "x"))
		if !errors.Is(err, stream.ErrTransient) {
			t.Errorf("Put to a closed endpoint = %v, want ErrTransient", err)
		}
	})
	t.Run("connection cut before the answer", func(t *testing.T) {
		f := newFakeService(t)
		f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.(*net.TCPConn).SetLinger(0) // reset, not a clean close
				conn.Close()
			}
		})
		_, err := f.stream("logs").Shards(context.Background())
		if !errors.Is(err, stream.ErrTransient) {
			t.Errorf("Shards over a reset connection = %v, want ErrTransient", err)
		}
	})
	t.Run("call times out", func(t *testing.T) {
		defer kinesis.SetCallTimeout(50 * time.Millisecond)()
		f := newFakeService(t)
		f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// A request lost on the way: no answer. (The server notices
			// the client hanging up only once the body is read.)
			io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
		})
		_, err := f.stream("logs").Shards(context.Background())
		if !errors.Is(err, stream.ErrTransient) {
			t.Errorf("Shards with no answer = %v, want ErrTransient", err)
		}
	})
	t.Run("context ends", func(t *testing.T) {
		f := newFakeService(t)
		ctx, cancel := context.WithCancel(context.Background())
		f.Ops["ListShards"] = func(map[string]any) (int, any) {
			cancel()
			return 500, apiErr("InternalFailure", "too late anyway")
		}
		_, err := f.stream("logs").Shards(ctx)
		if stream.IsRetryable(err) {
			t.Errorf("Shards with its context cancelled = %v, want not retryable", err)
		}
	})
}

func TestIterateErrorClassification(t *testing.T) {
	f := newFakeService(t)
	s := f.stream("logs")
	ctx := context.Background()

	f.Ops["GetShardIterator"] = fail(400, "ResourceNotFoundException")
	if _, err := s.Iterate(ctx, "shardId-000000000009", stream.Position{}); !errors.Is(err, stream.ErrShardNotFound) {
		t.Errorf("Iterate(missing shard) = %v, want ErrShardNotFound", err)
	}
	f.Ops["GetShardIterator"] = fail(400, "InvalidArgumentException")
	if _, err := s.Iterate(ctx, "shardId-000000000000", stream.At("42")); !errors.Is(err, stream.ErrInvalidPosition) {
		t.Errorf("Iterate(sequence of another shard) = %v, want ErrInvalidPosition", err)
	}
	f.Ops["GetShardIterator"] = fail(400, "ProvisionedThroughputExceededException")
	if _, err := s.Iterate(ctx, "shardId-000000000000", stream.Position{}); !errors.Is(err, stream.ErrThrottled) {
		t.Errorf("Iterate throttled = %v, want ErrThrottled", err)
	}

	f.Ops["GetShardIterator"] = ok(map[string]any{"ShardIterator": "it-1"})
	it, err := s.Iterate(ctx, "shardId-000000000000", stream.Position{})
	if err != nil {
		t.Fatal(err)
	}
	for code, want := range map[string]error{
		"ExpiredIteratorException":               stream.ErrExpiredIterator,
		"ProvisionedThroughputExceededException": stream.ErrThrottled,
		"KMSThrottlingException":                 stream.ErrThrottled,
		"ResourceNotFoundException":              stream.ErrShardNotFound,
	} {
		f.Ops["GetRecords"] = fail(400, code)
		if _, err := it.Next(ctx, 0); !errors.Is(err, want) {
			t.Errorf("Next after %s = %v, want %v", code, err, want)
		}
	}
}

func TestIteratorMapsRecordsAndBehindTip(t *testing.T) {
	f := newFakeService(t)
	arrival := time.Date(2026, 3, 1, 12, 0, 0, 250_000_000, time.UTC)
	f.Ops["GetShardIterator"] = ok(map[string]any{"ShardIterator": "it-1"})
	f.Ops["GetRecords"] = func(req map[string]any) (int, any) {
		if req["ShardIterator"] != "it-1" || req["Limit"] != float64(7) {
			t.Errorf("GetRecords(%v), want iterator it-1 and Limit 7", req)
		}
		return 200, map[string]any{
			"Records": []any{map[string]any{
				"Data":                        "aGVsbG8=", // "hello"
				"PartitionKey":                "pk",
				"SequenceNumber":              "4242",
				"ApproximateArrivalTimestamp": float64(arrival.UnixMilli()) / 1000,
			}},
			"NextShardIterator":  "it-2",
			"MillisBehindLatest": 1500,
		}
	}
	it, err := f.stream("logs").Iterate(context.Background(), "shardId-000000000000", stream.Position{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := it.Next(context.Background(), 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Records) != 1 || b.EndOfShard || b.BehindTip != 1500*time.Millisecond {
		t.Fatalf("batch %+v, want one record, 1.5s behind, not the end", b)
	}
	r := b.Records[0]
	if string(r.Data) != "hello" || r.PartitionKey != "pk" || r.SequenceNumber != "4242" || !r.ArrivalTime.Equal(arrival) {
		t.Errorf("record %+v", r)
	}
}

func TestPutMapsPerEntryResults(t *testing.T) {
	f := newFakeService(t)
	f.Ops["PutRecords"] = func(req map[string]any) (int, any) {
		recs := req["Records"].([]any)
		if len(recs) != 3 {
			t.Errorf("PutRecords with %d records, want 3", len(recs))
		}
		if first := recs[0].(map[string]any); first["PartitionKey"] != "key-0" || first["Data"] != "eC0wMDAw" {
			t.Errorf("first record %v", first)
		}
		if third := recs[2].(map[string]any); third["ExplicitHashKey"] != "12345" {
			t.Errorf("third record %v, want ExplicitHashKey 12345", third)
		}
		return 200, map[string]any{"FailedRecordCount": 2, "Records": []any{
			map[string]any{"ShardId": "shardId-000000000001", "SequenceNumber": "111"},
			map[string]any{"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded for shard shardId-000000000001"},
			map[string]any{"ErrorCode": "InternalFailure", "ErrorMessage": "Internal service failure."},
		}}
	}
	es := entries(3, "x")
	es[2].ExplicitHashKey = "12345"
	res, err := f.stream("logs").Put(context.Background(), es)
	if err != nil {
		t.Fatal(err)
	}
	want := []stream.PutResult{
		{ShardID: "shardId-000000000001", SequenceNumber: "111"},
		{ErrorCode: stream.ErrCodeThrottled, ErrorMessage: "Rate exceeded for shard shardId-000000000001"},
		{ErrorCode: stream.ErrCodeInternal, ErrorMessage: "Internal service failure."},
	}
	if fmt.Sprint(res) != fmt.Sprint(want) {
		t.Errorf("results %+v, want %+v", res, want)
	}

	f.Ops["PutRecords"] = ok(map[string]any{"Records": []any{map[string]any{"ShardId": "s", "SequenceNumber": "1"}}})
	if _, err := f.stream("logs").Put(context.Background(), es); !errors.Is(err, stream.ErrTransient) {
		t.Errorf("Put with 1 result for 3 entries = %v, want ErrTransient", err)
	}
}

func TestStreamARNAddressing(t *testing.T) {
	const arn = "arn:aws:kinesis:us-east-1:123456789012:stream/logs"
	f := newFakeService(t)
	f.Ops["DescribeStreamSummary"] = ok(map[string]any{"StreamDescriptionSummary": map[string]any{"StreamName": "logs", "StreamARN": arn, "StreamStatus": "ACTIVE"}})
	f.Ops["PutRecords"] = ok(map[string]any{"Records": []any{map[string]any{"ShardId": "shardId-000000000000", "SequenceNumber": "1"}}})
	f.Ops["ListShards"] = ok(map[string]any{"Shards": []any{shardJSON("shardId-000000000000", "", "", "0", "340282366920938463463374607431768211455", "")}})
	f.Ops["GetShardIterator"] = ok(map[string]any{"ShardIterator": "it-1"})
	f.Ops["GetRecords"] = ok(map[string]any{"Records": []any{}, "NextShardIterator": "it-2", "MillisBehindLatest": 0})

	s := f.stream(arn)
	ctx := context.Background()
	if _, err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, entries(1, "x")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Shards(ctx); err != nil {
		t.Fatal(err)
	}
	it, err := s.Iterate(ctx, "shardId-000000000000", stream.Position{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := it.Next(ctx, 0); err != nil {
		t.Fatal(err)
	}
	for _, c := range f.calls() {
		if c.Body["StreamARN"] != arn || c.Body["StreamName"] != nil {
			t.Errorf("%s sent StreamARN %v and StreamName %v, want the ARN alone", c.Op, c.Body["StreamARN"], c.Body["StreamName"])
		}
	}
	if len(f.calls()) != 5 {
		t.Errorf("%d calls, want 5", len(f.calls()))
	}
}

func TestOpenByARNUsesItsRegion(t *testing.T) {
	const arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/logs"
	f := newFakeService(t)
	f.Ops["DescribeStreamSummary"] = ok(map[string]any{"StreamDescriptionSummary": map[string]any{"StreamName": "logs", "StreamARN": arn, "StreamStatus": "ACTIVE"}})
	cfg := aws.Config{
		Region:       "us-west-2",
		BaseEndpoint: aws.String(f.srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("fake", "fake", ""),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
	if _, err := kinesis.Open(context.Background(), cfg, arn); err != nil {
		t.Fatal(err)
	}
	calls := f.calls()
	if len(calls) != 1 || !strings.Contains(calls[0].Authorization, "/eu-west-1/kinesis/") {
		t.Errorf("requests %+v, want one signed for eu-west-1", calls)
	}
}

func TestShardsPaginates(t *testing.T) {
	f := newFakeService(t)
	calls := 0
	f.Ops["ListShards"] = func(req map[string]any) (int, any) {
		calls++
		switch calls {
		case 1:
			if req["StreamName"] != "logs" || req["NextToken"] != nil {
				t.Errorf("first ListShards(%v), want the stream name and no token", req)
			}
			return 200, map[string]any{"NextToken": "page-2", "Shards": []any{
				shardJSON("shardId-000000000000", "", "", "0", "99", "500"),
				shardJSON("shardId-000000000001", "shardId-000000000000", "", "0", "49", ""),
			}}
		case 2:
			if req["NextToken"] != "page-2" || req["StreamName"] != nil || req["StreamARN"] != nil {
				t.Errorf("second ListShards(%v), want NextToken alone", req)
			}
			return 400, apiErr("ExpiredNextTokenException", "token expired")
		case 3:
			if req["StreamName"] != "logs" || req["ExclusiveStartShardId"] != "shardId-000000000001" {
				t.Errorf("restarted ListShards(%v), want the stream name and ExclusiveStartShardId shardId-000000000001", req)
			}
			return 200, map[string]any{"NextToken": "page-3", "Shards": []any{
				shardJSON("shardId-000000000002", "shardId-000000000000", "", "50", "99", ""),
			}}
		default:
			return 200, map[string]any{"Shards": []any{
				shardJSON("shardId-000000000003", "shardId-000000000001", "shardId-000000000002", "0", "99", ""),
			}}
		}
	}
	shards, err := f.stream("logs").Shards(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []stream.Shard{
		{ID: "shardId-000000000000", HashKeyStart: "0", HashKeyEnd: "99", StartingSequence: "100", EndingSequence: "500"},
		{ID: "shardId-000000000001", ParentID: "shardId-000000000000", HashKeyStart: "0", HashKeyEnd: "49", StartingSequence: "100"},
		{ID: "shardId-000000000002", ParentID: "shardId-000000000000", HashKeyStart: "50", HashKeyEnd: "99", StartingSequence: "100"},
		{ID: "shardId-000000000003", ParentID: "shardId-000000000001", AdjacentParentID: "shardId-000000000002", HashKeyStart: "0", HashKeyEnd: "99", StartingSequence: "100"},
	}
	if fmt.Sprint(shards) != fmt.Sprint(want) {
		t.Errorf("Shards() =\n%+v\nwant\n%+v", shards, want)
	}
}

func TestEndOfShardChildren(t *testing.T) {
	endWith := func(children ...string) func(map[string]any) (int, any) {
		return func(map[string]any) (int, any) {
			resp := map[string]any{
				"Records":            []any{map[string]any{"Data": "eA==", "PartitionKey": "k", "SequenceNumber": "7"}},
				"MillisBehindLatest": 0,
			}
			var cs []any
			for _, c := range children {
				cs = append(cs, map[string]any{"ShardId": c, "ParentShards": []any{"shardId-000000000000"},
					"HashKeyRange": map[string]any{"StartingHashKey": "0", "EndingHashKey": "1"}})
			}
			if cs != nil {
				resp["ChildShards"] = cs
			}
			return 200, resp
		}
	}

	t.Run("from the response", func(t *testing.T) {
		f := newFakeService(t)
		f.Ops["GetShardIterator"] = ok(map[string]any{"ShardIterator": "it-1"})
		f.Ops["GetRecords"] = endWith("shardId-000000000001", "shardId-000000000002")
		it, err := f.stream("logs").Iterate(context.Background(), "shardId-000000000000", stream.Position{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := it.Next(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if !b.EndOfShard || fmt.Sprint(b.ChildShards) != "[shardId-000000000001 shardId-000000000002]" || len(b.Records) != 1 {
			t.Errorf("batch %+v, want the last record, the end and both children", b)
		}
	})

	t.Run("listed when the response has none", func(t *testing.T) {
		f := newFakeService(t)
		f.Ops["GetShardIterator"] = ok(map[string]any{"ShardIterator": "it-1"})
		f.Ops["GetRecords"] = endWith()
		f.Ops["ListShards"] = fail(400, "LimitExceededException")
		it, err := f.stream("logs").Iterate(context.Background(), "shardId-000000000000", stream.Position{})
		if err != nil {
			t.Fatal(err)
		}
		// The listing is throttled: the batch is held, not lost.
		if _, err := it.Next(context.Background(), 0); !errors.Is(err, stream.ErrThrottled) {
			t.Fatalf("Next with ListShards throttled = %v, want ErrThrottled", err)
		}
		f.Ops["ListShards"] = ok(map[string]any{"Shards": []any{
			shardJSON("shardId-000000000000", "", "", "0", "9", "50"),
			shardJSON("shardId-000000000001", "", "", "10", "19", "60"),
			shardJSON("shardId-000000000002", "shardId-000000000000", "shardId-000000000001", "0", "19", ""),
			shardJSON("shardId-000000000003", "shardId-000000000002", "", "0", "9", ""),
		}})
		b, err := it.Next(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if !b.EndOfShard || fmt.Sprint(b.ChildShards) != "[shardId-000000000002]" || len(b.Records) != 1 || b.Records[0].SequenceNumber != "7" {
			t.Errorf("batch %+v, want the held record, the end and child 2", b)
		}
		gets := 0
		for _, c := range f.calls() {
			if c.Op == "GetRecords" {
				gets++
			}
		}
		if gets != 1 {
			t.Errorf("%d GetRecords calls, want 1", gets)
		}
		if _, err := it.Next(context.Background(), 0); err == nil {
			t.Error("Next after the end succeeded")
		}
	})
}

func TestLimitsFromStreamSummary(t *testing.T) {
	for _, tt := range []struct {
		kib                  any
		wantRecord, wantCall int
	}{
		{nil, 1 << 20, 5 << 20},
		{1024, 1 << 20, 5 << 20},
		{2048, 2 << 20, 10 << 20},
		{10240, 10 << 20, 10 << 20},
	} {
		f := newFakeService(t)
		sum := map[string]any{"StreamName": "logs", "StreamStatus": "ACTIVE"}
		if tt.kib != nil {
			sum["MaxRecordSizeInKiB"] = tt.kib
		}
		f.Ops["DescribeStreamSummary"] = ok(map[string]any{"StreamDescriptionSummary": sum})
		s := f.stream("logs")
		l, err := s.Refresh(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if l.MaxRecordBytes != tt.wantRecord || l.MaxPutBytes != tt.wantCall || l != s.Limits() {
			t.Errorf("MaxRecordSizeInKiB %v: limits %+v (Limits() %+v), want records of %d and requests of %d bytes",
				tt.kib, l, s.Limits(), tt.wantRecord, tt.wantCall)
		}
		if l.MaxPutEntries != 500 || l.MaxPartitionKey != 256 {
			t.Errorf("limits %+v, want 500 entries and 256-character keys", l)
		}
	}
}
