package local_test

// Durability of the embedded stream: crashes, locks, damaged files, clocks.
// Children run as this test binary with ELBSTREAM_LOCALTEST_CHILD set.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/local"
)

const (
	childModeEnv = "ELBSTREAM_LOCALTEST_CHILD"
	childDirEnv  = "ELBSTREAM_LOCALTEST_DIR"
)

// childProcess starts this test binary as a child (see TestMain) in mode
// on dir.
func childProcess(t *testing.T, mode, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childModeEnv+"="+mode, childDirEnv+"="+dir)
	return cmd
}

// TestMain runs the child of the crash and lock tests when asked to, the
// tests otherwise.
func TestMain(m *testing.M) {
	if mode := os.Getenv(childModeEnv); mode != "" {
		runChild(mode, os.Getenv(childDirEnv))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runChild is the child: it opens dir, holds it, or writes through
// crashes, and reports on stdout.
func runChild(mode, dir string) {
	switch mode {
	case "open":
		s, err := local.Open(dir, local.Options{LockTimeout: 200 * time.Millisecond})
		if err != nil {
			fmt.Printf("OPENERR %v\n", err)
			return
		}
		defer s.Close()
		ctx := context.Background()
		shards, err := s.Shards(ctx)
		if err != nil {
			fmt.Printf("READERR %v\n", err)
			return
		}
		n := 0
		for _, sh := range shards {
			it, err := s.Iterate(ctx, sh.ID, trimHorizon)
			if err != nil {
				fmt.Printf("READERR %v\n", err)
				return
			}
			for {
				b, err := it.Next(ctx, 0)
				if err != nil {
					fmt.Printf("READERR %v\n", err)
					return
				}
				n += len(b.Records)
				if len(b.Records) == 0 || b.EndOfShard {
					break
				}
			}
		}
		fmt.Printf("OK %d\n", n)
	case "hold":
		s, err := local.Open(dir, local.Options{Shards: 1})
		if err != nil {
			fmt.Printf("OPENERR %v\n", err)
			return
		}
		_ = s
		fmt.Println("HELD")
		time.Sleep(time.Hour)
	case "chaos":
		childChaos(dir)
	}
}

// ---------------------------------------------------------------------------
// Corrupt or truncated stream.db

// writeSmallDB writes a stream of a few MB and closes it.
func writeSmallDB(t *testing.T) (dir, path string) {
	dir = t.TempDir()
	s, err := local.Open(dir, local.Options{Shards: 2})
	if err != nil {
		t.Fatal(err)
	}
	for p := range 20 {
		es := make([]stream.Entry, 200)
		for i := range es {
			es[i] = stream.Entry{Data: bytes.Repeat([]byte{byte('a' + p%26)}, 700), PartitionKey: fmt.Sprint(p, "-", i)}
		}
		mustPut(t, s, es)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, filepath.Join(dir, local.FileName)
}

// openInChild opens dir in a child and returns its stdout and stderr.
func openInChild(t *testing.T, dir string) (string, string, error) {
	cmd := childProcess(t, "open", dir)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

func checkClearOpenError(t *testing.T, what, dir string) {
	t.Helper()
	out, stderr, err := openInChild(t, dir)
	crashed := strings.Contains(out+stderr, "panic:") || strings.Contains(out+stderr, "fatal error") ||
		strings.Contains(out+stderr, "unexpected fault address")
	if crashed {
		all := out + stderr
		first := all
		if i := strings.Index(first, "goroutine "); i > 0 {
			first = first[:i]
		}
		for _, l := range strings.Split(all[len(first):], "\n") {
			if strings.Contains(l, ".go:") && (strings.Contains(l, "bbolt") || strings.Contains(l, "stream/local")) {
				first += "  " + strings.TrimSpace(l) + "\n"
			}
		}
		t.Fatalf("%s: opening the stream crashed the process (exit %v) instead of returning an error:\n%s", what, err, first)
	}
	var msg string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "OPENERR ") || strings.HasPrefix(line, "READERR ") {
			msg = line
		}
	}
	if msg == "" {
		t.Fatalf("%s: no error reported (exit %v); child said:\n%s", what, err, out)
	}
	if !strings.Contains(msg, filepath.Join(dir, local.FileName)) {
		t.Errorf("%s: error does not name the file %s: %s", what, filepath.Join(dir, local.FileName), msg)
	}
	t.Logf("%s: %s", what, msg)
}

// A truncated file (a copy cut short, a full disk during a restore).
func TestTruncatedFileIsAnError(t *testing.T) {
	dir, path := writeSmallDB(t)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()/2/4096*4096); err != nil {
		t.Fatal(err)
	}
	checkClearOpenError(t, fmt.Sprintf("truncated from %d to half", fi.Size()), dir)
}

// A file that is not a database at all, and one cut below two pages.
func TestGarbageFileIsAnError(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"garbage", bytes.Repeat([]byte("not a bbolt file\n"), 1000)},
		{"short", make([]byte, 100)},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, local.FileName), c.data, 0o600); err != nil {
				t.Fatal(err)
			}
			checkClearOpenError(t, c.name, dir)
		})
	}
}

