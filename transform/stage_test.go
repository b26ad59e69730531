package transform

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/elbstream/elbstream/internal/linecut"
	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/kpl"
	"github.com/elbstream/elbstream/transform/elblog"
)

func newStage(t testing.TB, sink stream.Stream, cfg Config) *Stage {
	t.Helper()
	cfg.Sink = sink
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = time.Millisecond
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 2 * time.Millisecond
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestProcessEveryLineOneEvent(t *testing.T) {
	f := makeRaw(t, 3, 4, 50, mixedText)
	sink := &memSink{}
	s := newStage(t, sink, Config{})
	done, err := s.Process(context.Background(), f.records)
	if err != nil || done != len(f.records) {
		t.Fatalf("Process = %d, %v; want %d, nil", done, err, len(f.records))
	}
	evs := decodeEvents(t, sink.entries())
	checkOneEventPerLine(t, f, evs)

	// Each event keeps its raw record's partition key.
	keys := map[string]string{} // source → key
	for i, ls := range f.lines {
		keys[ls[0].Source] = f.records[i].PartitionKey
	}
	for _, ev := range evs {
		if want := keys[ev.Record.Source]; ev.PartitionKey != want {
			t.Fatalf("event of %s has partition key %q, want %q", ev.Record.Source, ev.PartitionKey, want)
		}
	}

	st := s.Stats().Snapshot()
	var lines, control, bad, bytesIn int64
	var badLines []line
	for i, ls := range f.lines {
		bytesIn += int64(len(f.records[i].Data))
		for _, l := range ls {
			lines++
			switch {
			case l.Text == controlLine:
				control++
			case strings.HasPrefix(l.Text, badLine):
				bad++
				badLines = append(badLines, l)
			}
		}
	}
	// The summary's sample: the latest failures, in order, with the
	// parser's reason.
	if len(badLines) < 6 {
		t.Fatalf("the fixture has %d bad lines, too few to test the sample", len(badLines))
	}
	wantLast := badLines[len(badLines)-5:]
	if len(st.LastFailures) != len(wantLast) {
		t.Fatalf("LastFailures = %v, want %d", st.LastFailures, len(wantLast))
	}
	for i, fl := range st.LastFailures {
		if w := wantLast[i]; fl.Source != w.Source || fl.Position != w.Position || !errors.As(fl.Err, new(*elblog.ParseError)) {
			t.Errorf("LastFailures[%d] = %v, want the failure of %s", i, fl, w.key())
		}
	}
	st.LastFailures = nil
	var bytesOut int64
	for _, e := range sink.entries() {
		bytesOut += int64(e.Size())
	}
	want := Snapshot{
		Records: int64(len(f.records)), Lines: lines, Events: lines - control,
		ParseFailures: bad, Skipped: control, BytesIn: bytesIn, BytesOut: bytesOut,
		Entries: int64(len(sink.entries())),
	}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("stats:\n got %+v\nwant %+v", st, want)
	}
}

// Small records force aggregates to split inside raw records and puts to
// happen mid-batch; entries are refused at random, throttled or not. With
// unlimited attempts every event must arrive exactly once per acceptance,
// and Process must report the whole batch done.
func TestProcessRetriesFailedEntriesOnly(t *testing.T) {
	f := makeRaw(t, 4, 5, 40, mixedText)
	rnd := rand.New(rand.NewPCG(1, 2))
	sink := &memSink{
		Limits_: stream.Limits{MaxRecordBytes: 8 << 10, MaxPutEntries: 7, MaxPutBytes: 40 << 10, MaxPartitionKey: 256},
		Fail: func(call int, e stream.Entry) string {
			switch rnd.IntN(4) {
			case 0:
				return stream.ErrCodeThrottled
			case 1:
				return stream.ErrCodeInternal
			}
			return ""
		},
	}
	s := newStage(t, sink, Config{})
	done, err := s.Process(context.Background(), f.records)
	if err != nil || done != len(f.records) {
		t.Fatalf("Process = %d, %v; want %d, nil", done, err, len(f.records))
	}
	checkOneEventPerLine(t, f, decodeEvents(t, sink.entries()))
	st := s.Stats().Snapshot()
	if st.Retries == 0 || st.Throttled == 0 {
		t.Errorf("retries %d, throttled %d: the sink refused entries, both should count", st.Retries, st.Throttled)
	}
	for _, e := range sink.entries() {
		if e.Size() > 8<<10 {
			t.Fatalf("entry of %d bytes over the record limit", e.Size())
		}
	}
}

