package local_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/local"
)

// benchEntries returns n entries of size bytes of data, keys spread over
// the shards.
func benchEntries(n, size int) []stream.Entry {
	data := make([]byte, size)
	for i := range data {
		data[i] = byte('a' + i%26)
	}
	es := make([]stream.Entry, n)
	for i := range es {
		es[i] = stream.Entry{Data: data, PartitionKey: fmt.Sprintf("key-%d", i)}
	}
	return es
}

// BenchmarkPut: one writer, puts of 1 KiB records on 4 shards, each put
// one fsync'd transaction.
func BenchmarkPut(b *testing.B) {
	for _, n := range []int{1, 100, 500} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			s := openTemp(b, local.Options{Shards: 4})
			es := benchEntries(n, 1024)
			ctx := context.Background()
			b.SetBytes(int64(n) * 1024)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Put(ctx, es); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkPutParallel: 8 writers (4 per GOMAXPROCS) of puts of 1 KiB
// records; puts that queue up share a commit (group commit). Compare with
// BenchmarkPut at the same put size.
func BenchmarkPutParallel(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			s := openTemp(b, local.Options{Shards: 4})
			es := benchEntries(n, 1024)
			ctx := context.Background()
			b.SetBytes(int64(n) * 1024)
			b.ReportAllocs()
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.Put(ctx, es); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkRead: reading 1 KiB records back, 10,000 per Next, from one
// shard of 100,000 records (re-opened at the trim horizon when exhausted).
func BenchmarkRead(b *testing.B) {
	const records = 100_000
	s := openTemp(b, local.Options{Shards: 1})
	ctx := context.Background()
	es := benchEntries(500, 1024)
	for range records / 500 {
		if _, err := s.Put(ctx, es); err != nil {
			b.Fatal(err)
		}
	}
	var it stream.Iterator
	read, bytes := 0, 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if it == nil {
			var err error
			if it, err = s.Iterate(ctx, shard0, trimHorizon); err != nil {
				b.Fatal(err)
			}
		}
		batch, err := it.Next(ctx, 10_000)
		if err != nil {
			b.Fatal(err)
		}
		if len(batch.Records) == 0 {
			it = nil
			continue
		}
		read += len(batch.Records)
		for _, r := range batch.Records {
			bytes += len(r.Data)
		}
	}
	b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(bytes)/1e6/b.Elapsed().Seconds(), "MB/s")
}
