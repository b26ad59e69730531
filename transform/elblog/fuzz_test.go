package elblog_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/elbstream/elbstream/testdata/gen"
	"github.com/elbstream/elbstream/transform/elblog"
)

// fuzzFields are static fields that exercise merging into schema objects
// (cloud, aws) and new top-level objects (labels).
var fuzzFields = [2][]elblog.Field{
	elblog.ECS:     {{Key: "labels.env", Value: "prod"}, {Key: "cloud.account.id", Value: "123456789012"}, {Key: "aws.s3.bucket", Value: "logs"}},
	elblog.Classic: {{Key: "Environment", Value: "prod"}, {Key: "Type", Value: "elb"}, {Key: "labels.team", Value: "web"}},
}

// FuzzParse checks the encoder against the reference implementation on any
// input: both agree on the outcome and, field by field, on the event; every
// event is valid UTF-8 JSON on one line; dst's prefix is kept.
func FuzzParse(f *testing.F) {
	for _, line := range seedLines(f) {
		f.Add(line, uint8(elblog.Auto), uint8(elblog.ECS), int64(0))
	}
	for _, line := range hardCaseLines {
		f.Add(line, uint8(elblog.Auto), uint8(elblog.Classic), int64(-1))
	}
	f.Fuzz(func(t *testing.T, line string, format, schema uint8, pos int64) {
		fm, sc := elblog.Format(format%5), elblog.Schema(schema%2)
		enc := elblog.Encoder{Format: fm, Schema: sc, Fields: fuzzFields[sc]}
		p := elblog.Provenance{Source: "s3://bucket/key#etag", Position: pos}
		checkAgainstReference(t, &enc, line, p)
	})
}

func checkAgainstReference(t *testing.T, enc *elblog.Encoder, line string, p elblog.Provenance) {
	t.Helper()
	prefix := []byte(`{"previous":"event"}` + "\n")
	out, outcome, err := enc.AppendJSON(bytes.Clone(prefix), []byte(line), p)
	if !bytes.HasPrefix(out, prefix) {
		t.Fatalf("dst prefix lost: %q", out)
	}
	event := out[len(prefix):]
	switch {
	case outcome == elblog.Skipped && (err != nil || len(event) > 0):
		t.Fatalf("skipped with err %v and event %q", err, event)
	case outcome == elblog.Failed && err == nil:
		t.Fatalf("failed without an error: %q", event)
	case outcome == elblog.Parsed && err != nil:
		t.Fatalf("parsed with error %v", err)
	}
	want, wantOutcome := refEncode(line, enc.Format, enc.Schema, enc.Fields, p)
	if outcome != wantOutcome {
		t.Fatalf("line %q: outcome %v (err %v), reference says %v\nevent: %s", line, outcome, err, wantOutcome, event)
	}
	if outcome == elblog.Skipped {
		return
	}
	if !utf8.Valid(event) || !json.Valid(event) || bytes.ContainsAny(event, "\r\n") {
		t.Fatalf("line %q: not one line of valid UTF-8 JSON: %q", line, event)
	}
	var got map[string]any
	if err := json.Unmarshal(event, &got); err != nil {
		t.Fatal(err)
	}
	if dup := duplicateKey(event); dup != "" {
		t.Fatalf("line %q: duplicate key %q in %s", line, dup, event)
	}
	if outcome == elblog.Failed {
		msg, _ := got["error"].(map[string]any)["message"].(string)
		if msg == "" || msg != err.Error() {
			t.Fatalf("error.message %q, err %q", msg, err)
		}
		got["error"].(map[string]any)["message"] = "(not compared)"
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("line %q (format %v, schema %v):\ngot  %s\nwant %s", line, enc.Format, enc.Schema, g, w)
	}
}

// duplicateKey returns a key that appears twice in one object of a JSON
// document ("" if none): encoding/json would silently keep the last.
func duplicateKey(doc []byte) string {
	d := json.NewDecoder(bytes.NewReader(doc))
	var walk func() string
	walk = func() string {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for d.More() {
				k, _ := d.Token()
				key := k.(string)
				if seen[key] {
					return key
				}
				seen[key] = true
				if dup := walk(); dup != "" {
					return dup
				}
			}
			d.Token()
		case json.Delim('['):
			for d.More() {
				if dup := walk(); dup != "" {
					return dup
				}
			}
			d.Token()
		}
		return ""
	}
	return walk()
}

// seedLines returns AWS's example lines from the golden files and generated
// lines of every format, clean and messy.
func seedLines(tb testing.TB) []string {
	var lines []string
	logs, _ := filepath.Glob(filepath.Join(repoTestdata, "*", "*.log"))
	for _, name := range logs {
		b, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if !strings.HasPrefix(l, "#") {
				lines = append(lines, l)
			}
		}
	}
	for _, f := range gen.Formats {
		for _, l := range gen.New(f, 1, gen.Options{Messy: 0.5}).Lines(20) {
			lines = append(lines, string(l))
		}
	}
	return lines
}

// TestReferenceAgreesOnGenerated runs the differential check over many
// generated lines, so `go test` covers it without -fuzz.
func TestReferenceAgreesOnGenerated(t *testing.T) {
	for _, f := range gen.Formats {
		for _, messy := range []float64{0, 0.7} {
			g := gen.New(f, 7, gen.Options{Messy: messy})
			for _, sc := range []elblog.Schema{elblog.ECS, elblog.Classic} {
				enc := elblog.Encoder{Schema: sc, Fields: fuzzFields[sc]}
				for i, l := range g.Lines(300) {
					checkAgainstReference(t, &enc, string(l), elblog.Provenance{Source: "gen", Position: int64(i)})
				}
			}
		}
	}
}

// TestReferenceAgreesOnSeeds runs the differential check over the golden
// scenarios and hard cases, with every format setting and both schemas.
func TestReferenceAgreesOnSeeds(t *testing.T) {
	lines := append(seedLines(t), hardCaseLines...)
	for fm := elblog.Auto; fm <= elblog.NLB; fm++ {
		for _, sc := range []elblog.Schema{elblog.ECS, elblog.Classic} {
			enc := elblog.Encoder{Format: fm, Schema: sc, Fields: fuzzFields[sc]}
			for i, l := range lines {
				checkAgainstReference(t, &enc, l, elblog.Provenance{Source: "seed", Position: int64(i - 3)})
			}
		}
	}
}
