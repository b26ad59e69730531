package elblog_test

import (
	"testing"

	"github.com/elbstream/elbstream/testdata/gen"
	"github.com/elbstream/elbstream/transform/elblog"
)

// TestZeroAllocs holds AppendJSON to zero allocations per line in steady
// state, for every format, clean and messy lines, both schemas, with static
// fields, detected or fixed format, with and without a position.
func TestZeroAllocs(t *testing.T) {
	formats := map[gen.Format]elblog.Format{gen.CLB: elblog.CLB, gen.ALB: elblog.ALB, gen.ALBConnection: elblog.ALBConnection, gen.NLB: elblog.NLB}
	for gf, ef := range formats {
		for _, messy := range []float64{0, 1} {
			lines := gen.New(gf, 3, gen.Options{Messy: messy}).Lines(64)
			lines = append(lines, []byte("Enable AccessLog for ELB: app/x/1 at 2025-05-30T16:47:00.781Z"), []byte{})
			for _, sc := range []elblog.Schema{elblog.ECS, elblog.Classic} {
				for _, fixed := range []bool{false, true} {
					enc := elblog.Encoder{Schema: sc, Fields: fuzzFields[sc]}
					if fixed {
						enc.Format = ef
					}
					dst := make([]byte, 0, 64<<10)
					p := elblog.Provenance{Source: "s3://bucket/key", Position: 0}
					// Warm up: scratch space grows to the longest line.
					for _, l := range lines {
						dst, _, _ = enc.AppendJSON(dst[:0], l, p)
					}
					i := 0
					allocs := testing.AllocsPerRun(500, func() {
						l := lines[i%len(lines)]
						i++
						p.Position = int64(i)
						if i%7 == 0 {
							p.Position = -1
						}
						var outcome elblog.Outcome
						dst, outcome, _ = enc.AppendJSON(dst[:0], l, p)
						if outcome == elblog.Failed {
							t.Fatalf("generated line failed: %q", l)
						}
					})
					if allocs != 0 {
						t.Errorf("%v messy=%v %v fixed=%v: %v allocations per line, want 0", gf, messy, sc, fixed, allocs)
					}
				}
			}
		}
	}
}

// TestFailureAllocs bounds what a failing line costs: its *ParseError and
// the copy of the offending value it holds.
func TestFailureAllocs(t *testing.T) {
	var enc elblog.Encoder
	dst := make([]byte, 0, 4096)
	line := []byte("http 2018-07-02T22:23:00.186641Z app/x 1.2.3.4:5 - 0.1 0.1 0.1 2x0 - 1 1 \"GET / HTTP/1.1\" \"-\" - -")
	allocs := testing.AllocsPerRun(100, func() {
		dst, _, _ = enc.AppendJSON(dst[:0], line, elblog.Provenance{Position: 1})
	})
	if allocs > 2 {
		t.Errorf("%v allocations per failed line, want at most 2", allocs)
	}
}
