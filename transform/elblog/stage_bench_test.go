package elblog

import (
	"bytes"
	"encoding/json"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/elbstream/elbstream/testdata/gen"
	segjson "github.com/segmentio/encoding/json"
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

// cleanScalar is isClean as one scalar pass, for BenchmarkClean.
func cleanScalar(line []byte) (clean bool, quotes int) {
	for _, c := range line {
		if c < 0x20 || c > 0x7e || c == '\\' {
			return false, 0
		}
		if c == '"' {
			quotes++
		}
	}
	return true, quotes
}

// BenchmarkClean compares the clean-line check built on segmentio's
// ascii.ValidPrint (with bytes.IndexByte and bytes.Count) with one scalar
// pass doing the same.
func BenchmarkClean(b *testing.B) {
	lines := benchLines(b)
	b.Run("impl=segmentio-ascii", func(b *testing.B) { cpuBench(b, lines, func(l []byte) { isClean(l) }) })
	b.Run("impl=scalar", func(b *testing.B) { cpuBench(b, lines, func(l []byte) { cleanScalar(l) }) })
}

// BenchmarkEscape writes the user-agent field of generated lines as a JSON
// string: as elblog does (a plain copy for clean lines; \xHH decoding, then
// escaping, for others), and with segmentio's json.AppendEscape and
// encoding/json, which cannot decode \xHH.
func BenchmarkEscape(b *testing.B) {
	for _, messy := range []float64{0, 1} {
		var uas [][]byte
		var f fieldsOf
		for _, l := range gen.New(gen.ALB, 2, gen.Options{Messy: messy}).Lines(256) {
			f.split(l, 33, 0)
			uas = append(uas, bytes.Clone(f.v[13]))
		}
		name := "lines=clean"
		if messy > 0 {
			name = "lines=escaped"
		}
		dst := make([]byte, 0, 4096)
		var e Encoder
		e.clean = messy == 0
		b.Run(name+"/impl=elblog", func(b *testing.B) {
			cpuBench(b, uas, func(v []byte) { dst = e.str(dst[:0], v, true) })
		})
		b.Run(name+"/impl=segmentio-json", func(b *testing.B) {
			cpuBench(b, uas, func(v []byte) { dst = segjson.AppendEscape(dst[:0], string(v), 0) })
		})
		b.Run(name+"/impl=encoding-json", func(b *testing.B) {
			cpuBench(b, uas, func(v []byte) { dst, _ = json.Marshal(string(v)) })
		})
	}
}

// BenchmarkFormat is AppendJSON (ECS) on generated lines of every format,
// for profiling one format at a time; bench/ compares them with baselines.
// It cycles through 1024 lines, as bench/ does: over 256 lines the CPU's
// branch predictor learns enough of the cycle to make ALB about 10% and
// CLB about 12% faster than over 1024 (and 4096 lines are slower again by
// 3-4%), which is not what a stream of new lines gets.
func BenchmarkFormat(b *testing.B) {
	p := Provenance{Source: "s3://my-bucket/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2024/03/01/x.log.gz", Position: 1}
	for _, f := range gen.Formats {
		lines := gen.New(f, 1, gen.Options{}).Lines(1024)
		var e Encoder
		dst := make([]byte, 0, 8192)
		b.Run("format="+f.String(), func(b *testing.B) {
			cpuBench(b, lines, func(l []byte) { dst, _, _ = e.AppendJSON(dst[:0], l, p) })
		})
	}
}

// BenchmarkMarks times the bitmap pass alone (marks.go): on a 64-byte line
// it shows the fixed cost of a call, on generated ALB lines the usual one.
func BenchmarkMarks(b *testing.B) {
	if !useMarks {
		b.Skip("no vector implementation on this build or CPU")
	}
	var m marks
	short := [][]byte{bytes.Repeat([]byte(`ab "c" d`), 8)}
	b.Run("line=64B", func(b *testing.B) { cpuBench(b, short, func(l []byte) { m.mark(l) }) })
	b.Run("line=alb", func(b *testing.B) { cpuBench(b, benchLines(b), func(l []byte) { m.mark(l) }) })
}
