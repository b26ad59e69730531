package transform

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/kpl"
)

// Sample lines, as AWS documents them.
const (
	albLine = `http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90`
	clbLine = `2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -`
	// An AWS control line: skipped, not an event.
	controlLine = `Enable AccessLog for ELB: my-loadbalancer at 2015-05-13T23:39:43.945958Z`
	// Not an access log line: an event tagged _elbparsefailure.
	badLine = `this is not an access log line`
)

// line is one line of a test source object.
type line struct {
	Source   string
	Position int64
	Text     string
}

func (l line) key() string { return fmt.Sprintf("%s@%d", l.Source, l.Position) }

// rawFixture builds raw records as ingest writes them: each holds the lines
// of one object, aggregated, with the object's name as partition key.
// perRecord lines go in each record; kinds picks each line's text.
type rawFixture struct {
	records []stream.Record
	lines   [][]line // lines of each record
}

func makeRaw(t testing.TB, objects, recordsPerObject, perRecord int, text func(i int) string) rawFixture {
	t.Helper()
	var f rawFixture
	seq := 1000
	n := 0
	for o := range objects {
		src := fmt.Sprintf("s3://logs/AWSLogs/%s/obj-%d.log.gz#etag%d", t.Name(), o, o)
		var pos int64
		for range recordsPerObject {
			var agg kpl.Aggregator
			var ls []line
			for range perRecord {
				l := line{Source: src, Position: pos, Text: text(n)}
				n++
				pos += int64(len(l.Text)) + 1
				ok, err := agg.Add(kpl.Record{PartitionKey: fmt.Sprintf("obj-%d", o), Data: []byte(l.Text), Source: l.Source, Position: l.Position})
				if err != nil || !ok {
					t.Fatalf("aggregate raw line: %v %v", ok, err)
				}
				ls = append(ls, l)
			}
			e := agg.Flush()
			seq++
			f.records = append(f.records, stream.Record{Data: e.Data, PartitionKey: e.PartitionKey, SequenceNumber: fmt.Sprint(seq)})
			f.lines = append(f.lines, ls)
		}
	}
	return f
}

// mixedText gives ALB and CLB lines with a control line and a malformed
// line now and then.
func mixedText(i int) string {
	switch {
	case i%97 == 13:
		return controlLine
	case i%53 == 7:
		return badLine + fmt.Sprint(" #", i)
	case i%2 == 0:
		return strings.Replace(albLine, "2817", fmt.Sprint(10000+i%50000), 1)
	default:
		return strings.Replace(clbLine, "2817", fmt.Sprint(10000+i%50000), 1)
	}
}

// memSink is an events stream in memory. Fail, when set, decides each
// entry's fate per call: an error code, or "" to accept it. PutFunc, when
// set, replaces the whole call.
type memSink struct {
	Limits_ stream.Limits
	Fail    func(call int, e stream.Entry) string
	PutFunc func(ctx context.Context, entries []stream.Entry) ([]stream.PutResult, error)

	mu       sync.Mutex
	calls    int
	accepted []stream.Entry
}

func (s *memSink) Put(ctx context.Context, entries []stream.Entry) ([]stream.PutResult, error) {
	if s.PutFunc != nil {
		return s.PutFunc(ctx, entries)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	lim := s.Limits()
	if len(entries) > lim.MaxPutEntries {
		return nil, fmt.Errorf("%d entries: over the limit of %d", len(entries), lim.MaxPutEntries)
	}
	size := 0
	for _, e := range entries {
		if e.Size() > lim.MaxRecordBytes {
			return nil, fmt.Errorf("entry of %d bytes: over the limit of %d", e.Size(), lim.MaxRecordBytes)
		}
		size += e.Size()
	}
	if size > lim.MaxPutBytes {
		return nil, fmt.Errorf("put of %d bytes: over the limit of %d", size, lim.MaxPutBytes)
	}
	s.calls++
	res := make([]stream.PutResult, len(entries))
	for i, e := range entries {
		if s.Fail != nil {
			if code := s.Fail(s.calls, e); code != "" {
				res[i] = stream.PutResult{ErrorCode: code, ErrorMessage: "injected"}
				continue
			}
		}
		s.accepted = append(s.accepted, stream.Entry{Data: append([]byte(nil), e.Data...), PartitionKey: e.PartitionKey})
		res[i] = stream.PutResult{ShardID: "shardId-000000000000", SequenceNumber: fmt.Sprint(len(s.accepted))}
	}
	return res, nil
}

func (s *memSink) Shards(context.Context) ([]stream.Shard, error) { return nil, nil }
func (s *memSink) Iterate(context.Context, string, stream.Position) (stream.Iterator, error) {
	return nil, fmt.Errorf("memSink: not readable")
}
func (s *memSink) Close() error { return nil }
func (s *memSink) Limits() stream.Limits {
	if s.Limits_.MaxRecordBytes == 0 {
		return stream.DefaultLimits()
	}
	return s.Limits_
}

func (s *memSink) entries() []stream.Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]stream.Entry(nil), s.accepted...)
}

