package transform

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/kpl"
	"github.com/elbstream/elbstream/stream/local"
	"github.com/elbstream/elbstream/transform/elblog"
)

// BenchmarkStage measures the whole stage on one goroutine: deaggregate
// raw records, parse and encode every line, aggregate the events and put
// them. Throughput (MB/s) is of raw line bytes in; run it with -cpu 1 for
// the per-core figure.
//
//	go test ./transform -run '^$' -bench Stage -cpu 1 -benchtime 2s
//
// Sinks: "discard" accepts every Put at once (the stage's own cost);
// "local" is the embedded stream (adds its writes).
func BenchmarkStage(b *testing.B) {
	for _, f := range []string{"alb", "clb"} {
		recs, lineBytes, lines := benchRaw(b, f)
		for _, sink := range []string{"discard", "local"} {
			b.Run(fmt.Sprintf("%s/%s", f, sink), func(b *testing.B) {
				var s stream.Stream = discardSink{}
				if sink == "local" {
					ls, err := local.Open(filepath.Join(b.TempDir(), "events"), local.Options{Shards: 4})
					if err != nil {
						b.Fatal(err)
					}
					defer ls.Close()
					s = ls
				}
				st, err := New(Config{Sink: s})
				if err != nil {
					b.Fatal(err)
				}
				ctx := context.Background()
				b.SetBytes(lineBytes)
				b.ReportAllocs()
				for b.Loop() {
					if n, err := st.Process(ctx, recs); err != nil || n != len(recs) {
						b.Fatal(n, err)
					}
				}
				snap := st.Stats().Snapshot()
				b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
				b.ReportMetric(float64(snap.BytesOut)/float64(snap.BytesIn), "out/in")
			})
		}
	}
}

// BenchmarkStageParts splits the stage's cost: deaggregating the raw
// records (MD5 check included), parsing and encoding the lines, and
// aggregating the events (MD5 of each aggregate included). MB/s are of raw
// line bytes, as in BenchmarkStage.
//
//	go test ./transform -run '^$' -bench StageParts -cpu 1 -benchtime 2s
func BenchmarkStageParts(b *testing.B) {
	recs, lineBytes, _ := benchRaw(b, "alb")
	var lines [][]byte
	var provs []elblog.Provenance
	for _, r := range recs {
		kpl.Decode(r.Data, func(u kpl.Record) error {
			lines = append(lines, u.Data)
			provs = append(provs, elblog.Provenance{Source: u.Source, Position: u.Position})
			return nil
		})
	}
	var enc elblog.Encoder
	var evs [][]byte
	for i, l := range lines {
		ev, _, _ := enc.AppendJSON(nil, l, provs[i])
		evs = append(evs, ev)
	}

	b.Run("deaggregate", func(b *testing.B) {
		var d kpl.Decoder
		b.SetBytes(lineBytes)
		for b.Loop() {
			for _, r := range recs {
				if err := d.Decode(r.Data, func(kpl.Record) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("parse+encode", func(b *testing.B) {
		var dst []byte
		b.SetBytes(lineBytes)
		for b.Loop() {
			for i, l := range lines {
				dst, _, _ = enc.AppendJSON(dst[:0], l, provs[i])
			}
		}
	})
	b.Run("aggregate", func(b *testing.B) {
		var agg kpl.Aggregator
		var buf []byte
		b.SetBytes(lineBytes)
		for b.Loop() {
			for i, ev := range evs {
				r := kpl.Record{PartitionKey: "pk", Data: ev, Source: provs[i].Source, Position: provs[i].Position}
				if ok, _ := agg.Add(r); !ok {
					buf = agg.AppendFlush(buf[:0]).Data
					agg.Add(r)
				}
			}
			buf = agg.AppendFlush(buf[:0]).Data
		}
	})
}

// benchRaw is 8 MiB of lines of format f in raw records of up to 1 MiB,
// as ingest writes them: one object per record. Lines vary in client
// address, port, path and status.
func benchRaw(b *testing.B, f string) (recs []stream.Record, lineBytes int64, lines int) {
	sample := albLine
	if f == "clb" {
		sample = clbLine
	}
	var line []byte
	for obj := 0; lineBytes < 8<<20; obj++ {
		src := fmt.Sprintf("s3://bench/%s/obj-%d.log.gz#etag", f, obj)
		agg := kpl.Aggregator{}
		var pos int64
		for {
			line = benchLine(line[:0], sample, lines)
			ok, err := agg.Add(kpl.Record{PartitionKey: src[:min(len(src), 64)], Data: line, Source: src, Position: pos})
			if err != nil {
				b.Fatal(err)
			}
			if !ok {
				break // this line is lost to the benchmark; no matter
			}
			lines++
			lineBytes += int64(len(line))
			pos += int64(len(line)) + 1
		}
		e := agg.Flush()
		recs = append(recs, stream.Record{Data: e.Data, PartitionKey: e.PartitionKey, SequenceNumber: fmt.Sprint(obj + 1)})
	}
	return recs, lineBytes, lines
}

// discardSink accepts every entry at once.
type discardSink struct{}

func (discardSink) Put(_ context.Context, entries []stream.Entry) ([]stream.PutResult, error) {
	res := make([]stream.PutResult, len(entries))
	for i := range res {
		res[i].SequenceNumber = "1"
	}
	return res, nil
}
func (discardSink) Shards(context.Context) ([]stream.Shard, error) { return nil, nil }
func (discardSink) Iterate(context.Context, string, stream.Position) (stream.Iterator, error) {
	return nil, fmt.Errorf("discard: not readable")
}
func (discardSink) Limits() stream.Limits { return stream.DefaultLimits() }
func (discardSink) Close() error          { return nil }

// benchLine varies sample: client address and port, request path and
// status code.
func benchLine(dst []byte, sample string, i int) []byte {
	for _, part := range strings.SplitAfter(sample, " ") {
		switch {
		case strings.HasPrefix(part, "192.168.131.39:2817"):
			dst = fmt.Appendf(dst, "10.%d.%d.%d:%d ", i>>16&255, i>>8&255, i&255, 1024+i%60000)
		case strings.HasPrefix(part, "http://www.example.com:80/"):
			dst = fmt.Appendf(dst, "http://www.example.com:80/api/v1/items/%d?page=%d ", i*7919%100000, i%13)
		case part == "200 " && i%17 == 0:
			dst = append(dst, "503 "...)
		default:
			dst = append(dst, part...)
		}
	}
	return dst
}
