package streamtest

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/elbstream/elbstream/stream"
)

// checkShape fails t unless every result is either a success with a shard
// and a sequence number, or a failure with an error code and neither.
func checkShape(t *testing.T, es []stream.Entry, rs []stream.PutResult) {
	t.Helper()
	if len(rs) != len(es) {
		t.Fatalf("put %d entries: got %d results", len(es), len(rs))
	}
	seqs := map[string]bool{}
	for i, r := range rs {
		switch {
		case r.OK() && (r.ShardID == "" || r.SequenceNumber == ""):
			t.Fatalf("entry %d: success without shard or sequence: %+v", i, r)
		case !r.OK() && r.SequenceNumber != "":
			t.Fatalf("entry %d: failure %s with a sequence number: %+v", i, r.ErrorCode, r)
		case r.OK():
			id := r.ShardID + "/" + r.SequenceNumber
			if seqs[id] {
				t.Fatalf("entry %d: sequence %s on %s given twice in one put", i, r.SequenceNumber, r.ShardID)
			}
			seqs[id] = true
		}
	}
}

// testPutResults checks one result per entry, in entry order: each entry's
// record is found under the shard and sequence its result names.
func testPutResults(t *testing.T, newStream NewStream) {
	ctx := testContext(t)
	s := newStream(t, 2)
	es := entries("result", 100, spreadKeys)
	rs, err := s.Put(ctx, es)
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	checkShape(t, es, rs)
	// A real service may throttle some entries: the helper retries them.
	var failed []int
	for i, r := range rs {
		if !r.OK() {
			failed = append(failed, i)
		}
	}
	if len(failed) > 0 {
		again := make([]stream.Entry, len(failed))
		for j, i := range failed {
			again[j] = es[i]
		}
		for j, r := range putAll(ctx, t, s, again) {
			rs[failed[j]] = r
		}
	}
	checkReadBack(t, es, rs, readAll(ctx, t, s))

	// An empty put is no error and has no results.
	if rs, err := s.Put(ctx, nil); err != nil || len(rs) != 0 {
		t.Fatalf("empty put: %d results, %v", len(rs), err)
	}
}

// testPartialFailure checks that entries failed by the backend are
// reported per entry, are not written, and succeed when put again alone.
func testPartialFailure(t *testing.T, newStream NewStream) {
	ctx := testContext(t)
	s := newStream(t, 2)
	inj, ok := s.(PutFaultInjector)
	if !ok {
		t.Skip("backend cannot inject put failures (result shape is checked by PutResults)")
	}
	es := entries("partial", 40, spreadKeys)
	code := func(e stream.Entry) string {
		var i int
		fmt.Sscanf(string(e.Data), "partial-%d", &i)
		switch i % 4 {
		case 1:
			return stream.ErrCodeThrottled
		case 3:
			return stream.ErrCodeInternal
		}
		return ""
	}
	inj.InjectPutFaults(func(_ string, e stream.Entry) string { return code(e) })
	rs, err := s.Put(ctx, es)
	inj.InjectPutFaults(nil)
	if err != nil {
		t.Fatalf("put with injected failures: %v (partial failure is not an error of the call)", err)
	}
	checkShape(t, es, rs)
	var retry []stream.Entry
	var retryAt []int
	for i, r := range rs {
		want := code(es[i])
		if r.ErrorCode != want {
			t.Fatalf("entry %d: error code %q, want %q", i, r.ErrorCode, want)
		}
		if want != "" {
			if r.ErrorMessage == "" {
				t.Fatalf("entry %d: failed with %s but no message", i, r.ErrorCode)
			}
			retry = append(retry, es[i])
			retryAt = append(retryAt, i)
		}
	}
	// Only the successes are readable.
	var okEntries []stream.Entry
	var okResults []stream.PutResult
	for i, r := range rs {
		if r.OK() {
			okEntries, okResults = append(okEntries, es[i]), append(okResults, r)
		}
	}
	checkReadBack(t, okEntries, okResults, readAll(ctx, t, s))

	// Retried alone, the failed ones go through; everything is there once.
	for j, r := range putAll(ctx, t, s, retry) {
		rs[retryAt[j]] = r
	}
	checkReadBack(t, es, rs, readAll(ctx, t, s))
}

