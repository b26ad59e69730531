package output

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestStdoutWritesOneEventPerLine(t *testing.T) {
	var buf bytes.Buffer
	o := open(t, "stdout", Config{Stdout: &buf})
	evs := events(t.Name(), 10)
	send(t, o, evs)
	lines := bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
	if len(lines) != 10 {
		t.Fatalf("%d lines, want 10", len(lines))
	}
	for i, l := range lines {
		if !bytes.Equal(l, evs[i]) {
			t.Errorf("line %d = %s", i, l)
		}
	}
}

func TestFileAppendsWholeLinesUnderConcurrency(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.json")
	if err := os.WriteFile(path, []byte("{\"before\":1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := open(t, "file:"+path, Config{})
	var wg sync.WaitGroup
	var all [][]byte
	for i := range 4 {
		evs := events(t.Name()+string(rune('a'+i)), 250)
		all = append(all, evs...)
		wg.Go(func() { send(t, o, evs) })
	}
	wg.Wait()
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l := newLedger()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		if !json.Valid(sc.Bytes()) {
			t.Fatalf("line %d is not JSON: %.80s", n, sc.Bytes())
		}
		l.add(eventID(sc.Bytes()))
		n++
	}
	if n != 1001 || l.missing(all) != 0 {
		t.Errorf("%d lines, %d events missing", n, l.missing(all))
	}
	if st := o.Stats(); st.EventsAcked != 1000 {
		t.Errorf("stats = %+v", st)
	}
}

// file:/dev/null is how a user measures the pipeline without a receiver;
// fsync of a device fails, and must not turn into endless retries.
func TestFileToDeviceDelivers(t *testing.T) {
	o := open(t, "file:"+os.DevNull, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := o.Send(ctx, events(t.Name(), 10)); err != nil {
		t.Fatalf("send to %s: %v", os.DevNull, err)
	}
}

// failOnce writes the first n bytes of its first Write, then fails it as a
// full disk does; later writes go through.
type failOnce struct {
	w     io.Writer
	n     int
	tried bool
}

func (f *failOnce) Write(p []byte) (int, error) {
	if f.tried {
		return f.w.Write(p)
	}
	f.tried = true
	k, err := f.w.Write(p[:min(f.n, len(p))])
	if err == nil {
		err = syscall.ENOSPC
	}
	return k, err
}

func joinLines(evs [][]byte) string {
	var b strings.Builder
	for _, e := range evs {
		b.Write(e)
		b.WriteByte('\n')
	}
	return b.String()
}

// TestFileRecoversFromAFailedWrite: a Send whose write fails halfway (a
// full disk) fails, and the next one succeeds; the file is cut back, so it
// holds whole lines: what was there, and the events of the good Sends.
func TestFileRecoversFromAFailedWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.json")
	before := "{\"before\":1}\n"
	if err := os.WriteFile(path, []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := openFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	bad, good := events("bad", 50), events("good", 50)
	o.out.w = &failOnce{w: o.file, n: 3000}
	if err := o.Send(context.Background(), bad); err == nil || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Send on a full disk: %v, want ENOSPC", err)
	}
	if fi, _ := os.Stat(path); fi.Size() <= int64(len(before)) {
		t.Fatalf("the failed write left %d bytes; the test wants a torn line to cut", fi.Size())
	}
	send(t, o, good) // retried: the disk has room again
	send(t, o, bad)  // the caller sends the failed events again
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if want := before + joinLines(good) + joinLines(bad); string(got) != want {
		t.Errorf("file after the failure and two good Sends:\n%.300s…\nwant\n%.300s…", got, want)
	}
	if s := o.Stats(); s.Failures != 1 || s.EventsAcked != 100 {
		t.Errorf("stats %+v, want 1 failure and 100 events acknowledged", s)
	}
}

// TestStdoutEndsATornLine: stdout cannot be cut back, so after a write that
// failed mid-line the next Send first ends that line: every event sent
// successfully is a whole line of its own.
func TestStdoutEndsATornLine(t *testing.T) {
	var buf bytes.Buffer
	o := newStdout(&buf)
	o.out.w = &failOnce{w: &buf, n: 100}
	if err := o.Send(context.Background(), events("bad", 5)); err == nil {
		t.Fatal("Send through a failing writer succeeded")
	}
	good := events("good", 5)
	send(t, o, good)
	torn := buf.String()[:100]
	if want := torn + "\n" + joinLines(good); buf.String() != want {
		t.Errorf("stdout:\n%s\nwant the torn line ended, then the events:\n%s", buf.String(), want)
	}
}

// TestFileCutsATornLastLine: a file whose last line is an event cut short
// (a crash mid-write) loses that line when opened, so the next event is
// not glued to it; a last line that is not an event's start, or longer
// than any event, is kept and ended with a newline instead.
func TestFileCutsATornLastLine(t *testing.T) {
	evs := events("next", 3)
	for _, c := range []struct{ name, before, want string }{
		{"torn event", "{\"a\":1}\n{\"b\":2,\"cut", "{\"a\":1}\n"},
		{"only a torn event", "{\"b\":2,\"cut", ""},
		{"whole lines", "{\"a\":1}\n", "{\"a\":1}\n"},
		{"a stranger's line", "{\"a\":1}\nnot an event", "{\"a\":1}\nnot an event\n"},
		{"too long to be an event", "{" + strings.Repeat("x", maxTornTail+1), "{" + strings.Repeat("x", maxTornTail+1) + "\n"},
	} {
		path := filepath.Join(t.TempDir(), "events.json")
		if err := os.WriteFile(path, []byte(c.before), 0o644); err != nil {
			t.Fatal(err)
		}
		o, err := openFile(path)
		if err != nil {
			t.Fatal(err)
		}
		send(t, o, evs)
		o.Close()
		got, _ := os.ReadFile(path)
		if want := c.want + joinLines(evs); string(got) != want {
			t.Errorf("%s: file is\n%.200q\nwant\n%.200q", c.name, got, want)
		}
	}
}
