package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/local"
)

// TestWalkFilesLinksAndOddFiles: links to files are read, a root that is a
// link to a directory is walked, and a link to a directory below the root,
// a FIFO and a broken link are reported with their reason, never dropped.
func TestWalkFilesLinksAndOddFiles(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	for _, p := range []string{"a.log", "sub/b.log", "sub/" + ELBTestFile} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(logs, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(logs, p), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink("a.log", filepath.Join(logs, "c.log")))
	must(os.Symlink("sub", filepath.Join(logs, "linked")))
	must(os.Symlink("nowhere", filepath.Join(logs, "broken.log")))
	must(syscall.Mkfifo(filepath.Join(logs, "fifo"), 0o644))
	must(os.Symlink("logs", filepath.Join(dir, "current")))

	want := []string{
		"a.log ",
		"broken.log " + SkipNotRegular,
		"c.log ",
		"fifo " + SkipNotRegular,
		"linked " + SkipLinkedDir,
		"sub/" + ELBTestFile + " " + SkipTestFile,
		"sub/b.log ",
	}
	for _, root := range []string{logs, filepath.Join(dir, "current")} {
		var got []string
		err := WalkFiles(root, Filter{}, func(path, skip string, err error) error {
			if err != nil {
				t.Errorf("%s: %v", path, err)
			}
			rel, err := filepath.Rel(root, path)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, filepath.ToSlash(rel)+" "+skip)
			return nil
		})
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("WalkFiles(%s) = %v\n%q\nwant\n%q", root, err, got, want)
		}
	}
}

// TestStopThenFileFrom: Stop, called while a file is being read, ends the
// read at a line boundary with every line before it accepted; FileFrom at
// the result's resume offset reads the rest. Together they carry every
// line once, for plain and gzip files.
func TestStopThenFileFrom(t *testing.T) {
	for _, gz := range []bool{false, true} {
		content := lines(5000, newLogGen(12).alb, "\n")
		stored := content
		if gz {
			stored = gzipped(t, content)
		}
		path := filepath.Join(t.TempDir(), "big.log")
		if err := os.WriteFile(path, stored, 0o644); err != nil {
			t.Fatal(err)
		}
		s := newLocalStream(t, local.Options{})
		in := &Ingester{Stream: s}

		r := in.start(t.Context(), time.Now().Add(time.Hour), time.Time{})
		checks := 0
		r.now = func() time.Time { // called at each check for a stop, every 64 lines
			if checks++; checks == 10 {
				r.Stop()
			}
			return time.Now()
		}
		res := r.File(path)
		r.Close()
		task, ok := res.Resume()
		if !ok || !res.Stopped || !r.Stopped() || task.Offset <= 0 || task.Offset >= int64(len(content)) || task.Gzip != gz {
			t.Fatalf("gzip %v: stopped %v, resume %+v %v: want a stop inside the file", gz, res.Stopped, task, ok)
		}

		r2 := in.Start(t.Context())
		res2 := r2.FileFrom(path, task.Offset)
		if err := r2.Close(); err != nil || res2.Err() != nil || res2.Source != res.Source {
			t.Fatalf("gzip %v: FileFrom: %v, %v, source %q want %q", gz, err, res2.Err(), res2.Source, res.Source)
		}
		want := expect(res.Source, content, DefaultMaxLineBytes, 0)
		got := map[int64]int{}
		for _, recs := range readAll(t, s) {
			for _, rec := range recs {
				kplDecode(t, rec.Data, func(_ string, pos int64, _ string) { got[pos]++ })
			}
		}
		for _, w := range want {
			if got[w.pos] != 1 {
				t.Fatalf("gzip %v: line at %d carried %d times (stopped at %d)", gz, w.pos, got[w.pos], task.Offset)
			}
		}
		if len(got) != len(want) {
			t.Errorf("gzip %v: %d lines carried, want %d", gz, len(got), len(want))
		}
	}
}

// refusingStream refuses every Put as a stream without permission does.
type refusingStream struct {
	stream.Stream
	calls atomic.Int64
}

func (s *refusingStream) Put(context.Context, []stream.Entry) ([]stream.PutResult, error) {
	s.calls.Add(1)
	return nil, errors.New("AccessDeniedException: not authorized to perform kinesis:PutRecords")
}

