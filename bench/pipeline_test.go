//go:build linux

package bench_test

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	lumberlog "github.com/elastic/go-lumber/log"

	"github.com/elbstream/elbstream/testdata/gen"
)

// clbLines is the size of the CLB file of the pipeline benchmark: the
// object the original Node.js processor was measured on.
const clbLines = 76464

// BenchmarkPipeline measures `elbstream run` as a user runs it: the built
// binary, in its own process, on a 76,464-line Classic ELB file (generated
// with seed 1, clean lines, 20 MB, plain text as AWS writes CLB logs), from
// start to exit — ingest, transform and forward on the embedded stream in a
// temporary directory, drained, summary printed. One op is one whole run.
//
//	to=stdout  events to stdout, which is /dev/null
//	to=beats   events to a local go-lumber beats receiver that acknowledges
//	           every window without decoding it
//	shards=N   shards of the embedded streams (--shards)
//
// Reported per run: events/s (lines delivered per wall second), cpu-s/op
// (user + system CPU of the child), MiB-maxrss (the child's peak resident
// set, as getrusage reports it: the Go heap plus the pages of the embedded
// streams' memory-mapped files that were touched). Every run must exit 0
// with a reconciled summary.
//
//	go test -run '^$' -bench Pipeline -benchtime=3x -count=1 ./bench
func BenchmarkPipeline(b *testing.B) {
	bin := buildPipelineBinary(b)
	file := filepath.Join(b.TempDir(), "clb.log")
	if err := os.WriteFile(file, gen.Object(gen.CLB, 1, clbLines, gen.Options{}), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, to := range []string{"stdout", "beats"} {
		for _, shards := range []int{1, 2, 4} {
			if to == "beats" && shards != 4 {
				continue // the output's cost, at the default shard count
			}
			b.Run(fmt.Sprintf("to=%s/shards=%d", to, shards), func(b *testing.B) {
				output := "stdout"
				if to == "beats" {
					lumberlog.Logger = log.New(io.Discard, "", 0)
					output = startReceiver(b, "beats")
				}
				var cpu time.Duration
				var maxRSS int64
				b.ResetTimer()
				for range b.N {
					st := runPipelineBinary(b, bin, "--to", output, "--shards", fmt.Sprint(shards), file)
					cpu += st.UserTime() + st.SystemTime()
					if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
						maxRSS = max(maxRSS, ru.Maxrss) // KiB on Linux
					}
				}
				b.ReportMetric(float64(clbLines*b.N)/b.Elapsed().Seconds(), "events/s")
				b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
				b.ReportMetric(float64(maxRSS)/1024, "MiB-maxrss")
			})
		}
	}
}

// runPipelineBinary runs `elbstream run ARGS` and checks that it delivered every
// line of the file and said its counts reconcile.
func runPipelineBinary(b *testing.B, bin string, args ...string) *os.ProcessState {
	cmd := exec.Command(bin, append([]string{"run"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr // stdout stays nil: /dev/null
	if err := cmd.Run(); err != nil {
		b.Fatalf("%v\n%s", err, stderr.String())
	}
	want := fmt.Sprintf("reconciled: %d read = %d delivered", clbLines, clbLines)
	if !strings.Contains(stderr.String(), want) {
		b.Fatalf("summary lacks %q:\n%s", want, stderr.String())
	}
	return cmd.ProcessState
}

var (
	pipelineBuildOnce sync.Once
	pipelineBin       string
	pipelineBuildErr  error
)

// buildPipelineBinary builds the binary once per benchmark process.
func buildPipelineBinary(b *testing.B) string {
	pipelineBuildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "elbstream-bench-")
		if err != nil {
			pipelineBuildErr = err
			return
		}
		pipelineBin = filepath.Join(dir, "elbstream")
		out, err := exec.Command("go", "build", "-o", pipelineBin, "github.com/elbstream/elbstream/cmd/elbstream").CombinedOutput()
		if err != nil {
			pipelineBuildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if pipelineBuildErr != nil {
		b.Fatal(pipelineBuildErr)
	}
	return pipelineBin
}
