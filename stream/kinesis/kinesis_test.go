package kinesis_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/elbstream/elbstream/internal/testenv"
	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/kinesis"
	"github.com/elbstream/elbstream/stream/kinesis/kinesistest"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func entries(n int, prefix string) []stream.Entry {
	es := make([]stream.Entry, n)
	for i := range es {
		es[i] = stream.Entry{
			Data:         []byte(fmt.Sprintf("%s-%04d", prefix, i)),
			PartitionKey: fmt.Sprintf("key-%d", i),
		}
	}
	return es
}

// readShard reads a shard from from until an empty batch (the tip) or its
// end, with a Reader.
func readShard(t *testing.T, s stream.Stream, shardID string, from stream.Position) []stream.Record {
	t.Helper()
	ctx := ctxT(t)
	r := &stream.Reader{Stream: s, ShardID: shardID, From: from, PollInterval: 10 * time.Millisecond}
	var recs []stream.Record
	for {
		b, err := r.Next(ctx)
		if err == io.EOF {
			return recs
		}
		if err != nil {
			t.Fatalf("read %s: %v", shardID, err)
		}
		recs = append(recs, b.Records...)
		if len(b.Records) == 0 && !b.EndOfShard {
			return recs
		}
	}
}

func TestOpen(t *testing.T) {
	client := kinesistest.Client(t)
	name := kinesistest.CreateStream(t, client, 2)

	s, err := kinesis.Open(ctxT(t), testenv.AWSConfig(t), name)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != name {
		t.Errorf("Name() = %q, want %q", s.Name(), name)
	}
	// Kinesalite reports no MaxRecordSizeInKiB: Kinesis's defaults apply.
	if got := s.Limits(); got != stream.DefaultLimits() {
		t.Errorf("Limits() = %+v, want the defaults %+v", got, stream.DefaultLimits())
	}

	_, err = kinesis.Open(ctxT(t), testenv.AWSConfig(t), name+"-missing")
	if !errors.Is(err, stream.ErrStreamNotFound) {
		t.Errorf("Open(missing) = %v, want ErrStreamNotFound", err)
	}
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("Open(missing) = %v, want the SDK's ResourceNotFoundException reachable with errors.As", err)
	}
	if stream.IsRetryable(err) {
		t.Errorf("Open(missing) = %v is retryable", err)
	}
}

func TestNewRejectsBadNames(t *testing.T) {
	for _, name := range []string{
		"", "has space", "arn:aws:s3:::bucket", "arn:aws:kinesis:us-east-1:123456789012:deliverystream/x",
		"arn:aws:kinesis:us-east-1:123456789012:stream/", string(bytes.Repeat([]byte("a"), 129)),
	} {
		if _, err := kinesis.New(nil, name); err == nil {
			t.Errorf("New(%q) succeeded", name)
		}
	}
	s, err := kinesis.New(nil, "arn:aws:kinesis:eu-west-1:123456789012:stream/logs.raw")
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != "logs.raw" || s.ARN() != "arn:aws:kinesis:eu-west-1:123456789012:stream/logs.raw" {
		t.Errorf("Name() = %q, ARN() = %q", s.Name(), s.ARN())
	}
}

