package bench

import (
	"encoding/json"
	"runtime"
	"testing"

	"github.com/elbstream/elbstream/testdata/gen"
	"github.com/elbstream/elbstream/transform/elblog"
)

// BenchmarkParser measures one line → one JSON event, per format, for
// transform/elblog and the baselines, on the same 1024 generated lines
// (realistic, clean; see testdata/gen). One op is one line; MB/s counts the
// input. MB/cpu-s is the same per CPU second of the benchmark's thread:
// the honest per-core number on a shared machine.
//
//	impl=elblog           ECS events, format detected per line (the default)
//	impl=elblog-classic   the classic schema
//	impl=regexp-map       regexp with a named group per field, captures in a
//	                      map[string]string, encoding/json Marshal
//	impl=regexp-struct    the same regexp, captures converted into a typed
//	                      struct, encoding/json Marshal (ALB only)
//	impl=struct-marshal   encoding/json Marshal of an already filled struct:
//	                      what the encoding alone costs, no parsing (ALB only)
func BenchmarkParser(b *testing.B) {
	for _, f := range gen.Formats {
		lines := gen.New(f, 1, gen.Options{}).Lines(1024)
		b.Run("format="+f.String(), func(b *testing.B) {
			b.Run("impl=elblog", func(b *testing.B) { benchElblog(b, lines, elblog.ECS) })
			b.Run("impl=elblog-classic", func(b *testing.B) { benchElblog(b, lines, elblog.Classic) })
			re := baselineRegexps[f]
			names := re.SubexpNames()
			b.Run("impl=regexp-map", func(b *testing.B) {
				run(b, lines, func(l []byte) int {
					out, err := regexpMap(re, names, l)
					if err != nil {
						b.Fatal(err)
					}
					return len(out)
				})
			})
			if f != gen.ALB {
				return
			}
			strs := make([]string, len(lines))
			for i, l := range lines {
				strs[i] = string(l)
			}
			b.Run("impl=regexp-struct", func(b *testing.B) {
				i := 0
				run(b, lines, func([]byte) int {
					out, err := regexpStruct(re, strs[i%len(strs)])
					i++
					if err != nil {
						b.Fatal(err)
					}
					return len(out)
				})
			})
			filled := make([]albEvent, len(strs))
			for i, s := range strs {
				filled[i] = fillALB(re.FindStringSubmatch(s))
			}
			b.Run("impl=struct-marshal", func(b *testing.B) {
				i := 0
				run(b, lines, func([]byte) int {
					out, err := json.Marshal(&filled[i%len(filled)])
					i++
					if err != nil {
						b.Fatal(err)
					}
					return len(out)
				})
			})
		})
	}
}

func benchElblog(b *testing.B, lines [][]byte, schema elblog.Schema) {
	enc := elblog.Encoder{Schema: schema}
	dst := make([]byte, 0, 64<<10)
	p := elblog.Provenance{Source: "s3://my-logs/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2024/03/01/file.log.gz#etag"}
	run(b, lines, func(l []byte) int {
		p.Position++
		var outcome elblog.Outcome
		dst, outcome, _ = enc.AppendJSON(dst[:0], l, p)
		if outcome != elblog.Parsed {
			b.Fatalf("%v: %q", outcome, l)
		}
		return len(dst)
	})
}

// run calls fn once per op on the lines in turn and reports input
// throughput per wall and per CPU second, and the output size.
func run(b *testing.B, lines [][]byte, fn func(line []byte) int) {
	var in int
	for _, l := range lines {
		in += len(l)
	}
	b.SetBytes(int64(in / len(lines)))
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	out, i := 0, 0
	t0 := threadCPU()
	for b.Loop() {
		out += fn(lines[i%len(lines)])
		i++
	}
	if cpu := threadCPU() - t0; cpu > 0 {
		b.ReportMetric(float64(in/len(lines))*float64(b.N)/cpu.Seconds()/1e6, "MB/cpu-s")
	}
	b.ReportMetric(float64(out)/float64(b.N), "out-B/op")
}
