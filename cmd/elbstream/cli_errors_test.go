package main

// Command lines that parse but cannot work: each is refused with one line
// naming the flag or value at fault, and exit status 2.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cliStream makes a local raw stream with one ingested line and returns
// its URL and the log file's path.
func cliStream(t *testing.T) (streamURL, logFile string) {
	t.Helper()
	dir := t.TempDir()
	logFile = filepath.Join(dir, "a.log")
	if err := os.WriteFile(logFile, []byte("http 2018-07-02T22:23:00.186641Z app/x 1.2.3.4:1 - -1 -1 -1 503 - 0 0 \"GET / HTTP/1.1\" \"-\" - -\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	streamURL = "local://" + filepath.Join(dir, "raw")
	if code, _, stderr := runCLI(t, "ingest", "--stream", streamURL, logFile); code != 0 {
		t.Fatalf("ingest: exit %d: %s", code, stderr)
	}
	return streamURL, logFile
}

// cliEvents makes a local events stream holding one event.
func cliEvents(t *testing.T) string {
	t.Helper()
	raw, _ := cliStream(t)
	events := raw + "-events"
	if code, _, stderr := runCLI(t, "transform", "--from", raw, "--to", events, "--drain"); code != 0 {
		t.Fatalf("transform: exit %d: %s", code, stderr)
	}
	return events
}

// A --from that is meant as a local stream but lacks the "//" is blamed on
// --checkpoints ("required for a stream that is not local://"), which
// sends the user after the wrong flag.
func TestMalformedFromURLIsReportedAsSuch(t *testing.T) {
	streamURL, _ := cliStream(t)
	bad := "local:" + strings.TrimPrefix(streamURL, "local://")
	for _, args := range [][]string{
		{"transform", "--from", bad, "--to", streamURL + "-events", "--drain"},
		{"forward", "--from", bad, "--to", "stdout", "--drain"},
	} {
		code, _, stderr := runCLI(t, args...)
		if strings.Contains(stderr, "--checkpoints is required") || !strings.Contains(stderr, "not a URL") {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant it to say that --from %q is not a URL", args[0], code, stderr, bad)
		}
	}
}

// Negative values of forward's output flags fail with "output: negative
// setting in config", which names neither the flag nor the value, and exit
// 1 where every other bad flag value exits 2.
func TestForwardNegativeOutputFlagIsNamed(t *testing.T) {
	streamURL := cliEvents(t)
	for _, f := range [][2]string{{"--connections", "-1"}, {"--window", "-5"}, {"--timeout", "-1s"}} {
		code, _, stderr := runCLI(t, "forward", "--from", streamURL, "--to", "stdout", "--drain", f[0], f[1])
		if code != 2 || !strings.Contains(stderr, f[0]) {
			t.Errorf("forward %s %s: exit %d, stderr:\n%s\nwant exit 2 and an error naming %s", f[0], f[1], code, stderr, f[0])
		}
	}
}

// Negative numbers are refused, where they were taken as "use the
// default" in silence.
func TestNegativeNumbersRefused(t *testing.T) {
	streamURL, logFile := cliStream(t)
	events := cliEvents(t)
	for _, args := range [][]string{
		{"ingest", "--stream", streamURL, "--concurrency", "-1", logFile},
		{"ingest", "--stream", streamURL, "--max-line-bytes", "-5", logFile},
		{"forward", "--from", events, "--to", "stdout", "--drain", "--consumer", "a", "--max-records", "-1"},
		{"forward", "--from", events, "--to", "stdout", "--drain", "--consumer", "b", "--max-in-flight", "-1"},
		{"forward", "--from", events, "--to", "stdout", "--drain", "--consumer", "c", "--lease-ttl", "-1s"},
	} {
		if code, _, stderr := runCLI(t, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2 (a usage error); stderr:\n%s", args, code, stderr)
		}
	}
}

// --max-line-bytes below 256 (room for a cut line's marker) is refused: it
// used to be raised to 256 in silence, so that a 200-byte line under
// --max-line-bytes 100 was not cut.
func TestMaxLineBytesBelowFloorRefused(t *testing.T) {
	streamURL, _ := cliStream(t)
	logFile := filepath.Join(t.TempDir(), "long.log")
	if err := os.WriteFile(logFile, []byte(strings.Repeat("x", 200)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "ingest", "--stream", streamURL, "--max-line-bytes", "100", logFile)
	if code != 2 || !strings.Contains(stderr, "--max-line-bytes 100: want 256 or more") {
		t.Errorf("exit %d, stderr:\n%s\nwant --max-line-bytes 100 refused", code, stderr)
	}
}

// A bad --progress value exits 1 without the pointer to --help, unlike
// every other bad flag value (exit 2, "Run 'elbstream ingest --help'").
func TestIngestBadProgressIsUsageError(t *testing.T) {
	streamURL, logFile := cliStream(t)
	code, _, stderr := runCLI(t, "ingest", "--stream", streamURL, "--progress", "bogus", logFile)
	if code != 2 || !strings.Contains(stderr, "--help") {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and the pointer to --help", code, stderr)
	}
}

// The encoder's flags are named in their errors, not the parser package.
func TestEncoderFlagErrorsNameTheFlag(t *testing.T) {
	for _, tc := range [][2]string{{"--format", "xyz"}, {"--schema", "x"}, {"--field", "novalue"}, {"--field", "event.id=1"}} {
		code, _, stderr := runCLI(t, "parse", tc[0], tc[1])
		if code != 2 || !strings.Contains(stderr, "elbstream parse: "+tc[0]+": ") || strings.Contains(stderr, "elblog:") {
			t.Errorf("parse %s %s: exit %d, stderr %q; want exit 2 and the flag named", tc[0], tc[1], code, stderr)
		}
	}
}

// transform with --to naming the --from stream is refused as such; it used
// to wait for the stream's lock and blame "another process".
func TestTransformSameStreamRefused(t *testing.T) {
	streamURL, _ := cliStream(t)
	code, _, stderr := runCLI(t, "transform", "--from", streamURL, "--to", streamURL+"/", "--drain")
	if code != 2 || !strings.Contains(stderr, "--from and --to name the same stream") {
		t.Errorf("exit %d, stderr:\n%s\nwant an error saying --from and --to are the same stream", code, stderr)
	}
}