func TestPutAndReadEveryShard(t *testing.T) {
	s := kinesistest.NewStream(t, 4)
	ctx := ctxT(t)

	es := entries(200, "rec")
	res, err := s.Put(ctx, es)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(es) {
		t.Fatalf("%d results for %d entries", len(res), len(es))
	}
	shardOf := map[string]string{} // data → shard the put reported
	for i, r := range res {
		if !r.OK() || r.SequenceNumber == "" || r.ShardID == "" {
			t.Fatalf("result %d = %+v, want a shard and a sequence number", i, r)
		}
		shardOf[string(es[i].Data)] = r.ShardID
	}

	shards, err := s.Shards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(shards) != 4 {
		t.Fatalf("%d shards, want 4", len(shards))
	}
	// Hash ranges tile the 128-bit space, in shard order.
	next := big.NewInt(0)
	for _, sh := range shards {
		start, _ := new(big.Int).SetString(sh.HashKeyStart, 10)
		end, _ := new(big.Int).SetString(sh.HashKeyEnd, 10)
		if start == nil || end == nil || start.Cmp(next) != 0 || end.Cmp(start) < 0 {
			t.Fatalf("shard %s covers [%s, %s], want it to start at %s", sh.ID, sh.HashKeyStart, sh.HashKeyEnd, next)
		}
		next.Add(end, big.NewInt(1))
		if sh.Closed() || sh.ParentID != "" || sh.StartingSequence == "" {
			t.Errorf("shard %+v: want open, without parent, with a starting sequence", sh)
		}
	}
	if want := new(big.Int).Lsh(big.NewInt(1), 128); next.Cmp(want) != 0 {
		t.Errorf("shards end at %s, want 2^128", next)
	}

	seen := 0
	for _, sh := range shards {
		recs := readShard(t, s, sh.ID, stream.Position{Kind: stream.TrimHorizon})
		for i, r := range recs {
			if got := shardOf[string(r.Data)]; got != sh.ID {
				t.Errorf("%q read from %s, Put said %s", r.Data, sh.ID, got)
			}
			if i > 0 && stream.CompareSequence(recs[i-1].SequenceNumber, r.SequenceNumber) >= 0 {
				t.Errorf("shard %s: sequence %s after %s", sh.ID, r.SequenceNumber, recs[i-1].SequenceNumber)
			}
			if r.ArrivalTime.IsZero() || r.PartitionKey == "" {
				t.Errorf("record %+v: want an arrival time and a partition key", r)
			}
		}
		seen += len(recs)
	}
	if seen != len(es) {
		t.Errorf("read %d records, wrote %d", seen, len(es))
	}
}

func TestPositions(t *testing.T) {
	s := kinesistest.NewStream(t, 1)
	ctx := ctxT(t)
	shards, err := s.Shards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	shard := shards[0].ID

	res, err := s.Put(ctx, entries(5, "a"))
	if err != nil {
		t.Fatal(err)
	}
	latest, err := s.Iterate(ctx, shard, stream.Position{Kind: stream.Latest})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, entries(3, "b")); err != nil {
		t.Fatal(err)
	}

	data := func(recs []stream.Record) string {
		var out []string
		for _, r := range recs {
			out = append(out, string(r.Data))
		}
		return fmt.Sprint(out)
	}
	tests := []struct {
		name string
		from stream.Position
		want string
	}{
		{"at", stream.At(res[2].SequenceNumber), "[a-0002 a-0003 a-0004 b-0000 b-0001 b-0002]"},
		{"after", stream.After(res[2].SequenceNumber), "[a-0003 a-0004 b-0000 b-0001 b-0002]"},
		{"after last", stream.After(res[4].SequenceNumber), "[b-0000 b-0001 b-0002]"},
		{"since long ago", stream.Since(time.Now().Add(-time.Hour)), "[a-0000 a-0001 a-0002 a-0003 a-0004 b-0000 b-0001 b-0002]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := data(readShard(t, s, shard, tt.from)); got != tt.want {
				t.Errorf("read %s, want %s", got, tt.want)
			}
		})
	}

	b, err := latest.Next(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := data(b.Records); got != "[b-0000 b-0001 b-0002]" {
		t.Errorf("from Latest read %s, want the records put after the iterator opened", got)
	}

	for _, from := range []stream.Position{
		stream.At(""), stream.After("12345"), {Kind: stream.AtTimestamp}, {Kind: stream.PositionKind(99)},
	} {
		if _, err := s.Iterate(ctx, shard, from); !errors.Is(err, stream.ErrInvalidPosition) {
			t.Errorf("Iterate(%+v) = %v, want ErrInvalidPosition", from, err)
		}
	}
	if _, err := s.Iterate(ctx, "shardId-000000000042", stream.Position{}); !errors.Is(err, stream.ErrShardNotFound) {
		t.Errorf("Iterate(unknown shard) = %v, want ErrShardNotFound", err)
	}
}

