//go:build linux

package main

// What a full disk does to `elbstream run --data DIR`.
//
// The tests named TestDiskFull* mount small tmpfs filesystems to fill up,
// so they need root (CAP_SYS_ADMIN): without it they fail in CI (CI=true)
// and skip on a developer's machine. TestLedgerTornLastLine needs nothing
// special.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/elbstream/elbstream/testdata/gen"
)

// smallTmpfs mounts a tmpfs of size (e.g. "16m") on a new directory and
// unmounts it when the test ends. It skips the test when mounting is not
// allowed (not root).
func smallTmpfs(t *testing.T, size string) string {
	t.Helper()
	skip := t.Skip
	if os.Getenv("CI") != "" {
		skip = t.Fatal
	}
	if os.Geteuid() != 0 {
		skip("needs root: mounts a tmpfs to fill up")
	}
	dir := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		skip("needs root: mount tmpfs: " + err.Error())
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// diskRemount gives the tmpfs at dir a new size: the disk "freed".
func diskRemount(t *testing.T, dir, size string) {
	t.Helper()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_REMOUNT, "size="+size); err != nil {
		t.Fatal(err)
	}
}

// diskObjects writes n plain ALB logs of lines lines each under dir and
// returns what a run of them must deliver.
func diskObjects(t *testing.T, dir string, n, lines int) runWant {
	t.Helper()
	var objs []runObject
	for i := range n {
		objs = append(objs, runObject{name: fmt.Sprintf("alb-%d.log", i), data: gen.Object(gen.ALB, uint64(9100+i), lines, gen.Options{})})
	}
	srcs := writeRunFiles(t, dir, objs...)
	var w runWant
	for i, o := range objs {
		w.add(srcs[i], o)
	}
	return w
}

