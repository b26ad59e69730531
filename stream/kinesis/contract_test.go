package kinesis_test

// Tests of stream/kinesis against Kinesis Data Streams' documented
// API contracts, on the fake service (fakeservice_test.go).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream"
)

// shardRateLimiter answers GetRecords like Kinesis does for its documented
// "limit of five transactions per second per shard": a sixth call within a
// second is refused with ProvisionedThroughputExceededException.
type shardRateLimiter struct {
	mu        sync.Mutex
	calls     map[string][]time.Time // per shard, the accepted calls
	throttled map[string]int
}

func (l *shardRateLimiter) allow(shard string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	var recent []time.Time
	for _, c := range l.calls[shard] {
		if now.Sub(c) < 900*time.Millisecond { // a little slack for timer and network jitter
			recent = append(recent, c)
		}
	}
	if len(recent) >= 5 {
		l.throttled[shard]++
		l.calls[shard] = recent
		return false
	}
	l.calls[shard] = append(recent, now)
	return true
}

// backlogService serves shards shards, each with backlog records read one
// per GetRecords call (a shard well behind its tip: every call returns
// data), then empty at the tip. Iterators are "SHARD/N": the next record
// is N+1. behindEmpty empty batches, behind the tip, come first.
func backlogService(t *testing.T, shards, backlog, behindEmpty int, lim *shardRateLimiter) *fakeService {
	f := newFakeService(t)
	f.Ops["GetShardIterator"] = func(req map[string]any) (int, any) {
		return 200, map[string]any{"ShardIterator": fmt.Sprintf("%s/%d", req["ShardId"], -behindEmpty)}
	}
	f.Ops["GetRecords"] = func(req map[string]any) (int, any) {
		shard, nStr, _ := strings.Cut(req["ShardIterator"].(string), "/")
		n, _ := strconv.Atoi(nStr)
		if !lim.allow(shard) {
			return 400, apiErr("ProvisionedThroughputExceededException", "Rate exceeded for shard "+shard)
		}
		resp := map[string]any{"Records": []any{}, "NextShardIterator": fmt.Sprintf("%s/%d", shard, n), "MillisBehindLatest": 0}
		switch {
		case n < 0: // an empty stretch, behind the tip
			resp["NextShardIterator"] = fmt.Sprintf("%s/%d", shard, n+1)
			resp["MillisBehindLatest"] = 60000
		case n < backlog:
			resp["Records"] = []any{map[string]any{"Data": "eA==", "PartitionKey": "k", "SequenceNumber": strconv.Itoa(n + 1)}}
			resp["NextShardIterator"] = fmt.Sprintf("%s/%d", shard, n+1)
			resp["MillisBehindLatest"] = 60000
		}
		return 200, resp
	}
	return f
}

// TestReaderKeepsToFiveGetRecordsPerSecondPerShard reads several
// shards of one stream in one process, as a consumer does, each shard
// behind its tip. Kinesis: "This operation [GetRecords] has a limit of five
// transactions per second per shard" and "It is recommended that consumer
// applications retrieve records via the GetRecords command using the 5 TPS
// limit". A reader that keeps to the limit is never throttled.
func TestReaderKeepsToFiveGetRecordsPerSecondPerShard(t *testing.T) {
	for _, tt := range []struct {
		name         string
		backlog      int
		behindEmpty  int
		pollInterval time.Duration
	}{
		// Every call returns records: the reader asks again at once.
		{"backlog", 12, 0, 0},
		// Empty pages behind the tip, with a short PollInterval (what
		// forward/rewind.go uses): reader.go says it waits "no sooner than
		// the 5 GetRecords per second a shard allows".
		{"empty pages behind the tip, PollInterval 1ms", 0, 12, time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			const shards = 4
			lim := &shardRateLimiter{calls: map[string][]time.Time{}, throttled: map[string]int{}}
			f := backlogService(t, shards, tt.backlog, tt.behindEmpty, lim)
			s := f.stream("logs")
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var wg sync.WaitGroup
			errs := make([]error, shards)
			for i := range shards {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := &stream.Reader{Stream: s, ShardID: fmt.Sprintf("shardId-%012d", i), PollInterval: tt.pollInterval}
					for {
						b, err := r.Next(ctx)
						if err != nil {
							errs[i] = err
							return
						}
						if len(b.Records) == 0 && b.BehindTip == 0 {
							return // the tip
						}
					}
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			lim.mu.Lock()
			defer lim.mu.Unlock()
			total := 0
			for _, n := range lim.throttled {
				total += n
			}
			if total > 0 {
				t.Errorf("GetRecords throttled %d times over %d shards (per shard: %v): the reader calls a shard more than 5 times a second", total, shards, lim.throttled)
			}
		})
	}
}