// ---------------------------------------------------------------------------
// Two processes

func TestSecondProcessRefusedAndStaleLock(t *testing.T) {
	dir := t.TempDir()
	cmd := childProcess(t, "hold", dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(out)
	held := false
	for sc.Scan() {
		if sc.Text() == "HELD" {
			held = true
			break
		}
	}
	if !held {
		t.Fatal("child did not open the stream")
	}
	start := time.Now()
	_, err = local.Open(dir, local.Options{LockTimeout: 300 * time.Millisecond})
	took := time.Since(start)
	if !errors.Is(err, local.ErrInUse) || !strings.Contains(err.Error(), "is in use by another process") {
		t.Fatalf("second process: %v", err)
	}
	if took > 2*time.Second {
		t.Fatalf("refused after %v with a 300ms LockTimeout", took)
	}
	t.Logf("refused after %v: %v", took, err)

	cmd.Process.Kill() // SIGKILL: the flock goes with the process
	cmd.Wait()
	start = time.Now()
	s, err := local.Open(dir, local.Options{LockTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatalf("after SIGKILL of the holder: %v", err)
	}
	t.Logf("opened %v after the holder was killed", time.Since(start))
	s.Close()
}

// ---------------------------------------------------------------------------
// SIGKILL while putting, trimming and resharding

// chaosClock is the child's clock: it moves one minute per put, so that
// retention (1h) trims while the child runs.
var chaosStart = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func childChaos(dir string) {
	var ticks atomic.Int64
	now := func() time.Time { return chaosStart.Add(time.Duration(ticks.Load()) * time.Minute) }
	s, err := local.Open(dir, local.Options{Shards: 2, Retention: time.Hour, Now: now})
	if err != nil {
		fmt.Printf("OPENERR %v\n", err)
		return
	}
	ctx := context.Background()
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Go(func() {
			for p := 0; ; p++ {
				es := make([]stream.Entry, 40)
				for i := range es {
					es[i] = stream.Entry{Data: fmt.Appendf(nil, "g%d-p%d-e%d:%s", g, p, i, strings.Repeat("x", rand.IntN(3000))), PartitionKey: fmt.Sprint(p, i)}
				}
				rs, err := s.Put(ctx, es)
				if err != nil {
					fmt.Printf("PUTERR %v\n", err)
					return
				}
				mu.Lock()
				for i, r := range rs {
					if r.OK() {
						id, _, _ := strings.Cut(string(es[i].Data), ":")
						fmt.Fprintf(w, "ack %s %s %s\n", r.ShardID, r.SequenceNumber, id)
					}
				}
				fmt.Fprintf(w, "tick %d\n", ticks.Add(1))
				w.Flush()
				mu.Unlock()
			}
		})
	}
	wg.Go(func() { // trim continuously
		for {
			if err := s.Trim(); err != nil {
				fmt.Printf("TRIMERR %v\n", err)
				return
			}
		}
	})
	wg.Go(func() { // split the newest open shard, merge the pair back, again and again
		for {
			shards, err := s.Shards(ctx)
			if err != nil {
				fmt.Printf("SHARDSERR %v\n", err)
				return
			}
			var open []stream.Shard
			for _, sh := range shards {
				if sh.EndingSequence == "" {
					open = append(open, sh)
				}
			}
			if len(open) <= 2 {
				sh := open[len(open)-1]
				lo, _ := new(big.Int).SetString(sh.HashKeyStart, 10)
				hi, _ := new(big.Int).SetString(sh.HashKeyEnd, 10)
				mid := new(big.Int).Rsh(new(big.Int).Add(lo, hi), 1).String()
				if err := s.SplitShard(ctx, sh.ID, mid); err != nil {
					fmt.Printf("SPLITERR %v\n", err)
					return
				}
			} else {
				// merge the two children of the last split
				a, b := open[len(open)-2], open[len(open)-1]
				if err := s.MergeShards(ctx, a.ID, b.ID); err != nil {
					fmt.Printf("MERGEERR %v\n", err)
					return
				}
			}
			mu.Lock()
			fmt.Fprintln(w, "reshard")
			w.Flush()
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}
	})
	wg.Wait()
}

func TestCrashDuringPutTrimReshard(t *testing.T) {
	for round := range 3 {
		t.Run(fmt.Sprint("round", round), func(t *testing.T) { crashRound(t, 600+round*700) })
	}
}

func crashRound(t *testing.T, killAt int) {
	dir := t.TempDir()
	cmd := childProcess(t, "chaos", dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kill := sync.OnceFunc(func() { cmd.Process.Kill() })
	defer kill()
	timer := time.AfterFunc(30*time.Second, kill)
	defer timer.Stop()
	type ack struct{ shard, seq, data string }
	var acks []ack
	var lastTick int64
	reshards := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 4 && f[0] == "ack":
			acks = append(acks, ack{f[1], f[2], f[3]})
		case len(f) == 2 && f[0] == "tick":
			lastTick, _ = strconv.ParseInt(f[1], 10, 64)
			if int(lastTick) == killAt {
				kill()
			}
		case len(f) == 1 && f[0] == "reshard":
			reshards++
		case len(f) > 0 && strings.HasSuffix(f[0], "ERR"):
			t.Fatalf("child: %s", sc.Text())
		}
	}
	cmd.Wait()
	if int(lastTick) < killAt {
		t.Fatalf("child stopped at tick %d", lastTick)
	}
	// Reopen at the clock of the last acknowledged put (ticks only grow).
	clk := chaosStart.Add(time.Duration(lastTick) * time.Minute)
	start := time.Now()
	s := openDir(t, dir, local.Options{Retention: time.Hour, Now: func() time.Time { return clk }})
	openTook := time.Since(start)
	ctx := context.Background()
	shards, err := s.Shards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	lastSeq := map[string]string{}
	for _, sh := range shards {
		recs := readAll(t, s, sh.ID, trimHorizon)
		for i, r := range recs {
			if i > 0 && stream.CompareSequence(recs[i-1].SequenceNumber, r.SequenceNumber) >= 0 {
				t.Fatalf("%s: sequence %s after %s", sh.ID, r.SequenceNumber, recs[i-1].SequenceNumber)
			}
			if r.ArrivalTime.Before(clk.Add(-time.Hour)) {
				t.Fatalf("%s: record of %v returned past retention (now %v)", sh.ID, r.ArrivalTime, clk)
			}
			stored[sh.ID+"/"+r.SequenceNumber] = true
		}
		if len(recs) > 0 {
			lastSeq[sh.ID] = recs[len(recs)-1].SequenceNumber
		}
	}
	cutoff := clk.Add(-time.Hour)
	checked := 0
	for _, a := range acks {
		key, _ := strconv.ParseUint(a.seq[:len(a.seq)-12], 10, 64)
		if time.Unix(0, int64(key)).Before(cutoff) {
			continue
		}
		checked++
		if !stored[a.shard+"/"+a.seq] {
			t.Fatalf("acknowledged %s at %s %s is missing after the crash", a.data, a.shard, a.seq)
		}
	}
	// New puts continue each open shard's sequence.
	for _, sh := range shards {
		if sh.EndingSequence != "" {
			continue
		}
		rs := mustPut(t, s, []stream.Entry{{Data: []byte("after"), PartitionKey: "p", ExplicitHashKey: sh.HashKeyStart}})
		if last, ok := lastSeq[sh.ID]; ok && stream.CompareSequence(rs[0].SequenceNumber, last) <= 0 {
			t.Fatalf("%s: new put got %s, not after %s", sh.ID, rs[0].SequenceNumber, last)
		}
		if stream.CompareSequence(rs[0].SequenceNumber, sh.StartingSequence) <= 0 {
			t.Fatalf("%s: new put got %s, not after the shard's start %s", sh.ID, rs[0].SequenceNumber, sh.StartingSequence)
		}
	}
	t.Logf("killed at tick %d after %d reshards: %d acks, %d within retention all present, %d shards listed, reopen %v",
		lastTick, reshards, len(acks), checked, len(shards), openTook)
}

