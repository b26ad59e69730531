package local_test

import (
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream/local"
)

// TestRetentionIsStored: a stream keeps the retention it was last opened
// with. A reader that opens it without one (checkpoints list, a replay's
// forward) must not trim `run --data`'s 7 days to the 24-hour default, and
// an Open that names another retention changes it.
func TestRetentionIsStored(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	s := openDir(t, dir, local.Options{Shards: 1, Retention: 7 * 24 * time.Hour, Now: clk.Now})
	res := mustPut(t, s, entriesWithKey("r", "k", 3))
	shard := res[0].ShardID
	s.Close()

	clk.Add(3 * 24 * time.Hour) // past the default, within the stored 7 days
	s = openDir(t, dir, local.Options{Now: clk.Now})
	if got := readAll(t, s, shard, trimHorizon); len(got) != 3 {
		t.Errorf("opened without a retention 3 days later: %d of 3 records, want all (the stored 7 days)", len(got))
	}
	s.Close()

	s = openDir(t, dir, local.Options{Retention: 48 * time.Hour, Now: clk.Now})
	if got := readAll(t, s, shard, trimHorizon); len(got) != 0 {
		t.Errorf("opened with 48h, 3 days later: %d records, want none", len(got))
	}
	mustPut(t, s, entriesWithKey("n", "k", 2))
	s.Close()
	clk.Add(36 * time.Hour) // past the default, within the 48h set last
	s = openDir(t, dir, local.Options{Now: clk.Now})
	defer s.Close()
	if got := readAll(t, s, shard, trimHorizon); len(got) != 2 {
		t.Errorf("opened without a retention 36h after a 48h Open's puts: %d of 2 records", len(got))
	}
}
