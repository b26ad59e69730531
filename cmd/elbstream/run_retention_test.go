package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream"
	cplocal "github.com/elbstream/elbstream/stream/checkpoint/local"
	"github.com/elbstream/elbstream/stream/local"
)

// runDataDir makes DIR as `elbstream run --data DIR` leaves it: an
// events stream with 7-day retention holding records of three days ago and
// of now, and a checkpoint store.
func runDataDir(t *testing.T) (dir string, total int) {
	t.Helper()
	dir = t.TempDir()
	events := filepath.Join(dir, "events")
	for _, age := range []time.Duration{3 * 24 * time.Hour, 0} {
		s, err := local.Open(events, local.Options{Shards: 4, Retention: runRetention,
			Now: func() time.Time { return time.Now().Add(-age) }})
		if err != nil {
			t.Fatal(err)
		}
		es := make([]stream.Entry, 50)
		for i := range es {
			es[i] = stream.Entry{Data: fmt.Appendf(nil, `{"age":"%v","i":%d}`, age, i), PartitionKey: fmt.Sprint(i)}
		}
		if _, err := s.Put(context.Background(), es); err != nil {
			t.Fatal(err)
		}
		total += len(es)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	st, err := cplocal.Open(filepath.Join(dir, "checkpoints.db"))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	return dir, total
}

// weekReaderCount counts the records a 7-day reader sees in the stream.
func weekReaderCount(t *testing.T, dir string) int {
	t.Helper()
	s, err := local.Open(dir, local.Options{Retention: runRetention})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	shards, err := s.Shards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sh := range shards {
		it, err := s.Iterate(ctx, sh.ID, stream.Position{Kind: stream.TrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		for {
			b, err := it.Next(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			n += len(b.Records)
			if len(b.Records) == 0 || b.EndOfShard {
				break
			}
		}
	}
	return n
}

// README: DIR/raw and DIR/events are kept "for checkpoints and replays"
// with 7 days of records, and it shows `elbstream checkpoints list ...
// --stream local://DIR/events`. Listing checkpoints must not delete what
// `run` keeps for 7 days.
func TestCheckpointsListKeepsRunRetention(t *testing.T) {
	dir, total := runDataDir(t)
	if n := weekReaderCount(t, filepath.Join(dir, "events")); n != total {
		t.Fatalf("fixture: %d records, want %d", n, total)
	}
	// The deletion races with the command's exit: a user who lists a few
	// times loses them for sure.
	for range 10 {
		code, stdout, stderr := runCLI(t, "checkpoints", "list",
			"--checkpoints", "local://"+filepath.Join(dir, "checkpoints.db"),
			"--consumer", "forward", "--stream", "local://"+filepath.Join(dir, "events"))
		if code != 0 {
			t.Fatalf("checkpoints list: exit %d\n%s%s", code, stdout, stderr)
		}
	}
	if n := weekReaderCount(t, filepath.Join(dir, "events")); n != total {
		t.Fatalf("after 10 × `elbstream checkpoints list --stream local://DIR/events`: %d of %d records left "+
			"(the 3-day-old ones deleted, though `run --data DIR` keeps 7 days)", n, total)
	}
}

// README: a replay of DIR/events reaches back 7 days ("The streams keep
// their records for 7 days, so that a replay can reach back"). A replay
// under a new consumer from the trim horizon, as `forward -h` describes it,
// must deliver the 3-day-old events too.
func TestReplayOfRunDataReachesBackSevenDays(t *testing.T) {
	dir, total := runDataDir(t)
	out := filepath.Join(t.TempDir(), "replay.ndjson")
	code, stdout, stderr := runCLI(t, "forward", "--from", "local://"+filepath.Join(dir, "events"),
		"--checkpoints", "local://"+filepath.Join(dir, "checkpoints.db"),
		"--consumer", "replay", "--start-at", "trim-horizon", "--drain", "--to", "file:"+out)
	if code != 0 {
		t.Fatalf("forward: exit %d\n%s%s", code, stdout, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte("\n")); n != total {
		t.Fatalf("replay of local://DIR/events from the trim horizon delivered %d of %d events (none older than 24h)\n%s", n, total, stderr)
	}
}
