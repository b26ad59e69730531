package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/local"
	"github.com/elbstream/elbstream/testdata/gen"
)

// refusingStream accepts its first `after` Put calls and refuses
// every later one as a stream without permission does.
type refusingStream struct {
	stream.Stream
	after int64
	calls atomic.Int64
}

func (s *refusingStream) Put(ctx context.Context, e []stream.Entry) ([]stream.PutResult, error) {
	if s.calls.Add(1) > s.after {
		return nil, errors.New("AccessDeniedException: not authorized to perform kinesis:PutRecords")
	}
	return s.Stream.Put(ctx, e)
}

// registerRefusingStream makes refusetest://DIR a local stream in DIR
// that refuses writes after its first Put call, for this test only.
func registerRefusingStream(t *testing.T) {
	streamOpeners["refusetest"] = func(ctx context.Context, u *url.URL) (stream.Stream, error) {
		ls, err := local.Open(u.Opaque, local.Options{MaxRecordBytes: 32 << 10})
		if err != nil {
			return nil, err
		}
		return &refusingStream{Stream: ls, after: 1}, nil
	}
	t.Cleanup(func() { delete(streamOpeners, "refusetest") })
}

var ingestCountsRE = regexp.MustCompile(`ingest: (\d+) objects, `)

// ingestAccounted returns objects read + failed + skipped of an
// ingest summary.
func ingestAccounted(t *testing.T, stderr string) (read, failed, skipped int) {
	t.Helper()
	m := ingestCountsRE.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no summary:\n%s", stderr)
	}
	read, _ = strconv.Atoi(m[1])
	if m := regexp.MustCompile(`ingest: (\d+) objects FAILED`).FindStringSubmatch(stderr); m != nil {
		failed, _ = strconv.Atoi(m[1])
	}
	if m := regexp.MustCompile(`ingest: skipped: (.*)`).FindStringSubmatch(stderr); m != nil {
		for _, r := range strings.Split(m[1], ", ") {
			_, n, _ := strings.Cut(r, " ")
			k, _ := strconv.Atoi(n)
			skipped += k
		}
	}
	return read, failed, skipped
}

// TestIngestRefusalAccountsForEveryObject: when the stream refuses
// writes for good while the first of three objects is read, README says
// "the objects after it are failed without being read, with that error".
// Each of the three must be accounted for once in the summary, and the
// two not read must be named.
func TestIngestRefusalAccountsForEveryObject(t *testing.T) {
	registerRefusingStream(t)
	for _, layout := range []string{"arguments", "directory"} {
		t.Run(layout, func(t *testing.T) {
			dir := t.TempDir()
			logs := filepath.Join(dir, "logs")
			os.MkdirAll(logs, 0o755)
			var paths []string
			for i, n := range []int{20000, 50, 50} {
				p := filepath.Join(logs, fmt.Sprintf("%d.log", i))
				if err := os.WriteFile(p, gen.Object(gen.ALB, uint64(300+i), n, gen.Options{}), 0o644); err != nil {
					t.Fatal(err)
				}
				paths = append(paths, p)
			}
			args := []string{"ingest", "--stream", "refusetest://" + filepath.Join(dir, "raw")}
			if layout == "arguments" {
				args = append(args, paths...)
			} else {
				args = append(args, logs)
			}
			code, _, stderr := runCLI(t, args...)
			t.Logf("exit %d; stderr:\n%s", code, stderr)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			read, failed, skipped := ingestAccounted(t, stderr)
			if read+failed+skipped != 3 {
				t.Errorf("3 objects, summary accounts for %d: %d read + %d failed + %d skipped", read+failed+skipped, read, failed, skipped)
			}
			for _, p := range paths[1:] {
				if !strings.Contains(stderr, p) {
					t.Errorf("%s, not read because the stream refuses writes, is not named on stderr", filepath.Base(p))
				}
			}
		})
	}
}

// runInjected runs `elbstream run` in-process like runRun, but lets
// inject change the raw stream (an *local.Stream) before the pipeline
// runs.
func runInjected(t *testing.T, inject func(*local.Stream), args ...string) (stdout []byte, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	io := stdio{in: strings.NewReader(""), out: &out, err: &errb}
	fs, f := newRunFlags(io)
	sources, err := parseInterspersed(fs, args)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := f.enc.encoder()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p, err := openPipeline(context.Background(), dir, f, enc, io)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	inject(p.raw.Stream.(*local.Stream))
	err = p.run(context.Background(), sources)
	return out.Bytes(), errb.String(), err
}

