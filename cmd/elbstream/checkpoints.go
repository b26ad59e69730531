package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/elbstream/elbstream/forward"
	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/checkpoint"
	"github.com/elbstream/elbstream/transform"
)

func init() {
	register(&command{
		name:    "checkpoints",
		summary: "inspect and move a consumer's checkpoints (list, set, rewind)",
		run:     runCheckpoints,
	})
}

const checkpointsAbout = `
Subcommands:
  list    show each shard's checkpoint, lease owner and lease expiry
  set     move one shard's checkpoint
  rewind  move every shard's checkpoint to trim-horizon, latest or a time

A checkpoint is the last record a consumer fully processed; the consumer
resumes just after it. set and rewind may run while the consumer runs (with
a shared store such as dynamodb://): moving a checkpoint fences the shard's
lease without ending it, and the running consumer drops its batch in hand
at its next checkpoint or lease renewal and resumes from the new position
(no other consumer takes the shard meanwhile). To replay a range without
touching the live consumer, run 'elbstream forward' under a new --consumer
name with --start-at instead.`

func runCheckpoints(ctx context.Context, args []string, io stdio) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fs := newFlags("checkpoints", "list|set|rewind [flags]", checkpointsAbout, io)
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		fs.Usage()
		return errUsage
	}
	switch args[0] {
	case "list":
		return runCheckpointsList(ctx, args[1:], io)
	case "set":
		return runCheckpointsSet(ctx, args[1:], io)
	case "rewind":
		return runCheckpointsRewind(ctx, args[1:], io)
	}
	fmt.Fprintf(io.err, "elbstream checkpoints: unknown subcommand %q (want list, set or rewind)\n", args[0])
	return errUsage
}

// checkpointFlags are the flags every checkpoints subcommand takes.
type checkpointFlags struct {
	checkpoints, consumer, stream string
}

func (c *checkpointFlags) register(fs *flag.FlagSet, streamHelp string) {
	fs.StringVar(&c.checkpoints, "checkpoints", "", "checkpoint store URL: local://PATH or dynamodb://TABLE (required)")
	fs.StringVar(&c.consumer, "consumer", "", "consumer name whose checkpoints to use (required)")
	fs.StringVar(&c.stream, "stream", "", streamHelp)
}

// mustExist refuses a local:// store that is not there. Opening one
// creates it: a listing (or a dry run) of a mistyped path would leave an
// empty store behind and say only that it has no checkpoints.
func (c *checkpointFlags) mustExist() error {
	if u, err := parseURL(c.checkpoints); err == nil && u.Scheme == "local" {
		if _, err := os.Stat(u.Opaque); errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: no checkpoint store there", c.checkpoints)
		}
	}
	return nil
}

// noteNoCheckpoints says that the consumer has no checkpoints in the
// store. It is not an error (a consumer may be placed before it first
// runs), but a mistyped name looks just like it.
func (c *checkpointFlags) noteNoCheckpoints(w io.Writer, sub string) {
	fmt.Fprintf(w, "elbstream checkpoints %s: consumer %q has no checkpoints in %s (the stages' consumers are named %q and %q unless --consumer named another)\n",
		sub, c.consumer, c.checkpoints, transform.DefaultConsumer, "forward")
}

func (c *checkpointFlags) open(ctx context.Context, fs *flag.FlagSet, needStream bool) (checkpoint.Store, stream.Stream, error) {
	switch {
	case c.checkpoints == "":
		return nil, nil, usageError(fs, "--checkpoints is required")
	case c.consumer == "":
		return nil, nil, usageError(fs, "--consumer is required")
	case needStream && c.stream == "":
		return nil, nil, usageError(fs, "--stream is required")
	}
	store, err := openCheckpoints(ctx, c.checkpoints)
	if err != nil {
		return nil, nil, err
	}
	if c.stream == "" {
		return store, nil, nil
	}
	s, err := openExistingStream(ctx, c.stream)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return store, s, nil
}

// shardRow is one line of `checkpoints list`.
type shardRow struct {
	ShardID    string    `json:"shard"`
	State      string    `json:"state,omitempty"` // open or closed, with --stream
	Sequence   string    `json:"sequence"`
	Owner      string    `json:"owner,omitempty"`
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
	Rewound    bool      `json:"rewound,omitempty"` // since the owner took the lease: it re-reads once it notices
}

func runCheckpointsList(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("checkpoints list", "--checkpoints URL --consumer NAME [--stream URL] [--json]",
		"Shows each shard's checkpoint, lease owner and lease expiry. With --stream, shards without a checkpoint are listed too, with their state.", io)
	var c checkpointFlags
	c.register(fs, "stream URL: also list shards without a checkpoint, and whether each is open or closed")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := c.mustExist(); err != nil {
		return err
	}
	store, s, err := c.open(ctx, fs, false)
	if err != nil {
		return err
	}
	defer store.Close()
	if s != nil {
		defer s.Close()
	}
	rows, err := listRows(ctx, store, s, c.consumer)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(rows, func(r shardRow) bool { return r.Sequence != "" || r.Owner != "" }) {
		c.noteNoCheckpoints(io.err, "list")
	}
	if *asJSON {
		enc := json.NewEncoder(io.out)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	now := time.Now()
	tw := tabwriter.NewWriter(io.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SHARD\tSTATE\tSEQUENCE\tOWNER\tLEASE\tUPDATED")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ShardID, dash(r.State), dash(r.Sequence), dash(r.Owner),
			leaseText(r.LeaseUntil, r.Rewound, now), timeText(r.UpdatedAt))
	}
	return tw.Flush()
}