// TestRefusedWritesStopTheRun: a Put that fails with an error retrying
// cannot cure fails the object being read, and the objects after it are
// failed without being read, with that error, instead of each being read
// to its end only to fail alike.
func TestRefusedWritesStopTheRun(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := range 3 {
		p := filepath.Join(dir, fmt.Sprintf("%d.log", i))
		if err := os.WriteFile(p, lines(20000, newLogGen(uint64(20+i)).alb, "\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	s := &refusingStream{Stream: newLocalStream(t, local.Options{})}
	r := (&Ingester{Stream: s}).Start(t.Context())
	r.File(paths[0])
	for deadline := time.Now().Add(10 * time.Second); r.w.Failed() == nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) { // the refusal arrives from a writer goroutine
			t.Fatal("the refused Put did not end the writer")
		}
	}
	var rest []*Result
	for _, p := range paths[1:] {
		rest = append(rest, r.File(p))
	}
	err := r.Close()
	if err == nil || !strings.Contains(err.Error(), "AccessDeniedException") || len(r.Failed()) != 3 {
		t.Fatalf("Close = %v, %d failed: want the refusal, three objects failed", err, len(r.Failed()))
	}
	for _, res := range rest {
		if e := res.Err(); e == nil || !strings.Contains(e.Error(), "not read: the stream refuses writes: AccessDeniedException") {
			t.Errorf("%s: %v, want not read, with the refusal", res.Name, e)
		}
	}
	if calls := s.calls.Load(); calls > 4 { // the writer's calls in flight at the refusal, at most
		t.Errorf("%d Put calls: reading went on after the refusal", calls)
	}
}

// TestRunForgetsWhatIsDone: over thousands of objects a Run holds only the
// results still in flight, failed or stopped; each object done is handed
// to OnDone once when forgotten, and failures are still all reported.
func TestRunForgetsWhatIsDone(t *testing.T) {
	dir := t.TempDir()
	const n = 3000
	g := newLogGen(30)
	var paths []string
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("%04d.log", i))
		data := lines(2, g.clb, "\n")
		if i == 1500 {
			data = gzipped(t, data)[:20] // broken
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	r := (&Ingester{Stream: newLocalStream(t, local.Options{})}).Start(t.Context())
	done := map[string]int{}
	r.OnDone = func(res *Result) { done[res.Source]++ }
	for i, p := range paths {
		if i%100 == 0 {
			r.Skip(Task{Object: Object{Key: p + ".skipped"}}, p+".skipped", SkipTestFile)
		}
		r.File(p)
	}
	r.Close()
	if held := len(r.Results()); held >= forgetEvery+2 {
		t.Errorf("the run holds %d results after %d objects, want fewer than %d", held, n, forgetEvery+2)
	}
	for _, res := range r.Results() {
		if res.Skipped == "" && res.Err() == nil {
			done[res.Source]++ // done, not forgotten yet
		}
	}
	if len(done) != n-1 {
		t.Errorf("%d objects done, want %d", len(done), n-1)
	}
	for src, k := range done {
		if k != 1 {
			t.Errorf("%s handed over %d times", src, k)
		}
	}
	if f := r.Failed(); len(f) != 1 || f[0].Name != paths[1500] {
		t.Errorf("failed %v, want only the broken file", f)
	}
	if s := r.Stats().Summary(); s.Lines != 2*(n-1) || s.Skipped[SkipTestFile] != n/100 {
		t.Errorf("summary %+v", s)
	}
}

// TestEmptyObjectIsCountedApart: a file with no bytes at all (which AWS
// never writes) is skipped as empty, not counted among the objects read.
// A named pipe (what `run <(zcat x.log.gz)` or `run /dev/stdin` reads) has
// no size; its lines make it an object read, not an empty one.
func TestPipeIsReadNotEmpty(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "in.log")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	content := lines(5, newLogGen(41).clb, "\n")
	go func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			f.Write(content)
			f.Close()
		}
	}()
	r := (&Ingester{Stream: newLocalStream(t, local.Options{})}).Start(t.Context())
	res := r.File(fifo)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if s := r.Stats().Summary(); res.Skipped != "" || s.Objects != 1 || s.Lines != 5 || s.StoredBytes != int64(len(content)) {
		t.Errorf("skipped %q, summary %+v: want one object read, 5 lines, %d bytes", res.Skipped, s, len(content))
	}
}

func TestEmptyObjectIsCountedApart(t *testing.T) {
	dir := t.TempDir()
	empty, good := filepath.Join(dir, "empty.log.gz"), filepath.Join(dir, "good.log")
	os.WriteFile(empty, nil, 0o644)
	os.WriteFile(good, lines(3, newLogGen(40).alb, "\n"), 0o644)
	r := (&Ingester{Stream: newLocalStream(t, local.Options{})}).Start(t.Context())
	res := r.File(empty)
	r.File(good)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if s := r.Stats().Summary(); res.Skipped != SkipEmpty || s.Objects != 1 || s.Skipped[SkipEmpty] != 1 || s.Lines != 3 {
		t.Errorf("skipped %q, summary %+v: want the empty file skipped as empty, one object read", res.Skipped, s)
	}
}