// When puts fail for good, done must be exactly the raw records whose
// events were all accepted: every event of records before done is on the
// sink, and some event of record done is not.
func TestProcessDoneIsTheAcceptedPrefix(t *testing.T) {
	for seed := range uint64(30) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			f := makeRaw(t, 3, 4, 30, mixedText)
			rnd := rand.New(rand.NewPCG(seed, 7))
			failAt := 1 + rnd.IntN(12) // the call from which everything fails
			sink := &memSink{
				Limits_: stream.Limits{MaxRecordBytes: 6 << 10, MaxPutEntries: 3, MaxPutBytes: 20 << 10, MaxPartitionKey: 256},
				Fail: func(call int, e stream.Entry) string {
					if call >= failAt && rnd.IntN(3) > 0 {
						return "KMSAccessDeniedException"
					}
					return ""
				},
			}
			s := newStage(t, sink, Config{})
			done, err := s.Process(context.Background(), f.records)
			if done < len(f.records) {
				var ee *EntryError
				if !errors.As(err, &ee) || ee.Code != "KMSAccessDeniedException" {
					t.Fatalf("Process = %d, %v; want the entry error", done, err)
				}
			} else if err != nil {
				t.Fatalf("Process = %d, %v", done, err)
			}
			got := map[string]bool{}
			for _, ev := range decodeEvents(t, sink.entries()) {
				got[line{Source: ev.Record.Source, Position: ev.Record.Position}.key()] = true
			}
			for i, ls := range f.lines {
				missing := 0
				for _, l := range ls {
					if l.Text != controlLine && !got[l.key()] {
						missing++
					}
				}
				if i < done && missing > 0 {
					t.Fatalf("record %d reported done with %d events not accepted", i, missing)
				}
				if i == done && missing == 0 {
					t.Fatalf("record %d has all its events accepted, but done = %d", i, done)
				}
			}
		})
	}
}

