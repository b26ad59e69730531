package output

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
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
