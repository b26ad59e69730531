package local_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/local"
)

const crashDirEnv = "ELBSTREAM_LOCAL_CRASH_DIR"

// TestCrash runs concurrent writers in a child process, kills it with
// SIGKILL in the middle of its puts, and checks that every entry the child
// saw acknowledged is in the stream when it is opened again.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWriter$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	kill := sync.OnceFunc(func() { killed = cmd.Process.Kill() == nil })
	defer kill()
	timer := time.AfterFunc(time.Minute, kill) // never hang the suite

	type ack struct{ shard, seq, data string }
	var acks []ack
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 || f[0] != "ack" {
			continue
		}
		acks = append(acks, ack{f[1], f[2], f[3]})
		if len(acks) == 3000 {
			kill() // mid-stream: the writers are putting concurrently
		}
	}
	timer.Stop()
	cmd.Wait()
	if !killed || len(acks) < 3000 {
		t.Fatalf("child wrote %d acknowledged entries before it ended (killed: %v)", len(acks), killed)
	}

	s := openDir(t, dir, local.Options{})
	stored := map[string]string{}
	shards, err := s.Shards(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range shards {
		for _, r := range readAll(t, s, sh.ID, trimHorizon) {
			stored[sh.ID+"/"+r.SequenceNumber] = string(r.Data)
		}
	}
	for _, a := range acks {
		if got, ok := stored[a.shard+"/"+a.seq]; !ok || got != a.data {
			t.Fatalf("acknowledged %s at %s %s: after the crash found %q (present: %v); %d acks, %d records",
				a.data, a.shard, a.seq, got, ok, len(acks), len(stored))
		}
	}
	t.Logf("%d acknowledged entries survived; %d records stored", len(acks), len(stored))
}

// TestCrashWriter is TestCrash's child: it puts until it is killed,
// printing one "ack SHARD SEQUENCE DATA" line per acknowledged entry.
func TestCrashWriter(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("the child of TestCrash")
	}
	s, err := local.Open(dir, local.Options{Shards: 2})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for p := 0; ; p++ {
				es := make([]stream.Entry, 50)
				for i := range es {
					es[i] = stream.Entry{Data: fmt.Appendf(nil, "g%d-p%d-e%d", g, p, i), PartitionKey: fmt.Sprint(i)}
				}
				rs, err := s.Put(context.Background(), es)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for i, r := range rs {
					fmt.Fprintf(w, "ack %s %s %s\n", r.ShardID, r.SequenceNumber, es[i].Data)
				}
				w.Flush()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