func TestProcessThrottledCallIsRetriedUntilContextEnds(t *testing.T) {
	f := makeRaw(t, 1, 2, 10, mixedText)
	calls := 0
	sink := &memSink{}
	sink.PutFunc = func(ctx context.Context, entries []stream.Entry) ([]stream.PutResult, error) {
		calls++
		return nil, fmt.Errorf("put records: %w", stream.ErrThrottled)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := newStage(t, sink, Config{})
	sink.PutFunc = func(context.Context, []stream.Entry) ([]stream.PutResult, error) {
		calls++
		if calls == 25 { // MaxAttempts does not bound throttling
			cancel()
		}
		return nil, fmt.Errorf("put records: %w", stream.ErrThrottled)
	}
	done, err := s.Process(ctx, f.records)
	if done != 0 || !errors.Is(err, context.Canceled) {
		t.Fatalf("Process = %d, %v; want 0, context.Canceled", done, err)
	}
	if calls != 25 {
		t.Fatalf("%d calls, want 25", calls)
	}
}

func TestProcessFatalCallError(t *testing.T) {
	f := makeRaw(t, 1, 2, 10, mixedText)
	fatal := errors.New("access denied")
	sink := &memSink{PutFunc: func(context.Context, []stream.Entry) ([]stream.PutResult, error) { return nil, fatal }}
	s := newStage(t, sink, Config{})
	done, err := s.Process(context.Background(), f.records)
	if done != 0 || !errors.Is(err, fatal) {
		t.Fatalf("Process = %d, %v; want 0, %v", done, err, fatal)
	}
}

func TestProcessUndecodableRecord(t *testing.T) {
	f := makeRaw(t, 1, 3, 5, mixedText)
	bad := append([]byte(nil), f.records[1].Data...)
	bad[len(bad)-1] ^= 0xff // break the MD5 trailer
	f.records[1].Data = bad
	sink := &memSink{}
	s := newStage(t, sink, Config{})
	done, err := s.Process(context.Background(), f.records)
	if err != nil || done != 3 {
		t.Fatalf("Process = %d, %v", done, err)
	}
	var stand []event
	for _, ev := range decodeEvents(t, sink.entries()) {
		if strings.Contains(string(ev.Record.Data), "could not be deaggregated") {
			stand = append(stand, ev)
		}
	}
	if len(stand) != 1 || !isParseFailure(stand[0]) || !strings.Contains(string(stand[0].Record.Data), f.records[1].SequenceNumber) {
		t.Fatalf("want one failure event naming record %s, got %d: %v", f.records[1].SequenceNumber, len(stand), stand)
	}
	f.lines[1] = nil
	evs := decodeEvents(t, sink.entries())
	var rest []event
	for _, ev := range evs {
		if !strings.HasPrefix(ev.Record.Source, "kinesis:") {
			rest = append(rest, ev)
		}
	}
	checkOneEventPerLine(t, f, rest)
	if st := s.Stats().Snapshot(); st.Undecodable != 1 {
		t.Errorf("undecodable = %d, want 1", st.Undecodable)
	}
}

// A line whose event cannot fit in a record even alone is encoded from
// its start instead of blocking the shard.
func TestProcessOversizedLine(t *testing.T) {
	long := badLine + " " + strings.Repeat("x", 9000)
	f, evs, st := processOversized(t, long, 3)
	checkOneEventPerLine(t, f, evs)
	checkCut(t, evs, long)
	if st.Truncated != 1 || st.ParseFailures != 1 {
		t.Errorf("truncated = %d, parse failures = %d, want 1 and 1", st.Truncated, st.ParseFailures)
	}
}

// A line that parses but whose event cannot fit in a record is cut, and
// counted as a parse failure, which its event then is.
func TestProcessOversizedValidLine(t *testing.T) {
	long := strings.Replace(albLine, `"curl/7.46.0"`, `"`+strings.Repeat("Mozilla/5.0 ", 1000)+`"`, 1)
	_, evs, st := processOversized(t, long, 2)
	if len(evs) != 2 || isParseFailure(evs[0]) || !isParseFailure(evs[1]) {
		t.Fatalf("want a parsed event and a failure, got %+v", evs)
	}
	checkCut(t, evs, long)
	if st.Events != 2 || st.Truncated != 1 || st.ParseFailures != 1 {
		t.Errorf("events = %d, truncated = %d, parse failures = %d, want 2, 1 and 1", st.Events, st.Truncated, st.ParseFailures)
	}
}

// A line that fails to parse whose cut start parses (a valid line, a long
// trailing field, an unterminated quote at its very end) is delivered as a
// parsed event, and not counted as a failure: the counts follow the event
// that stands for the line. They used to count the whole line's failure.
func TestProcessOversizedLineWhoseCutParses(t *testing.T) {
	long := albLine + " " + strings.Repeat("x", 20000) + ` "unterminated`
	_, evs, st := processOversized(t, long, 3)
	for _, ev := range evs {
		if isParseFailure(ev) {
			t.Fatalf("an event tagged _elbparsefailure: %+v", ev)
		}
	}
	if st.Events != 3 || st.Truncated != 1 || st.ParseFailures != 0 || len(st.LastFailures) != 0 {
		t.Errorf("events = %d, truncated = %d, parse failures = %d %v, want 3, 1 and none", st.Events, st.Truncated, st.ParseFailures, st.LastFailures)
	}
}

// processOversized processes one raw record of n ALB lines, the second of
// them long, into events records of 8 KiB, and returns the events and the
// stage's counts.
func processOversized(t *testing.T, long string, n int) (rawFixture, []event, Snapshot) {
	t.Helper()
	f := makeRaw(t, 1, 1, n, func(i int) string {
		if i == 1 {
			return long
		}
		return albLine
	})
	sink := &memSink{Limits_: stream.Limits{MaxRecordBytes: 8 << 10, MaxPutEntries: 500, MaxPutBytes: 64 << 10, MaxPartitionKey: 256}}
	s := newStage(t, sink, Config{})
	if done, err := s.Process(context.Background(), f.records); err != nil || done != 1 {
		t.Fatalf("Process = %d, %v", done, err)
	}
	return f, decodeEvents(t, sink.entries()), s.Stats().Snapshot()
}

// checkCut checks that exactly one of evs stands for line cut: its
// event.original is the line's start followed by the truncation marker.
func checkCut(t *testing.T, evs []event, line string) {
	t.Helper()
	marker := linecut.Marker + strconv.Itoa(len(line)) + " bytes]"
	n := 0
	for _, ev := range evs {
		orig, _ := lookup(ev.Fields, "event.original").(string)
		if !strings.HasSuffix(orig, marker) {
			continue
		}
		n++
		if kept := strings.TrimSuffix(orig, marker); len(kept) < 512 || !strings.HasPrefix(line, kept) {
			t.Errorf("cut line keeps %d bytes, not a start of the line: %.60q", len(kept), kept)
		}
	}
	if n != 1 {
		t.Errorf("%d events end in %q, want 1", n, marker)
	}
}

// Plain, non-aggregated records holding several lines are split.
func TestProcessPlainMultiLineRecord(t *testing.T) {
	recs := []stream.Record{{Data: []byte(albLine + "\n" + controlLine + "\r\n\n" + clbLine + "\n"), PartitionKey: "p", SequenceNumber: "1"}}
	sink := &memSink{}
	s := newStage(t, sink, Config{})
	if done, err := s.Process(context.Background(), recs); err != nil || done != 1 {
		t.Fatalf("Process = %d, %v", done, err)
	}
	evs := decodeEvents(t, sink.entries())
	if len(evs) != 2 || evs[0].ID == evs[1].ID {
		t.Fatalf("want 2 events with distinct ids, got %+v", evs)
	}
	// Without provenance, a line is identified by the raw record's
	// sequence number, the user record's index and its byte offset.
	for i, want := range []elblog.Provenance{{Source: "kinesis:1/0", Position: 0}, {Source: "kinesis:1/0", Position: int64(len(albLine) + len(controlLine) + 4)}} {
		if got := (elblog.Provenance{Source: evs[i].Record.Source, Position: evs[i].Record.Position}); got != want {
			t.Errorf("event %d: provenance %+v, want %+v", i, got, want)
		}
	}
	if st := s.Stats().Snapshot(); st.Lines != 3 || st.Skipped != 1 {
		t.Errorf("lines %d skipped %d, want 3 and 1", st.Lines, st.Skipped)
	}
}

// A stop time in the past: no record is started, nothing is put.
func TestProcessStopsAtStopTime(t *testing.T) {
	f := makeRaw(t, 1, 3, 5, mixedText)
	sink := &memSink{}
	s := newStage(t, sink, Config{})
	done, err := s.process(context.Background(), f.records, time.Now().Add(-time.Second))
	if done != 0 || !errors.Is(err, errStopped) {
		t.Fatalf("process = %d, %v; want 0, errStopped", done, err)
	}
	if n := len(sink.entries()); n != 0 {
		t.Fatalf("%d entries put", n)
	}
}

func TestProcessBatchReturnsLastDoneSequence(t *testing.T) {
	f := makeRaw(t, 1, 3, 5, mixedText)
	s := newStage(t, &memSink{}, Config{})
	seq, err := s.ProcessBatch(context.Background(), "shardId-0", stream.Batch{Records: f.records})
	if err != nil || seq != f.records[2].SequenceNumber {
		t.Fatalf("ProcessBatch = %q, %v; want %q", seq, err, f.records[2].SequenceNumber)
	}
	seq, err = s.ProcessBatch(context.Background(), "shardId-0", stream.Batch{})
	if err != nil || seq != "" {
		t.Fatalf("empty batch: ProcessBatch = %q, %v", seq, err)
	}
}

// Concurrent Process calls (one per shard) do not share buffers.
func TestProcessConcurrent(t *testing.T) {
	sink := &memSink{Limits_: stream.Limits{MaxRecordBytes: 16 << 10, MaxPutEntries: 10, MaxPutBytes: 100 << 10, MaxPartitionKey: 256}}
	s := newStage(t, sink, Config{})
	fs := make([]rawFixture, 4)
	errc := make(chan error, len(fs))
	for i := range fs {
		fs[i] = makeRaw(t, 2, 3, 30, func(n int) string { return mixedText(n + i*1000) })
		for j := range fs[i].lines {
			for k := range fs[i].lines[j] {
				fs[i].lines[j][k].Source += fmt.Sprint("/", i)
			}
		}
		// Re-aggregate with the per-goroutine sources.
		for j, ls := range fs[i].lines {
			var agg kpl.Aggregator
			for _, l := range ls {
				agg.Add(kpl.Record{PartitionKey: fs[i].records[j].PartitionKey, Data: []byte(l.Text), Source: l.Source, Position: l.Position})
			}
			fs[i].records[j].Data = agg.Flush().Data
		}
	}
	for i := range fs {
		go func() {
			done, err := s.Process(context.Background(), fs[i].records)
			if err == nil && done != len(fs[i].records) {
				err = fmt.Errorf("done %d of %d", done, len(fs[i].records))
			}
			errc <- err
		}()
	}
	for range fs {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	var all rawFixture
	for _, f := range fs {
		all.records = append(all.records, f.records...)
		all.lines = append(all.lines, f.lines...)
	}
	checkOneEventPerLine(t, all, decodeEvents(t, sink.entries()))
}
