package kpl

import (
	"crypto/md5"
	"testing"
)

// BenchmarkAggregate measures Add with ~200-byte user records into 1 MiB
// aggregates, flushing into a reused buffer. SetBytes counts user data, so
// MB/s is user payload encoded per second.
func BenchmarkAggregate(b *testing.B) {
	a := &Aggregator{}
	buf := make([]byte, 0, 1<<20)
	r := Record{PartitionKey: "s3://bucket/AWSLogs/123/elasticloadbalancing/x.log.gz",
		Data: line200(), Source: "s3://bucket/AWSLogs/123/elasticloadbalancing/x.log.gz#etag"}
	b.SetBytes(int64(len(r.Data)))
	b.ReportAllocs()
	for b.Loop() {
		r.Position += 201
		ok, err := a.Add(r)
		if err != nil {
			b.Fatal(err)
		}
		if !ok {
			buf = a.AppendFlush(buf[:0]).Data
			a.Add(r)
		}
	}
}

// BenchmarkAggregateFlushAlloc adds the cost of Flush's fresh allocation per aggregate.
func BenchmarkAggregateFlushAlloc(b *testing.B) {
	a := &Aggregator{}
	r := Record{PartitionKey: "k", Data: line200(), Source: "s3://bucket/key#etag"}
	b.SetBytes(int64(len(r.Data)))
	b.ReportAllocs()
	for b.Loop() {
		r.Position += 201
		if ok, _ := a.Add(r); !ok {
			a.Flush()
			a.Add(r)
		}
	}
}

// BenchmarkDecode deaggregates a full 1 MiB aggregate of ~200-byte records.
// SetBytes counts the aggregated record's bytes.
func BenchmarkDecode(b *testing.B) {
	a := &Aggregator{}
	r := Record{PartitionKey: "k", Data: line200(), Source: "s3://bucket/key#etag"}
	for {
		r.Position += 201
		if ok, _ := a.Add(r); !ok {
			break
		}
	}
	n := a.Len()
	data := a.Flush().Data
	var d Decoder
	sum := 0
	fn := func(r Record) error { sum += len(r.Data); return nil }
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Decode(data, fn); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkMD5 is the ceiling both directions share: the format's MD5
// trailer over 1 MiB. MD5 is ~87% of Decode's CPU profile; encode and
// decode run at about 0.8x this speed in the same run.
func BenchmarkMD5(b *testing.B) {
	data := make([]byte, 1<<20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		md5.Sum(data)
	}
}