// ---------------------------------------------------------------------------
// Long-term file size with 7 days of retention

// Trimming while a reader is in the middle of a shard: the reader goes on
// at the oldest retained record, without an error, never returning an
// expired one, and without skipping retained ones.
func TestTrimWhileReaderMidShard(t *testing.T) {
	clk := newClock()
	s := openTemp(t, local.Options{Shards: 1, Retention: time.Hour, Now: clk.Now})
	ctx := context.Background()
	for i := range 10 {
		mustPut(t, s, entriesWithKey(fmt.Sprint("m", i), "k", 100))
		clk.Add(10 * time.Minute)
	}
	it, err := s.Iterate(ctx, shard0, trimHorizon)
	if err != nil {
		t.Fatal(err)
	}
	b, err := it.Next(ctx, 50)
	if err != nil || len(b.Records) != 50 {
		t.Fatalf("first batch: %d, %v", len(b.Records), err)
	}
	clk.Add(30 * time.Minute) // the first puts, the reader's position among them, pass retention
	if err := s.Trim(); err != nil {
		t.Fatal(err)
	}
	cutoff := clk.Now().Add(-time.Hour)
	var rest []stream.Record
	for {
		b, err := it.Next(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Records) == 0 {
			break
		}
		rest = append(rest, b.Records...)
	}
	all := readAll(t, s, shard0, trimHorizon)
	if len(rest) != len(all) || (len(rest) > 0 && rest[0].SequenceNumber != all[0].SequenceNumber) {
		t.Fatalf("reader went on with %d records, the shard retains %d", len(rest), len(all))
	}
	for _, r := range rest {
		if r.ArrivalTime.Before(cutoff) {
			t.Fatalf("expired record returned: %v < %v", r.ArrivalTime, cutoff)
		}
	}
}