// TestWaitActiveSurvivesAThrottledPoll: SplitShard succeeds, and
// one of the DescribeStream polls of the wait is throttled
// (DescribeStream: "This operation has a limit of 10 transactions per
// second per account"; LimitExceededException). The split was done; a
// throttled poll should be polled again, not fail the split with an error
// that tells the caller to retry it (a retried split of a closed shard
// cannot succeed).
func TestWaitActiveSurvivesAThrottledPoll(t *testing.T) {
	f := newFakeService(t)
	f.Ops["SplitShard"] = ok(map[string]any{})
	var mu sync.Mutex
	polls := 0
	f.Ops["DescribeStream"] = func(map[string]any) (int, any) {
		mu.Lock()
		defer mu.Unlock()
		polls++
		desc := func(status string) map[string]any {
			return map[string]any{"StreamDescription": map[string]any{
				"StreamName": "logs", "StreamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/logs",
				"StreamStatus": status, "Shards": []any{}, "HasMoreShards": false,
				"RetentionPeriodHours": 24, "StreamCreationTimestamp": 1, "EnhancedMonitoring": []any{},
			}}
		}
		switch polls {
		case 1:
			return 200, desc("UPDATING")
		case 2:
			return 400, apiErr("LimitExceededException", "Rate exceeded for stream logs under account 123456789012.")
		default:
			return 200, desc("ACTIVE")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := f.stream("logs").SplitShard(ctx, "shardId-000000000000", "170141183460469231731687303715884105728")
	if err != nil {
		t.Errorf("SplitShard = %v (retryable: %v) after %d polls; want nil: the split was accepted and the stream became ACTIVE", err, stream.IsRetryable(err), polls)
	}
}

// TestShardsMoreThanAThousand: ListShards returns at most 1,000
// shards a call ("If you specify a value greater than 1000, at most 1000
// results are returned"), NextToken excludes StreamName and StreamARN.
func TestShardsMoreThanAThousand(t *testing.T) {
	const total = 2500
	for _, name := range []string{"logs", "arn:aws:kinesis:us-east-1:123456789012:stream/logs"} {
		t.Run(name, func(t *testing.T) {
			f := newFakeService(t)
			f.Ops["ListShards"] = func(req map[string]any) (int, any) {
				from := 0
				if tok, ok := req["NextToken"].(string); ok {
					if req["StreamName"] != nil || req["StreamARN"] != nil || req["ExclusiveStartShardId"] != nil {
						return 400, apiErr("InvalidArgumentException", "NextToken and StreamName/StreamARN/ExclusiveStartShardId cannot be provided together.")
					}
					from, _ = strconv.Atoi(strings.TrimPrefix(tok, "t-"))
				} else if req["StreamName"] == nil && req["StreamARN"] == nil {
					return 400, apiErr("InvalidArgumentException", "no stream")
				}
				max := 1000
				if m, ok := req["MaxResults"].(float64); ok && int(m) < max {
					max = int(m)
				}
				var page []any
				for i := from; i < total && len(page) < max; i++ {
					page = append(page, shardJSON(fmt.Sprintf("shardId-%012d", i), "", "", "0", "1", ""))
				}
				resp := map[string]any{"Shards": page}
				if from+len(page) < total {
					resp["NextToken"] = fmt.Sprintf("t-%d", from+len(page))
				}
				return 200, resp
			}
			shards, err := f.stream(name).Shards(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(shards) != total || shards[0].ID != "shardId-000000000000" || shards[total-1].ID != fmt.Sprintf("shardId-%012d", total-1) {
				t.Errorf("%d shards, want %d", len(shards), total)
			}
			if n := len(f.calls()); n != 3 {
				t.Errorf("%d ListShards calls, want 3", n)
			}
		})
	}
}

// TestExpiredIteratorMidStream: the iterator expires after a batch
// was returned; the reader opens AFTER_SEQUENCE_NUMBER of the last record
// returned and nothing is skipped or repeated.
func TestExpiredIteratorMidStream(t *testing.T) {
	f := newFakeService(t)
	var mu sync.Mutex
	var iters []map[string]any
	f.Ops["GetShardIterator"] = func(req map[string]any) (int, any) {
		mu.Lock()
		defer mu.Unlock()
		iters = append(iters, req)
		return 200, map[string]any{"ShardIterator": fmt.Sprintf("it-%d", len(iters))}
	}
	rec := func(seq string) map[string]any {
		return map[string]any{"Data": "eA==", "PartitionKey": "k", "SequenceNumber": seq}
	}
	f.Ops["GetRecords"] = func(req map[string]any) (int, any) {
		switch req["ShardIterator"] {
		case "it-1":
			return 200, map[string]any{"Records": []any{rec("10"), rec("11"), rec("12")}, "NextShardIterator": "it-1b", "MillisBehindLatest": 5}
		case "it-1b":
			return 400, apiErr("ExpiredIteratorException", "Iterator expired. The iterator was created at time ... while right now it is ...")
		case "it-2":
			return 200, map[string]any{"Records": []any{rec("13")}, "NextShardIterator": "it-2b", "MillisBehindLatest": 0}
		}
		return 200, map[string]any{"Records": []any{}, "NextShardIterator": req["ShardIterator"], "MillisBehindLatest": 0}
	}
	r := &stream.Reader{Stream: f.stream("logs"), ShardID: "shardId-000000000000"}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var seqs []string
	for range 2 {
		b, err := r.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, rc := range b.Records {
			seqs = append(seqs, rc.SequenceNumber)
		}
	}
	if fmt.Sprint(seqs) != "[10 11 12 13]" {
		t.Errorf("read %v, want [10 11 12 13]", seqs)
	}
	if len(iters) != 2 || iters[1]["ShardIteratorType"] != "AFTER_SEQUENCE_NUMBER" || iters[1]["StartingSequenceNumber"] != "12" {
		t.Errorf("GetShardIterator requests %v, want TRIM_HORIZON then AFTER_SEQUENCE_NUMBER 12", iters)
	}
}

// TestResourceInUseWhileUpdating: calls answered ResourceInUseException
// while a reshard is under way are retried and pass once it is done.
func TestResourceInUseWhileUpdating(t *testing.T) {
	inUse := func(n *int, then func(map[string]any) (int, any)) func(map[string]any) (int, any) {
		return func(req map[string]any) (int, any) {
			if *n > 0 {
				*n--
				return 400, apiErr("ResourceInUseException", "Stream logs under account 123456789012 not ACTIVE, instead in state UPDATING")
			}
			return then(req)
		}
	}
	f := newFakeService(t)
	listN, iterN, putN := 2, 2, 2
	f.Ops["ListShards"] = inUse(&listN, ok(map[string]any{"Shards": []any{shardJSON("shardId-000000000000", "", "", "0", "1", "")}}))
	f.Ops["GetShardIterator"] = inUse(&iterN, ok(map[string]any{"ShardIterator": "it"}))
	f.Ops["GetRecords"] = ok(map[string]any{"Records": []any{map[string]any{"Data": "eA==", "PartitionKey": "k", "SequenceNumber": "1"}}, "NextShardIterator": "it2", "MillisBehindLatest": 0})
	f.Ops["PutRecords"] = inUse(&putN, ok(map[string]any{"Records": []any{map[string]any{"ShardId": "shardId-000000000000", "SequenceNumber": "2"}}}))
	s := f.stream("logs")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	_, err := s.Shards(ctx)
	if !stream.IsRetryable(err) {
		t.Errorf("Shards while UPDATING = %v, want retryable", err)
	}
	r := &stream.Reader{Stream: s, ShardID: "shardId-000000000000"}
	if b, err := r.Next(ctx); err != nil || len(b.Records) != 1 {
		t.Errorf("Reader.Next while UPDATING = %+v, %v", b, err)
	}
	accepted := 0
	err = stream.PutAll(ctx, s, entries(1, "x"), stream.PutRetry{MinBackoff: time.Millisecond}, func(i int, r stream.PutResult) {
		if r.OK() {
			accepted++
		}
	})
	if err != nil || accepted != 1 {
		t.Errorf("PutAll while UPDATING = %v, %d accepted", err, accepted)
	}
}

// TestFinalErrorsNameTheirCause: errors retrying cannot cure fail at
// once, not retryable, and the message names the service's code; those
// that pass are retryable.
func TestFinalErrorsNameTheirCause(t *testing.T) {
	tests := []struct {
		code      string
		retryable bool
	}{
		{"KMSAccessDeniedException", false},
		{"KMSDisabledException", false},
		{"KMSInvalidStateException", false},
		{"KMSNotFoundException", false},
		{"KMSOptInRequired", false},
		{"AccessDeniedException", false},
		{"ValidationException", false},
		{"UnrecognizedClientException", false},
		{"KMSThrottlingException", true},
		{"ProvisionedThroughputExceededException", true},
		{"InternalFailureException", true},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			status := http.StatusBadRequest
			if tt.code == "InternalFailureException" {
				status = 500
			}
			f := newFakeService(t)
			f.Ops["PutRecords"] = fail(status, tt.code)
			f.Ops["GetShardIterator"] = ok(map[string]any{"ShardIterator": "it"})
			f.Ops["GetRecords"] = fail(status, tt.code)
			s := f.stream("logs")
			_, perr := s.Put(context.Background(), entries(1, "x"))
			it, err := s.Iterate(context.Background(), "shardId-000000000000", stream.Position{})
			if err != nil {
				t.Fatal(err)
			}
			_, gerr := it.Next(context.Background(), 0)
			for op, err := range map[string]error{"Put": perr, "Next": gerr} {
				if err == nil || stream.IsRetryable(err) != tt.retryable || !strings.Contains(err.Error(), tt.code) || errors.Is(err, io.EOF) {
					t.Errorf("%s = %v (retryable %v), want retryable=%v naming %s", op, err, stream.IsRetryable(err), tt.retryable, tt.code)
				}
			}
		})
	}
}

// pacedStream wraps a stream so that each iterator's GetRecords calls are
// at least 200ms apart: what a reader keeping to 5 calls a second does.
type pacedStream struct{ stream.Stream }

func (p pacedStream) Iterate(ctx context.Context, shardID string, from stream.Position) (stream.Iterator, error) {
	it, err := p.Stream.Iterate(ctx, shardID, from)
	if err != nil {
		return nil, err
	}
	return &pacedIterator{it: it}, nil
}

type pacedIterator struct {
	it   stream.Iterator
	last time.Time
}

func (p *pacedIterator) Next(ctx context.Context, max int) (stream.Batch, error) {
	if d := 200*time.Millisecond - time.Since(p.last); d > 0 {
		time.Sleep(d)
	}
	p.last = time.Now()
	return p.it.Next(ctx, max)
}

// TestRateLimiterControl shows that the limiter of
// TestReaderKeepsToFiveGetRecordsPerSecondPerShard lets a reader that
// keeps to 5 GetRecords a second per shard through unthrottled.
func TestRateLimiterControl(t *testing.T) {
	const shards = 4
	lim := &shardRateLimiter{calls: map[string][]time.Time{}, throttled: map[string]int{}}
	f := backlogService(t, shards, 8, 4, lim)
	s := pacedStream{f.stream("logs")}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &stream.Reader{Stream: s, ShardID: fmt.Sprintf("shardId-%012d", i), PollInterval: time.Millisecond}
			for {
				b, err := r.Next(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if len(b.Records) == 0 && b.BehindTip == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	lim.mu.Lock()
	defer lim.mu.Unlock()
	if len(lim.throttled) != 0 {
		t.Errorf("a paced reader was throttled: %v", lim.throttled)
	}
}