// fill returns n bytes of a deterministic pattern that depends on seed, so
// that a record mixed up with another or cut short is noticed.
func fill(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// testLargeBatches puts at the limits: a put of MaxPutEntries entries, and
// a put of records of exactly MaxRecordBytes filling MaxPutBytes.
func testLargeBatches(t *testing.T, newStream NewStream) {
	ctx := testContext(t)
	s := newStream(t, 2)
	l := s.Limits()

	many := entries("many", l.MaxPutEntries, spreadKeys)
	manyResults := putAll(ctx, t, s, many)

	n := min(l.MaxPutBytes/l.MaxRecordBytes, 5)
	big := make([]stream.Entry, n)
	for i := range big {
		key := fmt.Sprintf("big-%d", i)
		big[i] = stream.Entry{Data: fill(l.MaxRecordBytes-len(key), byte(i)), PartitionKey: key}
	}
	bigResults := putAll(ctx, t, s, big)

	// checkReadBack compares every record byte for byte.
	all := append(many, big...)
	checkReadBack(t, all, append(manyResults, bigResults...), readAll(ctx, t, s))
}

// testOverLimits checks that a put breaking a limit fails as a whole and
// writes nothing.
func testOverLimits(t *testing.T, newStream NewStream) {
	ctx := testContext(t)
	s := newStream(t, 1)
	l := s.Limits()
	record := make([]byte, l.MaxRecordBytes) // shared: only sizes matter
	cases := []struct {
		name    string
		entries []stream.Entry
	}{
		{"too many entries", entries("over", l.MaxPutEntries+1, spreadKeys)},
		{"record too large", []stream.Entry{{Data: record[:l.MaxRecordBytes], PartitionKey: "k"}}},
		{"put too large", func() []stream.Entry {
			es := make([]stream.Entry, l.MaxPutBytes/l.MaxRecordBytes+1)
			for i := range es {
				es[i] = stream.Entry{Data: record[:l.MaxRecordBytes-1], PartitionKey: "k"}
			}
			return es
		}()},
		{"partition key too long", []stream.Entry{{Data: []byte("x"), PartitionKey: strings.Repeat("k", l.MaxPartitionKey+1)}}},
		{"empty partition key", []stream.Entry{{Data: []byte("x")}}},
		{"explicit hash key above 2^128-1", []stream.Entry{{Data: []byte("x"), PartitionKey: "k",
			ExplicitHashKey: "340282366920938463463374607431768211456"}}},
		{"explicit hash key not a number", []stream.Entry{{Data: []byte("x"), PartitionKey: "k", ExplicitHashKey: "12ab"}}},
	}
	for _, c := range cases {
		rs, err := s.Put(ctx, c.entries)
		if err == nil {
			t.Errorf("%s: put returned %d results and no error", c.name, len(rs))
		}
	}
	for shardID, recs := range readAll(ctx, t, s) {
		if len(recs) > 0 {
			t.Fatalf("failed puts wrote %d records to %s", len(recs), shardID)
		}
	}
}

// testConcurrentWriters checks that concurrent puts lose and duplicate
// nothing, and that each writer's records for one key keep its order.
func testConcurrentWriters(t *testing.T, newStream NewStream) {
	const writers, puts, perPut = 8, 10, 25
	ctx := testContext(t)
	s := newStream(t, 3)
	es := make([]stream.Entry, writers*puts*perPut)
	for w := range writers {
		for p := range puts {
			for e := range perPut {
				i := (w*puts+p)*perPut + e
				es[i] = stream.Entry{
					Data:         fmt.Appendf(nil, "w%d-p%d-e%d", w, p, e),
					PartitionKey: fmt.Sprintf("writer-%d-%d", w, e%5),
				}
			}
		}
	}
	rs := make([]stream.PutResult, len(es))
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for p := range puts {
				lo := (w*puts + p) * perPut
				batch := es[lo : lo+perPut]
				got, err := s.Put(ctx, batch)
				if err != nil {
					errs <- fmt.Errorf("writer %d put %d: %w", w, p, err)
					return
				}
				copy(rs[lo:], got)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Retry what a real service throttled, sequentially.
	retried := map[string]bool{} // keys whose order a retry changed
	for i, r := range rs {
		if !r.OK() {
			rs[i] = putAll(ctx, t, s, es[i:i+1])[0]
			retried[es[i].PartitionKey] = true
		}
	}
	read := readAll(ctx, t, s)
	checkReadBack(t, es, rs, read)

	// Per writer and key, put order is read order: the puts of one writer
	// are sequential, so a later put gets later sequence numbers. (Kinesis
	// does not promise an order among the entries of one put.)
	for shardID, recs := range read {
		last := map[string]int{}
		for _, r := range recs {
			var w, p, e int
			if _, err := fmt.Sscanf(string(r.Data), "w%d-p%d-e%d", &w, &p, &e); err != nil {
				t.Fatalf("shard %s: unexpected record %q", shardID, r.Data)
			}
			if prev, ok := last[r.PartitionKey]; ok && prev > p && !retried[r.PartitionKey] {
				t.Fatalf("shard %s key %s: a record of put %d read after one of put %d", shardID, r.PartitionKey, p, prev)
			}
			last[r.PartitionKey] = p
		}
	}
}
