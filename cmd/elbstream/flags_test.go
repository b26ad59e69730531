package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestApplyEnvFillsUnsetFlagsOnly(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	startAt := fs.String("start-at", "checkpoint", "")
	to := fs.String("to", "stdout", "")
	drain := fs.Bool("drain", false, "")
	var fields listFlag
	fs.Var(&fields, "field", "")
	if err := fs.Parse([]string{"--to", "tcp://a:1"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"ELBSTREAM_START_AT": "latest",
		"ELBSTREAM_TO":       "beats://ignored:1",
		"ELBSTREAM_DRAIN":    "true",
		"ELBSTREAM_FIELD":    "env=prod,team=edge",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if err := applyEnv(fs, lookup); err != nil {
		t.Fatal(err)
	}
	if *startAt != "latest" {
		t.Errorf("start-at = %q, want it from ELBSTREAM_START_AT", *startAt)
	}
	if *to != "tcp://a:1" {
		t.Errorf("to = %q, want the command line to win over the environment", *to)
	}
	if !*drain {
		t.Error("drain not read from ELBSTREAM_DRAIN")
	}
	if len(fields) != 2 || fields[0] != "env=prod" || fields[1] != "team=edge" {
		t.Errorf("field = %q", fields)
	}
}

func TestApplyEnvReportsBadValue(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.Int("shards", 4, "")
	err := applyEnv(fs, func(k string) (string, bool) { return "four", k == "ELBSTREAM_SHARDS" })
	if err == nil || !strings.Contains(err.Error(), "ELBSTREAM_SHARDS") {
		t.Fatalf("err = %v, want it to name ELBSTREAM_SHARDS", err)
	}
}

// Through the environment as on the command line: a bad value is a usage
// error (exit 2) naming the variable, and an empty variable is no value.
func TestEnvValuesAsUsage(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "a.log")
	if err := os.WriteFile(log, []byte("not a log line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ELBSTREAM_CONCURRENCY", "x")
	code, _, stderr := runCLI(t, "ingest", "--stream", "local://"+filepath.Join(dir, "raw"), log)
	if code != 2 || !strings.Contains(stderr, "ELBSTREAM_CONCURRENCY") {
		t.Errorf("ELBSTREAM_CONCURRENCY=x: exit %d, stderr %q; want 2, naming the variable", code, stderr)
	}
	t.Setenv("ELBSTREAM_CONCURRENCY", "")
	t.Setenv("ELBSTREAM_FORMAT", "")
	if code, _, stderr := runCLI(t, "ingest", "--stream", "local://"+filepath.Join(dir, "raw"), log); code != 0 {
		t.Errorf("empty ELBSTREAM_CONCURRENCY: exit %d, stderr %q; want it ignored", code, stderr)
	}
	if code, _, stderr := runCLI(t, "parse", log); code != 0 {
		t.Errorf("empty ELBSTREAM_FORMAT: exit %d, stderr %q; want it ignored", code, stderr)
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		raw, scheme, target, query string
		bad                        bool
	}{
		{raw: "local://data/raw", scheme: "local", target: "data/raw"},
		{raw: "local:///var/lib/elb?shards=8", scheme: "local", target: "/var/lib/elb", query: "shards=8"},
		{raw: "kinesis://elb-raw", scheme: "kinesis", target: "elb-raw"},
		{raw: "kinesis://arn:aws:kinesis:us-east-1:123456789012:stream/raw", scheme: "kinesis", target: "arn:aws:kinesis:us-east-1:123456789012:stream/raw"},
		{raw: "dynamodb://elbstream-checkpoints?create=true", scheme: "dynamodb", target: "elbstream-checkpoints", query: "create=true"},
		{raw: "elb-raw", bad: true},
		{raw: "local://", bad: true},
	}
	for _, tt := range tests {
		u, err := parseURL(tt.raw)
		if tt.bad {
			if err == nil {
				t.Errorf("parseURL(%q) = %v, want an error", tt.raw, u)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseURL(%q): %v", tt.raw, err)
			continue
		}
		if u.Scheme != tt.scheme || u.Opaque != tt.target || u.RawQuery != tt.query {
			t.Errorf("parseURL(%q) = %q %q %q, want %q %q %q", tt.raw, u.Scheme, u.Opaque, u.RawQuery, tt.scheme, tt.target, tt.query)
		}
	}
}

func TestRunUnknownCommandAndVersion(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"nope"}, strings.NewReader(""), &out, &errb); code != 2 {
		t.Errorf("unknown command exit = %d, want 2", code)
	}
	if !strings.Contains(errb.String(), `unknown command "nope"`) {
		t.Errorf("stderr = %q", errb.String())
	}
	out.Reset()
	if code := run([]string{"--version"}, strings.NewReader(""), &out, io.Discard); code != 0 || !strings.HasPrefix(out.String(), "elbstream ") {
		t.Errorf("--version: exit %d, %q", code, out.String())
	}
	out.Reset()
	if code := run([]string{"--help"}, strings.NewReader(""), &out, io.Discard); code != 0 || !strings.Contains(out.String(), "lambda") {
		t.Errorf("--help: exit %d, %q", code, out.String())
	}
}

func TestLambdaRejectsUnknownHandler(t *testing.T) {
	t.Setenv("ELBSTREAM_HANDLER", "nope")
	var errb bytes.Buffer
	if code := run([]string{"lambda"}, strings.NewReader(""), io.Discard, &errb); code != 1 {
		t.Errorf("exit = %d, want 1", code)
	}
	if !strings.Contains(errb.String(), `ELBSTREAM_HANDLER="nope"`) {
		t.Errorf("stderr = %q", errb.String())
	}
}