// event is one event found on the events stream.
type event struct {
	PartitionKey string // of its aggregate
	Record       kpl.Record
	ID           string
	Fields       map[string]any
}

// decodeEvents deaggregates entries into events, checking each is one
// valid JSON object without a newline.
func decodeEvents(t testing.TB, entries []stream.Entry) []event {
	t.Helper()
	var evs []event
	for _, e := range entries {
		err := kpl.Decode(e.Data, func(r kpl.Record) error {
			if r.PartitionKey != e.PartitionKey {
				return fmt.Errorf("event with partition key %q in an aggregate keyed %q", r.PartitionKey, e.PartitionKey)
			}
			ev, err := parseEvent(r.Data)
			if err != nil {
				return err
			}
			r.Data = append([]byte(nil), r.Data...)
			ev.PartitionKey, ev.Record = e.PartitionKey, r
			evs = append(evs, ev)
			return nil
		})
		if err != nil {
			t.Fatalf("decode events: %v", err)
		}
	}
	return evs
}

func parseEvent(data []byte) (event, error) {
	if strings.ContainsRune(string(data), '\n') {
		return event{}, fmt.Errorf("event holds a newline: %q", data)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return event{}, fmt.Errorf("event is not a JSON object: %v: %q", err, data)
	}
	id, _ := lookup(m, "event.id").(string)
	if id == "" {
		return event{}, fmt.Errorf("event without event.id: %q", data)
	}
	return event{ID: id, Fields: m}, nil
}

// lookup finds a dotted ECS field, nested or flat.
func lookup(m map[string]any, path string) any {
	if v, ok := m[path]; ok {
		return v
	}
	head, rest, ok := strings.Cut(path, ".")
	if !ok {
		return nil
	}
	sub, _ := m[head].(map[string]any)
	if sub == nil {
		return nil
	}
	return lookup(sub, rest)
}

func isParseFailure(ev event) bool {
	tags, _ := lookup(ev.Fields, "tags").([]any)
	for _, t := range tags {
		if t == "_elbparsefailure" {
			return true
		}
	}
	return false
}

// checkOneEventPerLine checks that every line but control lines became
// exactly one event with its provenance and a unique event.id, and nothing
// else is there.
func checkOneEventPerLine(t testing.TB, f rawFixture, evs []event) {
	t.Helper()
	want := map[string]line{}
	for _, ls := range f.lines {
		for _, l := range ls {
			if l.Text != controlLine {
				want[l.key()] = l
			}
		}
	}
	seen := map[string]bool{}
	ids := map[string]string{}
	for _, ev := range evs {
		k := line{Source: ev.Record.Source, Position: ev.Record.Position}.key()
		l, ok := want[k]
		if !ok {
			t.Fatalf("event for no line (or for a control line): %s: %s", k, ev.Record.Data)
		}
		if seen[k] {
			t.Fatalf("two events for line %s", k)
		}
		seen[k] = true
		if prev, dup := ids[ev.ID]; dup {
			t.Fatalf("event.id %s given to %s and %s", ev.ID, prev, k)
		}
		ids[ev.ID] = k
		if got := isParseFailure(ev); got != strings.HasPrefix(l.Text, badLine) {
			t.Errorf("line %s (%.40q…): tagged _elbparsefailure = %v", k, l.Text, got)
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("%d events for %d lines", len(seen), len(want))
	}
}