// TestRunRefusedLinesAreAccountedFor: `run` on a file whose raw stream
// refuses part of its lines for good. Every line of the object was read;
// those the stream refused are neither delivered nor skipped, and the
// summary says so in its equation, with the object FAILED.
func TestRunRefusedLinesAreAccountedFor(t *testing.T) {
	dir := t.TempDir()
	const n = 20000
	p := filepath.Join(dir, "a.log")
	if err := os.WriteFile(p, gen.Object(gen.CLB, 310, n, gen.Options{}), 0o644); err != nil {
		t.Fatal(err)
	}
	var seen atomic.Int64
	stdout, stderr, err := runInjected(t, func(s *local.Stream) {
		s.InjectPutFaults(func(_ string, e stream.Entry) string {
			if seen.Add(1) > 3 {
				return "AccessDeniedException"
			}
			return ""
		})
	}, p)
	delivered := bytes.Count(stdout, []byte("\n"))
	if err == nil || !strings.Contains(err.Error(), "a.log") {
		t.Errorf("err %v, want the object failed by name", err)
	}
	if delivered >= n || delivered == 0 {
		t.Fatalf("%d of %d lines delivered: the injection did not refuse part of them", delivered, n)
	}
	for _, want := range []string{
		fmt.Sprintf("run:        %d lines read\n", n),
		fmt.Sprintf("run:         %d lines the raw stream did not accept (their objects FAILED, named below)\n", n-delivered),
		fmt.Sprintf("run: reconciled: %d read = %d delivered + 0 control + 0 empty + %d not accepted\n", n, delivered, n-delivered),
		"run: 0 objects read, ",
		"; 1 FAILED\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, stderr)
		}
	}
}