func TestPutLimits(t *testing.T) {
	s := kinesistest.NewStream(t, 1)
	ctx := ctxT(t)
	limits := s.Limits()

	// At the limits: 500 entries, and records of exactly the maximum size
	// filling a request to the byte limit.
	if res, err := s.Put(ctx, entries(limits.MaxPutEntries, "max")); err != nil || len(res) != limits.MaxPutEntries {
		t.Fatalf("Put(%d entries) = %d results, %v", limits.MaxPutEntries, len(res), err)
	}
	key := "k"
	big := make([]stream.Entry, limits.MaxPutBytes/limits.MaxRecordBytes)
	for i := range big {
		big[i] = stream.Entry{Data: make([]byte, limits.MaxRecordBytes-len(key)), PartitionKey: key}
	}
	res, err := s.Put(ctx, big)
	if err != nil {
		t.Fatalf("Put(%d records of %d bytes) = %v", len(big), limits.MaxRecordBytes, err)
	}
	for i, r := range res {
		if !r.OK() {
			t.Errorf("record %d: %+v", i, r)
		}
	}

	over := []struct {
		name    string
		entries []stream.Entry
	}{
		{"too many entries", entries(limits.MaxPutEntries+1, "x")},
		{"record too large", []stream.Entry{{Data: make([]byte, limits.MaxRecordBytes), PartitionKey: key}}},
		{"request too large", append(slices.Clone(big), stream.Entry{Data: []byte("x"), PartitionKey: key})},
		{"no partition key", []stream.Entry{{Data: []byte("x")}}},
		{"partition key too long", []stream.Entry{{Data: []byte("x"), PartitionKey: string(bytes.Repeat([]byte("k"), 257))}}},
	}
	for _, tt := range over {
		if _, err := s.Put(ctx, tt.entries); err == nil || stream.IsRetryable(err) {
			t.Errorf("%s: Put = %v, want a final error", tt.name, err)
		}
	}
	// Kinesis counts partition keys in characters: 256 of them is fine
	// even when they take more bytes.
	wide := []stream.Entry{{Data: []byte("x"), PartitionKey: string(bytes.Repeat([]byte("é"), 256))}}
	if _, err := s.Put(ctx, wide); err != nil {
		t.Errorf("Put(256-character key) = %v", err)
	}
	if res, err := s.Put(ctx, nil); err != nil || len(res) != 0 {
		t.Errorf("Put(nil) = %v, %v; want nothing", res, err)
	}
}

func TestPutToMissingStream(t *testing.T) {
	s, err := kinesis.New(kinesistest.Client(t), kinesistest.UniqueName(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Put(ctxT(t), entries(1, "x"))
	if !errors.Is(err, stream.ErrStreamNotFound) {
		t.Errorf("Put = %v, want ErrStreamNotFound", err)
	}
	if _, err := s.Shards(ctxT(t)); !errors.Is(err, stream.ErrStreamNotFound) {
		t.Errorf("Shards = %v, want ErrStreamNotFound", err)
	}
}

func TestSequenceNumbersIncrease(t *testing.T) {
	s := kinesistest.NewStream(t, 1)
	ctx := ctxT(t)
	var last string
	for i := range 5 {
		res, err := s.Put(ctx, []stream.Entry{{Data: []byte(strconv.Itoa(i)), PartitionKey: "k"}})
		if err != nil {
			t.Fatal(err)
		}
		if stream.CompareSequence(last, res[0].SequenceNumber) >= 0 {
			t.Fatalf("sequence %s after %s", res[0].SequenceNumber, last)
		}
		last = res[0].SequenceNumber
	}
}

// TestReaderFollowsTheTip reads an open shard at its tip while records
// arrive: empty batches, then the new records, in order.
func TestReaderFollowsTheTip(t *testing.T) {
	s := kinesistest.NewStream(t, 1)
	ctx := ctxT(t)
	r := &stream.Reader{Stream: s, ShardID: "shardId-000000000000", From: stream.Position{Kind: stream.Latest}, PollInterval: 10 * time.Millisecond}

	b, err := r.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Records) != 0 || b.EndOfShard || b.BehindTip != 0 {
		t.Fatalf("first batch at Latest: %+v, want empty at the tip", b)
	}
	var got []string
	for round := 0; len(got) < 30; round++ {
		if round < 3 {
			if _, err := s.Put(ctx, entries(10, fmt.Sprint("round", round))); err != nil {
				t.Fatal(err)
			}
		}
		b, err := r.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range b.Records {
			got = append(got, string(rec.Data))
		}
		if round > 100 {
			t.Fatalf("after %d batches read %d records, want 30", round, len(got))
		}
	}
	if len(got) != 30 || got[0] != "round0-0000" || got[29] != "round2-0009" {
		t.Errorf("read %v", got)
	}
	if r.Last() == "" {
		t.Error("Last() is empty after reading")
	}
}