func listRows(ctx context.Context, store checkpoint.Store, s stream.Stream, consumer string) ([]shardRow, error) {
	cps, err := store.List(ctx, consumer)
	if err != nil {
		return nil, fmt.Errorf("list checkpoints: %w", err)
	}
	byShard := map[string]checkpoint.Checkpoint{}
	for _, cp := range cps {
		byShard[cp.ShardID] = cp
	}
	rows := []shardRow{} // [] in JSON when there are none
	seen := map[string]bool{}
	if s != nil {
		shards, err := s.Shards(ctx)
		if err != nil {
			return nil, fmt.Errorf("list shards: %w", err)
		}
		for _, sh := range shards {
			state := "open"
			if sh.Closed() {
				state = "closed"
			}
			cp := byShard[sh.ID]
			rows = append(rows, shardRow{ShardID: sh.ID, State: state, Sequence: cp.Sequence, Owner: cp.Owner, LeaseUntil: cp.LeaseUntil, UpdatedAt: cp.UpdatedAt, Rewound: cp.Rewound})
			seen[sh.ID] = true
		}
	}
	for _, cp := range cps {
		if seen[cp.ShardID] {
			continue
		}
		state := ""
		if s != nil {
			state = "expired" // no longer in the stream: past retention
		}
		rows = append(rows, shardRow{ShardID: cp.ShardID, State: state, Sequence: cp.Sequence, Owner: cp.Owner, LeaseUntil: cp.LeaseUntil, UpdatedAt: cp.UpdatedAt, Rewound: cp.Rewound})
	}
	return rows, nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func leaseText(until time.Time, rewound bool, now time.Time) string {
	switch {
	case until.IsZero():
		return "-"
	case until.After(now) && rewound:
		return "held for " + until.Sub(now).Round(time.Second).String() + ", rewound (the owner re-reads at its next checkpoint or renewal)"
	case until.After(now):
		return "held for " + until.Sub(now).Round(time.Second).String()
	default:
		return "expired " + now.Sub(until).Round(time.Second).String() + " ago"
	}
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func runCheckpointsSet(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("checkpoints set", "--checkpoints URL --consumer NAME --shard ID --sequence SEQ",
		"Moves one shard's checkpoint: the consumer resumes just after SEQ. SEQ is a sequence number, or TRIM_HORIZON (read the shard from its oldest record), LATEST (skip what is in the shard when the consumer starts) or SHARD_END (treat the shard as done).", io)
	var c checkpointFlags
	c.register(fs, "stream URL: check that the shard exists, and that SEQ is one of its sequence numbers")
	shard := fs.String("shard", "", "shard id (required)")
	seq := fs.String("sequence", "", "new checkpoint: a sequence number, TRIM_HORIZON, LATEST or SHARD_END (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *shard == "" || *seq == "" {
		return usageError(fs, "--shard and --sequence are required")
	}
	if !validCheckpoint(*seq) {
		return usageError(fs, fmt.Sprintf("--sequence %q: want a decimal sequence number, TRIM_HORIZON, LATEST or SHARD_END", *seq))
	}
	store, s, err := c.open(ctx, fs, false)
	if err != nil {
		return err
	}
	defer store.Close()
	if s != nil {
		defer s.Close()
		shards, err := s.Shards(ctx)
		if err != nil {
			return fmt.Errorf("list shards: %w", err)
		}
		if !hasShard(shards, *shard) {
			return fmt.Errorf("stream %s has no shard %s", c.stream, *shard)
		}
		// A sequence number of another shard (or past this one's end)
		// would stop the consumer when it resumes there.
		if !slices.Contains([]string{checkpoint.TrimHorizon, checkpoint.Latest, checkpoint.ShardEnd}, *seq) {
			if _, err := s.Iterate(ctx, *shard, stream.After(*seq)); errors.Is(err, stream.ErrInvalidPosition) {
				return fmt.Errorf("--sequence %s is not a position in shard %s: %w", *seq, *shard, err)
			} else if err != nil {
				return fmt.Errorf("check --sequence in shard %s: %w", *shard, err)
			}
		}
	}
	cps, err := store.List(ctx, c.consumer)
	if err != nil {
		return fmt.Errorf("list checkpoints: %w", err)
	}
	if len(cps) == 0 {
		c.noteNoCheckpoints(io.err, "set")
	}
	old, err := store.Get(ctx, c.consumer, *shard)
	if err != nil {
		return fmt.Errorf("get checkpoint: %w", err)
	}
	if err := store.Rewind(ctx, c.consumer, *shard, *seq); err != nil {
		return fmt.Errorf("set checkpoint: %w", err)
	}
	fmt.Fprintf(io.out, "%s: %s -> %s\n", *shard, dash(old.Sequence), *seq)
	noteLeases(io.err, []checkpoint.Checkpoint{old})
	return nil
}

// validCheckpoint reports a sentinel, or a sequence number as Kinesis
// writes them: 0|[1-9][0-9]{0,128} (56 digits today; the local stream's
// have 31).
func validCheckpoint(s string) bool {
	switch {
	case checkpoint.Validate(s) != nil:
		return false
	case s == checkpoint.TrimHorizon, s == checkpoint.Latest, s == checkpoint.ShardEnd:
		return true
	}
	return len(s) <= 129 && (s == "0" || s[0] != '0')
}

func hasShard(shards []stream.Shard, id string) bool {
	for _, sh := range shards {
		if sh.ID == id {
			return true
		}
	}
	return false
}

// noteLeases tells about shards a running consumer holds. Moving them is
// safe: a store's Rewind fences the lease, and the consumer that holds it
// drops its batch in hand at its next checkpoint or renewal (within a
// third of its lease TTL) and resumes from the new position. The batch in
// hand may still be delivered once more.
func noteLeases(w io.Writer, cps []checkpoint.Checkpoint) {
	now := time.Now()
	for _, cp := range cps {
		if cp.Owner != "" && cp.LeaseUntil.After(now) {
			fmt.Fprintf(w, "note: %s is leased by %s; that consumer will pick up the new position at its next checkpoint or lease renewal\n",
				cp.ShardID, cp.Owner)
		}
	}
}

func runCheckpointsRewind(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("checkpoints rewind", "--checkpoints URL --consumer NAME --stream URL --to trim-horizon|latest|timestamp:RFC3339 [--dry-run]",
		`Moves every shard's checkpoint of the consumer so that it resumes at --to:
  trim-horizon         the oldest retained record of every shard
  latest               after the last record in each shard now (what arrives later is read)
  timestamp:RFC3339    the first record of each shard that arrived at or after the time

A timestamp is resolved per shard with AT_TIMESTAMP iterators to the record
just before that first one. A rewind can also move a consumer forward.`, io)
	var c checkpointFlags
	c.register(fs, "stream URL whose shards to rewind (required)")
	to := fs.String("to", "", "trim-horizon, latest or timestamp:RFC3339 (required)")
	dryRun := fs.Bool("dry-run", false, "print the resolved positions without writing them")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *to == "" {
		return usageError(fs, "--to is required: trim-horizon, latest or timestamp:RFC3339")
	}
	target, err := parseRewindTarget(*to, time.Now())
	if err != nil {
		return usageError(fs, "--to "+err.Error())
	}
	if *dryRun {
		if err := c.mustExist(); err != nil {
			return err
		}
	}
	store, s, err := c.open(ctx, fs, true)
	if err != nil {
		return err
	}
	defer store.Close()
	defer s.Close()
	cps, err := store.List(ctx, c.consumer)
	if err != nil {
		return fmt.Errorf("list checkpoints: %w", err)
	}
	if len(cps) == 0 {
		c.noteNoCheckpoints(io.err, "rewind")
	}
	plan, err := forward.ResolveRewind(ctx, s, target)
	if err != nil {
		return err
	}
	old := map[string]string{}
	for _, cp := range cps {
		old[cp.ShardID] = cp.Sequence
	}
	tw := tabwriter.NewWriter(io.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SHARD\tFROM\tTO\tRESUMES AT")
	for _, p := range plan {
		next := "-"
		if p.Next != "" {
			next = p.Next + " (arrived " + p.NextArrival.UTC().Format(time.RFC3339Nano) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.ShardID, dash(old[p.ShardID]), p.Sequence, next)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if *dryRun {
		fmt.Fprintln(io.out, "dry run: nothing written")
		return nil
	}
	var errs []error
	for _, p := range plan {
		if err := store.Rewind(ctx, c.consumer, p.ShardID, p.Sequence); err != nil {
			errs = append(errs, fmt.Errorf("rewind %s: %w", p.ShardID, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	fmt.Fprintf(io.out, "rewound %d shards of consumer %s\n", len(plan), c.consumer)
	noteLeases(io.err, cps)
	return nil
}

func parseRewindTarget(s string, now time.Time) (forward.RewindTarget, error) {
	switch s {
	case "trim-horizon":
		return forward.RewindTarget{TrimHorizon: true}, nil
	case "latest":
		return forward.RewindTarget{Time: now}, nil
	}
	pos, err := parseStartAt(s)
	if err != nil || pos.Kind != stream.AtTimestamp {
		return forward.RewindTarget{}, fmt.Errorf("%q: want trim-horizon, latest or timestamp:RFC3339", s)
	}
	if pos.Timestamp.After(now) {
		// Kinesis refuses a future AT_TIMESTAMP; resolved as latest, it
		// would also skip what arrives before the time.
		return forward.RewindTarget{}, fmt.Errorf("%q is in the future (it is %s): a rewind moves to a record that has arrived; use latest", s, now.UTC().Format(time.RFC3339))
	}
	return forward.RewindTarget{Time: pos.Timestamp}, nil
}