// diskRunBinary runs the built binary, stdout into a buffer.
func diskRunBinary(t *testing.T, args ...string) (code int, stdout []byte, stderr string) {
	t.Helper()
	cmd := exec.Command(elbstreamBinary(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.Bytes(), errb.String()
}

var pipelineLinesRE = regexp.MustCompile(`run: pipeline: (\d+) lines in (\d+) raw records`)

// diskCheckUnion checks that the events of all runs hold every wanted id
// and says how many were delivered more than once.
func diskCheckUnion(t *testing.T, want runWant, outs ...[]byte) (dupEvents int) {
	t.Helper()
	got := map[string]int{}
	for _, o := range outs {
		for id, n := range runEventIDs(t, o) {
			got[id] += n
		}
	}
	missing := 0
	for id := range want.ids {
		if got[id] == 0 {
			missing++
		}
	}
	for id, n := range got {
		if !want.ids[id] {
			t.Errorf("unexpected event id %s", id)
		}
		dupEvents += n - 1
	}
	if missing > 0 {
		t.Errorf("%d of %d events never delivered", missing, len(want.ids))
	}
	return dupEvents
}

// TestDiskFullRunAgainDeliversOnce: DIR on a 16 MiB filesystem, 80,000
// lines (~45 MiB) to run. The first run fails on the full disk, by name;
// once the disk has room, the same command must deliver what was left, and
// not read again the lines the first run had already put on the raw stream
// (README, "Running again": a failed object is "taken up" where its
// accepted lines end, "without delivering its first lines a second time").
func TestDiskFullRunAgainDeliversOnce(t *testing.T) {
	small := smallTmpfs(t, "16m")
	src := t.TempDir()
	want := diskObjects(t, src, 4, 20000)
	data := filepath.Join(small, "d")

	code, out1, stderr1 := diskRunBinary(t, "run", "--data", data, src)
	t.Logf("run 1: exit %d\n%s", code, stderr1)
	if code == 0 {
		t.Fatal("run 1 on a full disk exited 0")
	}
	if !strings.Contains(stderr1, "no space left on device") || !strings.Contains(stderr1, data) {
		t.Errorf("run 1 does not name the full disk and the file under %s", data)
	}
	m := pipelineLinesRE.FindStringSubmatch(stderr1)
	if m == nil {
		t.Fatal("run 1: no pipeline line")
	}
	accepted, _ := strconv.ParseInt(m[1], 10, 64)
	if accepted == 0 {
		t.Skip("run 1 put nothing on the raw stream: nothing to check")
	}

	diskRemount(t, small, "512m")
	code, out2, stderr2 := diskRunBinary(t, "run", "--data", data, src)
	t.Logf("run 2: exit %d\n%s", code, stderr2)
	if code != 0 {
		t.Errorf("run 2 with room again exited %d", code)
	}
	read2 := runCounts(t, stderr2)["lines read"]
	if read2 > want.lines-accepted {
		t.Errorf("run 2 read %d lines from the sources, but run 1 had put %d of the %d on the raw stream: "+
			"at most %d were left to read", read2, accepted, want.lines, want.lines-accepted)
	}
	if dups := diskCheckUnion(t, want, out1, out2); int64(dups) >= accepted {
		t.Errorf("%d events delivered twice over the two runs: every line run 1 had accepted (%d) came again", dups, accepted)
	} else {
		t.Logf("%d events delivered twice (in flight)", dups)
	}
	// Run 1 said its lines on the raw stream were lost; run 2 delivered them.
	if m := regexp.MustCompile(`resumed: delivered (\d+) events`).FindStringSubmatch(stderr2); m != nil &&
		strings.Contains(stderr1, "neither delivered nor accounted for") && !strings.Contains(stderr1, "kept in "+data) {
		t.Errorf("run 1 ends \"%d lines read were neither delivered nor accounted for\" and does not say they are kept in %s; run 2 delivered %s of them first",
			accepted, data, m[1])
	}
}

// TestDiskFullLedger: only the ledger's filesystem is full (DIR's
// ingested.jsonl is a link to a file on a full tmpfs; streams and
// checkpoints have room). Run 1 delivers everything and fails on the
// ledger; once the ledger has room, the same command must deliver nothing
// again ("running the same command twice delivers nothing twice").
func TestDiskFullLedger(t *testing.T) {
	small := smallTmpfs(t, "1m")
	filler := filepath.Join(small, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(make([]byte, 2<<20)) // fills the tmpfs: ENOSPC
	f.Close()

	src := t.TempDir()
	want := diskObjects(t, src, 4, 500)
	data := t.TempDir()
	if err := os.Symlink(filepath.Join(small, "ingested.jsonl"), filepath.Join(data, "ingested.jsonl")); err != nil {
		t.Fatal(err)
	}

	code, out1, stderr1 := diskRunBinary(t, "run", "--data", data, src)
	t.Logf("run 1: exit %d\n%s", code, stderr1)
	if code == 0 {
		t.Error("run 1 exited 0 though its ledger could not be written")
	}
	if !strings.Contains(stderr1, "ledger") || !strings.Contains(stderr1, "no space left on device") {
		t.Error("run 1 does not say the ledger could not be written")
	}

	os.Remove(filler) // room again
	code, out2, stderr2 := diskRunBinary(t, "run", "--data", data, src)
	t.Logf("run 2: exit %d\n%s", code, stderr2)
	if code != 0 {
		t.Errorf("run 2 exited %d", code)
	}
	if dups := diskCheckUnion(t, want, out1, out2); dups > 0 {
		t.Errorf("run 2, the same command with the same --data, delivered %d of the %d events again", dups, len(want.ids))
	}
}

// TestLedgerTornLastLine: a ledger whose last line was cut short (a
// short write on a full disk, or a crash mid-append; run_ledger.go says
// such a line "is ignored: its source is read again") must not cost the
// entry the next run appends after it.
func TestLedgerTornLastLine(t *testing.T) {
	src := t.TempDir()
	want := diskObjects(t, src, 1, 200)
	data := t.TempDir()
	// What a write cut at a full disk leaves: the head of an entry, no newline.
	torn := `{"source":"file:///var/log/elb/other.log#123-456","name":"/var/log/el`
	if err := os.WriteFile(filepath.Join(data, "ingested.jsonl"), []byte(torn), 0o644); err != nil {
		t.Fatal(err)
	}

	code, out1, stderr1 := runMain(t, "--data", data, src)
	if code != 0 {
		t.Fatalf("run 1: exit %d\n%s", code, stderr1)
	}
	code, out2, stderr2 := runMain(t, "--data", data, src)
	if code != 0 {
		t.Fatalf("run 2: exit %d\n%s", code, stderr2)
	}
	ledger, _ := os.ReadFile(filepath.Join(data, "ingested.jsonl"))
	if dups := diskCheckUnion(t, want, out1, out2); dups > 0 {
		t.Errorf("run 2, the same command, delivered %d of %d events again (skipped: %q)\nledger:\n%s",
			dups, len(want.ids), regexp.MustCompile(`run: .*objects read.*`).FindString(stderr2), ledger)
	}
}

// diskWaitFull waits until the file at path stops growing for a second
// (the disk under it is full), for 20 s at most.
func diskWaitFull(t *testing.T, path string) {
	t.Helper()
	var last int64 = -1
	for range 80 {
		time.Sleep(250 * time.Millisecond)
		fi, err := os.Stat(path)
		if err != nil {
			continue
		}
		if fi.Size() == last && last > 0 {
			time.Sleep(time.Second)
			return
		}
		last = fi.Size()
	}
	t.Fatalf("%s never filled up", path)
}

// diskWholeLines fails unless every line of the file at path is a JSON
// event and the file ends with a newline.
func diskWholeLines(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Errorf("%s ends in a cut line: …%q", path, b[max(0, len(b)-80):])
	}
	return b
}

// TestDiskFullOutputFile: --to file:PATH on a 4 MiB filesystem, DIR
// elsewhere. The run waits and retries while the disk is full; freed, it
// delivers every event once, on whole lines, and exits 0. A run that
// succeeded should not end on "run: error: … no space left on device"
// lines: they were retried and overcome.
func TestDiskFullOutputFile(t *testing.T) {
	small := smallTmpfs(t, "4m")
	src := t.TempDir()
	want := diskObjects(t, src, 2, 5000)
	out := filepath.Join(small, "events.ndjson")

	cmd, stderr := startBinary(t, nil, "run", "--data", t.TempDir(), "--to", "file:"+out, src)
	diskWaitFull(t, out)
	diskRemount(t, small, "256m")
	err := cmd.Wait()
	t.Logf("run: %v\n%s", err, diskNoWarn(stderr.String()))
	if err != nil {
		t.Errorf("run exited %v once the disk had room again", err)
	}
	b := diskWholeLines(t, out)
	if dups := diskCheckUnion(t, want, b); dups > 0 {
		t.Errorf("%d events written twice to the file", dups)
	}
	if !strings.Contains(stderr.String(), "run: reconciled:") {
		t.Error("summary does not reconcile")
	}
	if n := strings.Count(stderr.String(), "\nrun: error: "); err == nil && n > 0 {
		t.Errorf("a run that exited 0, reconciled, ends with %d \"run: error:\" lines about writes it retried successfully", n)
	}
}

// diskNoWarn drops the retry warnings from a log.
func diskNoWarn(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.Contains(l, "level=WARN") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
