package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/checkpoint"
	cplocal "github.com/elbstream/elbstream/stream/checkpoint/local"
	"github.com/elbstream/elbstream/stream/local"
)

// Hash keys that pick the first and the last shard of a 2-shard stream.
const (
	lowHashKey  = "0"
	highHashKey = "340282366920938463463374607431768211455"
)

// runCLI runs the binary's main logic and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// checkpointFixture is a 2-shard local stream with records put before and
// after a moment `cut`, and a checkpoint store where consumer "live" has
// processed everything.
type checkpointFixture struct {
	streamURL, storeURL string
	cut                 time.Time
	// before and after are the sequence numbers per shard, in order.
	before, after map[string][]string
	shards        []string
}

func newCheckpointFixture(t *testing.T) *checkpointFixture {
	t.Helper()
	dir := t.TempDir()
	f := &checkpointFixture{
		streamURL: "local://" + dir + "/stream",
		storeURL:  "local://" + dir + "/checkpoints.db",
		before:    map[string][]string{},
		after:     map[string][]string{},
	}
	s, err := local.Open(dir+"/stream", local.Options{Shards: 2})
	if err != nil {
		t.Fatal(err)
	}
	put := func(into map[string][]string, n int) time.Time {
		var last time.Time
		for i := range n {
			for _, hk := range []string{lowHashKey, highHashKey} {
				res, err := s.Put(context.Background(), []stream.Entry{{Data: fmt.Appendf(nil, `{"i":%d}`, i), PartitionKey: "pk", ExplicitHashKey: hk}})
				if err != nil || !res[0].OK() {
					t.Fatal(err, res)
				}
				into[res[0].ShardID] = append(into[res[0].ShardID], res[0].SequenceNumber)
			}
			last = time.Now()
		}
		return last
	}
	last := put(f.before, 3)
	for !time.Now().After(last) { // the cut is strictly after every earlier arrival
	}
	f.cut = time.Now()
	for !time.Now().After(f.cut) {
	}
	put(f.after, 2)
	shards, err := s.Shards(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range shards {
		f.shards = append(f.shards, sh.ID)
	}
	s.Close()

	store := f.openStore(t)
	defer store.Close()
	for _, id := range f.shards {
		ctx := context.Background()
		if _, err := store.Acquire(ctx, "live", id, "live-owner", time.Minute); err != nil {
			t.Fatal(err)
		}
		seqs := f.after[id]
		if err := store.Set(ctx, "live", id, "live-owner", seqs[len(seqs)-1]); err != nil {
			t.Fatal(err)
		}
		if err := store.Release(ctx, "live", id, "live-owner"); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *checkpointFixture) openStore(t *testing.T) checkpoint.Store {
	t.Helper()
	st, err := cplocal.Open(strings.TrimPrefix(f.storeURL, "local://"))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (f *checkpointFixture) checkpoints(t *testing.T, consumer string) map[string]string {
	t.Helper()
	st := f.openStore(t)
	defer st.Close()
	cps, err := st.List(context.Background(), consumer)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, cp := range cps {
		m[cp.ShardID] = cp.Sequence
	}
	return m
}

func TestCheckpointsList(t *testing.T) {
	f := newCheckpointFixture(t)
	code, out, errs := runCLI(t, "checkpoints", "list", "--checkpoints", f.storeURL, "--consumer", "live", "--stream", f.streamURL, "--json")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rows []shardRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(rows) != 2 {
		t.Fatalf("rows %+v", rows)
	}
	for _, r := range rows {
		seqs := f.after[r.ShardID]
		if r.Sequence != seqs[len(seqs)-1] || r.State != "open" {
			t.Errorf("row %+v, want sequence %s, open", r, seqs[len(seqs)-1])
		}
	}
	// A consumer with no checkpoints: with --stream, every shard is listed
	// without a sequence.
	code, out, errs = runCLI(t, "checkpoints", "list", "--checkpoints", f.storeURL, "--consumer", "nobody", "--stream", f.streamURL)
	if code != 0 || strings.Count(out, "shardId-") != 2 || !strings.Contains(out, "SEQUENCE") {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
	// That is not an error, but a mistyped name looks the same: it is said.
	if !strings.Contains(errs, `consumer "nobody" has no checkpoints in `+f.storeURL) {
		t.Errorf("no note of the consumer without checkpoints on stderr: %q", errs)
	}
	if code, _, _ := runCLI(t, "checkpoints", "list", "--consumer", "live"); code != 2 {
		t.Errorf("missing --checkpoints: exit %d, want 2", code)
	}
	// A mistyped local store is said to be missing, and not created.
	typo := filepath.Join(t.TempDir(), "typo", "cp.db")
	if code, _, errs := runCLI(t, "checkpoints", "list", "--checkpoints", "local://"+typo, "--consumer", "live"); code != 1 || !strings.Contains(errs, "no checkpoint store there") {
		t.Errorf("mistyped store: exit %d, %q", code, errs)
	}
	if _, err := os.Stat(typo); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("listing a mistyped store created it: %v", err)
	}
}

func TestCheckpointsSet(t *testing.T) {
	f := newCheckpointFixture(t)
	shard := f.shards[0]
	code, out, errs := runCLI(t, "checkpoints", "set", "--checkpoints", f.storeURL, "--consumer", "live",
		"--shard", shard, "--sequence", f.before[shard][1])
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, f.before[shard][1]) {
		t.Errorf("output %q", out)
	}
	if got := f.checkpoints(t, "live")[shard]; got != f.before[shard][1] {
		t.Errorf("checkpoint %s, want %s", got, f.before[shard][1])
	}

	// A running consumer's lease does not stop an operator: the lease is
	// fenced (its holder can no longer checkpoint) and that consumer
	// resumes from the new position.
	st := f.openStore(t)
	if _, err := st.Acquire(context.Background(), "live", shard, "running-forwarder", time.Minute); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, _, errs = runCLI(t, "checkpoints", "set", "--checkpoints", f.storeURL, "--consumer", "live",
		"--shard", shard, "--sequence", checkpoint.TrimHorizon)
	if code != 0 || !strings.Contains(errs, "running-forwarder") {
		t.Errorf("exit %d, stderr %q: want success and a note naming the lease owner", code, errs)
	}
	st = f.openStore(t)
	cp, err := st.Get(context.Background(), "live", shard)
	setErr := st.Set(context.Background(), "live", shard, "running-forwarder", "900")
	st.Close()
	if err != nil || cp.Sequence != checkpoint.TrimHorizon || !cp.Rewound || !errors.Is(setErr, checkpoint.ErrNotOwner) {
		t.Errorf("checkpoint %+v %v, the holder's next checkpoint %v: want TRIM_HORIZON and the lease fenced", cp, err, setErr)
	}

	for _, bad := range []string{"12ab", "latest", "", "0123", strings.Repeat("9", 130)} {
		if code, _, _ := runCLI(t, "checkpoints", "set", "--checkpoints", f.storeURL, "--consumer", "live", "--shard", shard, "--sequence", bad); code != 2 {
			t.Errorf("--sequence %q: exit %d, want 2", bad, code)
		}
	}
	// Kinesis sequence numbers: 56 digits today (this one is the README's),
	// up to 129 by the API.
	for _, seq := range []string{"49659016214432659027291967098671671188815754797725958162", "1" + strings.Repeat("0", 128)} {
		if code, _, errs := runCLI(t, "checkpoints", "set", "--checkpoints", f.storeURL, "--consumer", "kinesis", "--shard", shard, "--sequence", seq); code != 0 {
			t.Errorf("--sequence of %d digits: exit %d: %s", len(seq), code, errs)
		}
	}
	if code, _, errs := runCLI(t, "checkpoints", "set", "--checkpoints", f.storeURL, "--consumer", "live", "--stream", f.streamURL,
		"--shard", "shardId-000000000099", "--sequence", checkpoint.TrimHorizon); code != 1 || !strings.Contains(errs, "no shard") {
		t.Errorf("unknown shard: exit %d %s", code, errs)
	}
}

func TestCheckpointsRewind(t *testing.T) {
	f := newCheckpointFixture(t)
	rewind := func(to string, extra ...string) (int, string, string) {
		args := append([]string{"checkpoints", "rewind", "--checkpoints", f.storeURL, "--consumer", "live", "--stream", f.streamURL, "--to", to}, extra...)
		return runCLI(t, args...)
	}
	ts := "timestamp:" + f.cut.UTC().Format(time.RFC3339Nano)

	// A dry run prints the plan and writes nothing.
	before := f.checkpoints(t, "live")
	code, out, errs := rewind(ts, "--dry-run")
	if code != 0 || !strings.Contains(out, "dry run") {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
	for id, seq := range f.checkpoints(t, "live") {
		if before[id] != seq {
			t.Errorf("dry run moved %s from %s to %s", id, before[id], seq)
		}
	}

	// To a time: each shard resumes at its first record after the cut, so
	// the checkpoint is the last record before it.
	if code, out, errs := rewind(ts); code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
	got := f.checkpoints(t, "live")
	for _, id := range f.shards {
		b := f.before[id]
		if got[id] != b[len(b)-1] {
			t.Errorf("%s: checkpoint %s, want the last record before the cut %s", id, got[id], b[len(b)-1])
		}
	}

	if code, _, errs := rewind("trim-horizon"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, id := range f.shards {
		if got := f.checkpoints(t, "live")[id]; got != checkpoint.TrimHorizon {
			t.Errorf("%s: %s, want TRIM_HORIZON", id, got)
		}
	}

	// latest: after the last record now in each shard.
	if code, _, errs := rewind("latest"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	got = f.checkpoints(t, "live")
	for _, id := range f.shards {
		a := f.after[id]
		if got[id] != a[len(a)-1] {
			t.Errorf("%s: %s, want the last record %s", id, got[id], a[len(a)-1])
		}
	}

	if code, _, _ := rewind("yesterday"); code != 2 {
		t.Errorf("bad --to: exit %d, want 2", code)
	}
	// A consumer holding a lease is told, not refused.
	st := f.openStore(t)
	if _, err := st.Acquire(context.Background(), "live", f.shards[1], "running-forwarder", time.Minute); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if code, _, errs := rewind("trim-horizon"); code != 0 || !strings.Contains(errs, "running-forwarder") {
		t.Errorf("exit %d %q, want success with a note", code, errs)
	}
}

// TestCheckpointsNoteAConsumerWithoutCheckpoints: set and rewind of a
// consumer name the store has no checkpoints for (a typo of "live") do
// what they are told, since a consumer may be placed before it first
// runs, but say so, as list does.
func TestCheckpointsNoteAConsumerWithoutCheckpoints(t *testing.T) {
	f := newCheckpointFixture(t)
	for _, args := range [][]string{
		{"set", "--checkpoints", f.storeURL, "--consumer", "lvie", "--shard", f.shards[0], "--sequence", "TRIM_HORIZON"},
		{"rewind", "--checkpoints", f.storeURL, "--consumer", "lvei", "--stream", f.streamURL, "--to", "trim-horizon"},
	} {
		code, _, stderr := runCLI(t, append([]string{"checkpoints"}, args...)...)
		if want := `elbstream checkpoints ` + args[0] + `: consumer "` + args[4] + `" has no checkpoints in ` + f.storeURL; code != 0 || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 0 and %q", args[0], code, stderr, want)
		}
	}
}

// TestCheckpointsSetRefusesASequenceNotOfTheShard: with --stream, set
// refuses another shard's sequence number, on which the consumer would
// fail when it resumes, and leaves the checkpoint as it was.
func TestCheckpointsSetRefusesASequenceNotOfTheShard(t *testing.T) {
	f := newCheckpointFixture(t)
	sh0, sh1 := f.shards[0], f.shards[1]
	before := f.checkpoints(t, "live")[sh0]
	code, _, stderr := runCLI(t, "checkpoints", "set", "--checkpoints", f.storeURL, "--consumer", "live", "--stream", f.streamURL,
		"--shard", sh0, "--sequence", f.before[sh1][0])
	if code != 1 || !strings.Contains(stderr, "is not a position in shard "+sh0) {
		t.Errorf("another shard's sequence number: exit %d, stderr %q; want exit 1 naming the shard", code, stderr)
	}
	if got := f.checkpoints(t, "live")[sh0]; got != before {
		t.Errorf("checkpoint moved to %s", got)
	}
	// The shard's own sequence number is taken.
	if code, _, stderr := runCLI(t, "checkpoints", "set", "--checkpoints", f.storeURL, "--consumer", "live", "--stream", f.streamURL,
		"--shard", sh0, "--sequence", f.before[sh0][0]); code != 0 {
		t.Errorf("the shard's own sequence number: exit %d: %s", code, stderr)
	}
}

// TestCheckpointsRewindRefusesTheFuture: a rewind to a time to come would
// act as latest and skip what arrives before that time (and Kinesis
// refuses such an AT_TIMESTAMP): a usage error.
func TestCheckpointsRewindRefusesTheFuture(t *testing.T) {
	f := newCheckpointFixture(t)
	before := f.checkpoints(t, "live")
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	code, _, stderr := runCLI(t, "checkpoints", "rewind", "--checkpoints", f.storeURL, "--consumer", "live", "--stream", f.streamURL,
		"--to", "timestamp:"+future)
	if code != 2 || !strings.Contains(stderr, "is in the future") {
		t.Errorf("exit %d, stderr %q; want exit 2, the time in the future", code, stderr)
	}
	if got := f.checkpoints(t, "live"); fmt.Sprint(got) != fmt.Sprint(before) {
		t.Errorf("checkpoints moved: %v, were %v", got, before)
	}
}

// TestCheckpointsRewindDryRunCreatesNoStore: a dry run writes nothing, not
// even a new store at a mistyped local:// path.
func TestCheckpointsRewindDryRunCreatesNoStore(t *testing.T) {
	f := newCheckpointFixture(t)
	typo := filepath.Join(t.TempDir(), "typo", "cp.db")
	code, _, stderr := runCLI(t, "checkpoints", "rewind", "--checkpoints", "local://"+typo, "--consumer", "live", "--stream", f.streamURL,
		"--to", "trim-horizon", "--dry-run")
	if code != 1 || !strings.Contains(stderr, "no checkpoint store there") {
		t.Errorf("exit %d, stderr %q; want exit 1, no store there", code, stderr)
	}
	if _, err := os.Stat(typo); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the dry run created %s (%v)", typo, err)
	}
}

// TestCheckpointsListJSONWithoutCheckpoints: list --json of a consumer
// without checkpoints is an empty array, not null, for jq '.[]'.
func TestCheckpointsListJSONWithoutCheckpoints(t *testing.T) {
	f := newCheckpointFixture(t)
	code, stdout, stderr := runCLI(t, "checkpoints", "list", "--checkpoints", f.storeURL, "--consumer", "nobody", "--json")
	if code != 0 || strings.TrimSpace(stdout) != "[]" {
		t.Errorf("exit %d, stdout %q (stderr %q); want []", code, stdout, stderr)
	}
}