// TestRunDataRerunAfterBrokenObject: `run --data DIR` on a directory
// holding a broken gzip object delivers the lines before the break (and
// fails by name). The same command again must deliver nothing twice
// (README: "running the same command twice delivers nothing twice";
// "Duplicates are possible only for data in flight at an interruption").
func TestRunDataRerunAfterBrokenObject(t *testing.T) {
	dir := t.TempDir()
	logs, data := filepath.Join(dir, "logs"), filepath.Join(dir, "data")
	good := runObject{name: "good.log", data: gen.Object(gen.CLB, 320, 50, gen.Options{})}
	writeRunFiles(t, logs, good)
	broken := gz(t, gen.Object(gen.ALB, 321, 5000, gen.Options{}))
	if err := os.WriteFile(filepath.Join(logs, "broken.log.gz"), broken[:len(broken)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	code, first, stderr := runMain(t, "--data", data, logs)
	if code != 1 || !strings.Contains(stderr, "broken.log.gz") {
		t.Fatalf("first run: exit %d; stderr:\n%s", code, stderr)
	}
	firstIDs := runEventIDs(t, first)
	code, second, stderr2 := runMain(t, "--data", data, logs)
	again := 0
	for id := range runEventIDs(t, second) {
		if firstIDs[id] > 0 {
			again++
		}
	}
	t.Logf("first run: %d events; second run: exit %d, %d events, %d of them delivered by the first run already; stderr:\n%s",
		len(firstIDs), code, len(runEventIDs(t, second)), again, stderr2)
	if again > 0 {
		t.Errorf("the same command again delivered %d events the first run had delivered (the broken object's lines before its break)", again)
	}
	if !strings.Contains(stderr2, "run: 1 objects taken up where an earlier run") {
		t.Errorf("second run: the broken object is not said to be taken up where the first stopped:\n%s", stderr2)
	}
	if !strings.Contains(stderr2, "broken.log.gz") || code != 1 {
		t.Errorf("second run: exit %d, want 1 with the broken object named", code)
	}
}

// TestUnreadableDirectoryDoesNotStopTheOthers: a directory SOURCE
// with a sub-directory that cannot be listed (permission denied). README:
// "A broken object (bad gzip, read error) is named and does not stop the
// others". The files after the unreadable directory must still be read,
// and the directory named. Run as an unprivileged user (as root, for whom
// permissions do not apply, the binary runs as nobody).
func TestUnreadableDirectoryDoesNotStopTheOthers(t *testing.T) {
	bin := elbstreamBinary(t)
	root := os.Getuid() == 0
	if root {
		os.Chmod(filepath.Dir(bin), 0o755) // for the other user
	}
	dir, err := os.MkdirTemp("", "acct-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	logs := filepath.Join(dir, "logs")
	locked := filepath.Join(logs, "a-locked")
	writeRunFiles(t, logs,
		runObject{name: "a-locked/x.log", data: gen.Object(gen.CLB, 330, 10, gen.Options{})},
		runObject{name: "b.log", data: gen.Object(gen.CLB, 331, 10, gen.Options{})},
		runObject{name: "c/y.log", data: gen.Object(gen.CLB, 332, 10, gen.Options{})})
	for _, c := range []struct {
		path string
		mode os.FileMode
	}{{dir, 0o777}, {logs, 0o755}, {filepath.Join(logs, "c"), 0o755}, {locked, 0o000}} {
		if err := os.Chmod(c.path, c.mode); err != nil {
			t.Fatal(err)
		}
	}
	defer os.Chmod(locked, 0o755) // before the removal

	for _, c := range [][]string{
		{"ingest", "--stream", "local://" + filepath.Join(dir, "raw"), logs},
		{"run", logs},
		{"parse", logs},
	} {
		t.Run(c[0], func(t *testing.T) {
			cmd := exec.Command(bin, c...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "TMPDIR="+dir, "HOME="+dir)
			if root {
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != 1 {
				t.Errorf("exit %d, want 1 (%v)", code, err)
			}
			if !strings.Contains(stderr.String(), filepath.Join(logs, "a-locked")+": cannot list the directory: permission denied") {
				t.Errorf("the unreadable directory is not named with its error:\n%s", stderr.String())
			}
			if c[0] == "ingest" {
				if !strings.Contains(stderr.String(), "ingest: 2 objects, 20 lines") {
					t.Errorf("b.log and c/y.log (2 objects, 20 lines) were not both read")
				}
			} else if n := bytes.Count(stdout.Bytes(), []byte("\n")); n != 20 {
				t.Errorf("%d events delivered, want the 20 lines of b.log and c/y.log", n)
			}
		})
	}
}

// TestRunInterruptedObjectIsNotCountedRead: README: "objects read:
// objects read completely". An object that an interruption stopped part
// way (the ledger records where to go on) must not be counted as read.
// The object is a named pipe, so that the interruption lands mid-object
// for sure: half its lines, the interruption, then the rest.
func TestRunInterruptedObjectIsNotCountedRead(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	fifo := filepath.Join(dir, "in.log")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	content := gen.Object(gen.CLB, 340, 40000, gen.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer cancel()
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		f.Write(content[:len(content)/2])
		time.Sleep(500 * time.Millisecond)
		cancel()
		time.Sleep(100 * time.Millisecond)
		f.Write(content[len(content)/2:])
	}()
	var errb bytes.Buffer
	err := runRun(ctx, []string{"--data", data, "--to", "file:" + filepath.Join(dir, "out.ndjson"), fifo},
		stdio{in: strings.NewReader(""), out: &bytes.Buffer{}, err: &errb})
	ledger, _ := os.ReadFile(filepath.Join(data, "ingested.jsonl"))
	if err == nil {
		t.Errorf("an interrupted run returned no error")
	}
	if !bytes.Contains(ledger, []byte(`"next":`)) {
		t.Fatalf("the ledger says nothing of where to go on: the interruption did not stop the object part way; ledger %s", ledger)
	}
	if !strings.Contains(errb.String(), "run: 0 objects read, ") || !strings.Contains(errb.String(), "; 1 stopped part way by the interruption\n") {
		t.Errorf("the object stopped part way is not counted as such:\n%s", errb.String())
	}
}

// TestRunNamesTheFirstFailedObjects: the final error names each failed
// object on a line of its own, the first ten, and counts the rest; the
// summary counts them all.
func TestRunNamesTheFirstFailedObjects(t *testing.T) {
	logs := filepath.Join(t.TempDir(), "logs")
	broken := gz(t, gen.Object(gen.CLB, 350, 200, gen.Options{}))
	for i := range 12 {
		writeRunFiles(t, logs, runObject{name: fmt.Sprintf("%02d.log.gz", i), data: broken[:len(broken)/2]})
	}
	code, _, stderr := runMain(t, logs)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, stderr)
	}
	named := 0
	for i := range 12 {
		if strings.Contains(stderr, fmt.Sprintf("elbstream run: %s: read at offset", filepath.Join(logs, fmt.Sprintf("%02d.log.gz", i)))) {
			named++
		}
	}
	if named != 10 || !strings.Contains(stderr, "elbstream run: and 2 more objects failed\n") || !strings.Contains(stderr, "; 12 FAILED\n") {
		t.Errorf("%d failed objects named in the final error, want 10, then \"and 2 more\", and 12 FAILED in the summary:\n%s", named, stderr)
	}
}
