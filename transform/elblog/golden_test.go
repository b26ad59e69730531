package elblog_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elbstream/elbstream/transform/elblog"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/<format>/ from the encoder's output")

// repoTestdata holds testdata/<format>/<scenario>.log with the events
// expected from each: <scenario>.golden.json (ECS) and
// <scenario>.classic.golden.json (the classic schema), one event per line.
var repoTestdata = filepath.Join("..", "..", "testdata")

// TestGolden encodes every scenario and compares the events with the
// golden files. Lines starting with '#' cite the line's source and are not
// log lines; the position in event.id is the line number in the file. Run
// with -update to rewrite the goldens, then review the diff.
func TestGolden(t *testing.T) {
	logs, err := filepath.Glob(filepath.Join(repoTestdata, "*", "*.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no scenarios in %s: %v", repoTestdata, err)
	}
	for _, name := range logs {
		for _, sc := range []elblog.Schema{elblog.ECS, elblog.Classic} {
			golden := strings.TrimSuffix(name, ".log") + ".golden.json"
			if sc == elblog.Classic {
				golden = strings.TrimSuffix(name, ".log") + ".classic.golden.json"
			}
			rel, _ := filepath.Rel(repoTestdata, name)
			t.Run(rel+"/"+sc.String(), func(t *testing.T) {
				in, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				got := encodeScenario(t, filepath.ToSlash(rel), in, sc)
				if *update {
					if err := os.WriteFile(golden, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from the encoder's output (go test -run TestGolden -update rewrites it; review the diff):\n%s",
						golden, firstDiff(got, want))
				}
			})
		}
	}
}

// encodeScenario encodes every log line of a scenario and returns the events
// as JSON lines. A skipped line is written as a comment-free blank-free
// marker {"skipped":…} only in the golden file, so a reviewer sees it.
func encodeScenario(t *testing.T, source string, in []byte, sc elblog.Schema) []byte {
	t.Helper()
	enc := elblog.Encoder{Schema: sc}
	var out []byte
	for i, line := range bytes.SplitAfter(in, []byte("\n")) {
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		p := elblog.Provenance{Source: source, Position: int64(i + 1)}
		n := len(out)
		var outcome elblog.Outcome
		out, outcome, _ = enc.AppendJSON(out, line, p)
		if outcome == elblog.Skipped {
			out = append(out, `{"golden":"skipped line `...)
			out = append(out, []byte(itoa(i+1))...)
			out = append(out, `"}`...)
		}
		if !json.Valid(out[n:]) {
			t.Fatalf("line %d: invalid JSON %q", i+1, out[n:])
		}
		out = append(out, '\n')
	}
	return out
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "event " + itoa(i+1) + ":\n got:  " + gl + "\n want: " + wl
		}
	}
	return ""
}
