package elblog

import (
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/elbstream/elbstream/testdata/gen"
)

// Benchmarks of the stages of AppendJSON on generated ALB lines, reporting
// CPU time per line as well as wall time: on a shared machine the wall time
// includes waiting for a core.

func benchLines(b *testing.B) [][]byte {
	return gen.New(gen.ALB, 1, gen.Options{}).Lines(256)
}

func cpuBench(b *testing.B, lines [][]byte, fn func(line []byte)) {
	var n int64
	for _, l := range lines {
		n += int64(len(l))
	}
	b.SetBytes(n / int64(len(lines)))
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0 := threadCPU()
	i := 0
	for b.Loop() {
		fn(lines[i%len(lines)])
		i++
	}
	cpu := threadCPU() - t0
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(n/int64(len(lines)))*float64(b.N)/cpu.Seconds()/1e6, "MB/cpu-s")
}

func threadCPU() time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkStage(b *testing.B) {
	lines := benchLines(b)
	p := Provenance{Source: "s3://my-bucket/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2024/03/01/x.log.gz", Position: 1}
	var e Encoder
	e.Init()
	dst := make([]byte, 0, 8192)
	b.Run("stage=split", func(b *testing.B) {
		cpuBench(b, lines, func(l []byte) { e.f.split(l, 33, 0) })
	})
	b.Run("stage=validate", func(b *testing.B) {
		cpuBench(b, lines, func(l []byte) { e.f.split(l, 33, 0); e.validate(ALB) })
	})
	b.Run("stage=clean", func(b *testing.B) {
		cpuBench(b, lines, func(l []byte) { isClean(l) })
	})
	b.Run("stage=all", func(b *testing.B) {
		cpuBench(b, lines, func(l []byte) { dst, _, _ = e.AppendJSON(dst[:0], l, p) })
	})
}
