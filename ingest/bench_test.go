package ingest

import (
	"bytes"
	stdgzip "compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/local"
	"github.com/elbstream/elbstream/testdata/gen"
)

// albLog returns at least size bytes of ALB log lines.
func albLog(size int) []byte {
	g := gen.New(gen.ALB, 42, gen.Options{Messy: 0.02})
	b := make([]byte, 0, size+4096)
	for len(b) < size {
		b = append(g.Append(b), '\n')
	}
	return b
}

// BenchmarkGunzip compares the standard library's gzip decoder with
// klauspost/compress's on ALB logs (the choice in decompress.go).
func BenchmarkGunzip(b *testing.B) {
	plain := albLog(16 << 20)
	var z bytes.Buffer
	zw := stdgzip.NewWriter(&z)
	zw.Write(plain)
	zw.Close()
	data := z.Bytes()
	for _, tc := range []struct {
		name string
		open func(io.Reader) (io.Reader, error)
	}{
		{"stdlib", func(r io.Reader) (io.Reader, error) { return stdgzip.NewReader(r) }},
		{"klauspost", func(r io.Reader) (io.Reader, error) { return kgzip.NewReader(r) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(plain)))
			cpu0 := cpuTime()
			for b.Loop() {
				r, err := tc.open(bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				if n, err := io.Copy(io.Discard, r); err != nil || n != int64(len(plain)) {
					b.Fatal(n, err)
				}
			}
			// CPU time is steadier than wall time on a shared machine.
			cpu := cpuTime() - cpu0
			b.ReportMetric(float64(len(plain))*float64(b.N)/cpu.Seconds()/1e6, "MB/cpu-s")
		})
	}
}

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// bigObject is the large object of BenchmarkIngest, written once per
// process: ~64 MiB of ALB lines (ELBSTREAM_BENCH_MB to change), gzipped.
var bigObject = sync.OnceValues(func() (string, int64) {
	mb := 64
	if v, err := strconv.Atoi(os.Getenv("ELBSTREAM_BENCH_MB")); err == nil && v > 0 {
		mb = v
	}
	plain := albLog(mb << 20)
	dir, err := os.MkdirTemp("", "elbstream-bench")
	if err != nil {
		panic(err)
	}
	path := filepath.Join(dir, "alb.log.gz")
	f, err := os.Create(path)
	if err != nil {
		panic(err)
	}
	zw := stdgzip.NewWriter(f)
	zw.Write(plain)
	if err := zw.Close(); err != nil {
		panic(err)
	}
	f.Close()
	return path, int64(len(plain))
})

// nullStream accepts every entry and keeps nothing: it measures ingest
// alone.
type nullStream struct{ limits stream.Limits }

func (s nullStream) Put(_ context.Context, es []stream.Entry) ([]stream.PutResult, error) {
	res := make([]stream.PutResult, len(es))
	for i := range res {
		res[i] = stream.PutResult{ShardID: "shardId-000000000000", SequenceNumber: strconv.Itoa(i + 1)}
	}
	return res, nil
}
func (nullStream) Shards(context.Context) ([]stream.Shard, error) { return nil, nil }
func (nullStream) Iterate(context.Context, string, stream.Position) (stream.Iterator, error) {
	return nil, nil
}
func (s nullStream) Limits() stream.Limits { return s.limits }
func (nullStream) Close() error            { return nil }

// BenchmarkIngest ingests a gzipped ~64 MiB (decompressed) ALB log into a
// stream and reports throughput in decompressed MB/s and the peak heap in
// use (sampled every 2ms) while it runs.
//
//	go test ./ingest -run '^$' -bench Ingest -benchtime 3x
func BenchmarkIngest(b *testing.B) {
	path, size := bigObject()
	for _, tc := range []struct {
		name string
		open func(b *testing.B) stream.Stream
	}{
		{"local", func(b *testing.B) stream.Stream {
			s, err := local.Open(b.TempDir(), local.Options{Shards: 4})
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"null", func(*testing.B) stream.Stream { return nullStream{stream.DefaultLimits()} }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(size)
			var peak, base uint64
			for b.Loop() {
				b.StopTimer()
				s := tc.open(b)
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				base = ms.HeapInuse
				stop := sampleHeap(&peak)
				b.StartTimer()

				run := (&Ingester{Stream: s}).Start(context.Background())
				res := run.File(path)
				if err := run.Close(); err != nil {
					b.Fatal(err)
				}

				b.StopTimer()
				stop()
				if !res.Gzip || res.Next != size {
					b.Fatalf("read %d of %d bytes (gzip %v)", res.Next, size, res.Gzip)
				}
				s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(peak-min(peak, base))/(1<<20), "peak-over-base-MiB")
		})
	}
}

// sampleHeap records the largest HeapInuse seen into *peak until stop.
func sampleHeap(peak *uint64) (stop func()) {
	var done atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for !done.Load() {
			runtime.ReadMemStats(&ms)
			*peak = max(*peak, ms.HeapInuse)
			time.Sleep(2 * time.Millisecond)
		}
	}()
	return func() { done.Store(true); wg.Wait() }
}
