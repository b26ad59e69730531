package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestReviewRunDoesNotReadItsDataDir: `run logs/ --data logs/.elbstream`
// (a data directory kept next to the logs) must not read the run's own
// streams, checkpoint store and ledger as log files, as it already does not
// read its own --to file:PATH output. Reading them delivers binary garbage
// as parse-failure events, and since those files change on every run, the
// same command run again delivers new garbage each time instead of
// "nothing twice".
func TestReviewRunDoesNotReadItsDataDir(t *testing.T) {
	logs := t.TempDir()
	want := writeRunFixture(t, logs, 21)
	data := filepath.Join(logs, ".elbstream")

	code, stdout, stderr := runMain(t, logs, "--data", data)
	if code != 0 {
		t.Fatalf("first run: exit %d; stderr:\n%s", code, stderr)
	}
	runCheckOnce(t, runEventIDs(t, stdout), want.ids)
	if strings.Contains(stderr, ".elbstream/") {
		t.Errorf("first run read files of its own data directory:\n%s", stderr)
	}

	code, stdout, stderr = runMain(t, logs, "--data", data)
	if code != 0 {
		t.Fatalf("second run: exit %d; stderr:\n%s", code, stderr)
	}
	if len(stdout) != 0 {
		t.Errorf("the same command run again delivered %d events (want none):\n%s", len(runEventIDs(t, stdout)), stderr)
	}
}
