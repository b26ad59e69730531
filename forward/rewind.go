package forward

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/checkpoint"
)

// Resolved is where a rewind puts one shard's checkpoint.
type Resolved struct {
	ShardID string
	// Sequence is the checkpoint to store: the last record that arrived
	// before the target time (so that reading resumes at the first record
	// at or after it), checkpoint.TrimHorizon when no retained record of
	// the shard is older, or checkpoint.ShardEnd when the shard is closed
	// and every record of it is older.
	Sequence string
	// Next is the first record at or after the target that the consumer
	// will read, when the resolution saw it ("" otherwise), and NextArrival
	// its arrival time.
	Next        string
	NextArrival time.Time
}

// ResolveTime finds, for one shard, the checkpoint that makes a consumer
// resume at the first record that arrived at or after t: the same record
// an AT_TIMESTAMP iterator opened at t returns first.
//
// Checkpoints mean "last record processed" and Kinesis offers no way to
// step back one record, so ResolveTime finds that record's predecessor by
// reading forward from AT_TIMESTAMP iterators opened at t-1s, t-2s, t-4s, …
// until one yields a record older than t. It reads only the records of the
// first window that holds any, never the shard from its start, and stops
// widening once the window reaches the oldest retained record.
func ResolveTime(ctx context.Context, s stream.Stream, shard stream.Shard, t time.Time) (Resolved, error) {
	res := Resolved{ShardID: shard.ID}
	oldest, ok, end, err := firstRecord(ctx, s, shard.ID, stream.Position{Kind: stream.TrimHorizon})
	if err != nil {
		return res, err
	}
	switch {
	case !ok && end:
		res.Sequence = checkpoint.ShardEnd // closed and empty
		return res, nil
	case !ok:
		res.Sequence = checkpoint.TrimHorizon // nothing retained yet
		return res, nil
	case !oldest.ArrivalTime.Before(t):
		res.Sequence = checkpoint.TrimHorizon
		res.Next, res.NextArrival = oldest.SequenceNumber, oldest.ArrivalTime
		return res, nil
	}
	for back := time.Second; ; back *= 2 {
		from := stream.Since(t.Add(-back))
		widest := !t.Add(-back).After(oldest.ArrivalTime)
		if widest {
			from = stream.Position{Kind: stream.TrimHorizon}
		}
		sc, err := scanBefore(ctx, s, shard.ID, from, t)
		if err != nil {
			return res, err
		}
		switch {
		case sc.end:
			// Closed, and nothing from here to its end arrived at or
			// after t: the whole shard is before t.
			res.Sequence = checkpoint.ShardEnd
			return res, nil
		case sc.last != "":
			res.Sequence = sc.last
			res.Next, res.NextArrival = sc.next, sc.nextArrival
			return res, nil
		case widest:
			// The oldest record arrived before t, yet reading from the
			// oldest found nothing before t: it was trimmed meanwhile.
			return res, fmt.Errorf("forward: resolve %s: records before %s were trimmed while resolving; try again", shard.ID, t.Format(time.RFC3339))
		}
	}
}

// scan is what scanBefore saw.
type scan struct {
	last        string // the last record that arrived before t
	next        string // the first record at or after t
	nextArrival time.Time
	end         bool // the shard ended before any record at or after t
}

// scanBefore reads from `from` until the first record at or after t, the
// tip, or the end of the shard.
func scanBefore(ctx context.Context, s stream.Stream, shardID string, from stream.Position, t time.Time) (scan, error) {
	var sc scan
	r := &stream.Reader{Stream: s, ShardID: shardID, From: from, MaxRecords: 1000, PollInterval: time.Millisecond}
	for {
		b, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			sc.end = true
			return sc, nil
		}
		if err != nil {
			return sc, fmt.Errorf("forward: resolve %s: %w", shardID, err)
		}
		for _, rec := range b.Records {
			if !rec.ArrivalTime.Before(t) {
				sc.next, sc.nextArrival = rec.SequenceNumber, rec.ArrivalTime
				return sc, nil
			}
			sc.last = rec.SequenceNumber
		}
		if b.EndOfShard {
			sc.end = true
			return sc, nil
		}
		if len(b.Records) == 0 && b.BehindTip == 0 {
			return sc, nil // the tip
		}
	}
}

// firstRecord returns the first record readable from `from`; ok is false
// when the reader reached the tip (or, with end, the end of a closed shard)
// first.
func firstRecord(ctx context.Context, s stream.Stream, shardID string, from stream.Position) (rec stream.Record, ok, end bool, err error) {
	r := &stream.Reader{Stream: s, ShardID: shardID, From: from, MaxRecords: 1, PollInterval: time.Millisecond}
	for {
		b, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			return rec, false, true, nil
		}
		if err != nil {
			return rec, false, false, fmt.Errorf("forward: resolve %s: %w", shardID, err)
		}
		if len(b.Records) > 0 {
			rec = b.Records[0]
			rec.Data = nil
			return rec, true, false, nil
		}
		if b.EndOfShard {
			return rec, false, true, nil
		}
		if b.BehindTip == 0 {
			return rec, false, false, nil
		}
	}
}

// ResolveRewind resolves every shard s lists for a rewind to target:
// checkpoint.TrimHorizon, or a time (see ResolveTime). Latest is resolved
// as the time now: every record already in the stream is skipped, every
// record that arrives later is read. (Storing the LATEST sentinel instead
// would also skip what arrives before the consumer starts again.)
func ResolveRewind(ctx context.Context, s stream.Stream, target RewindTarget) ([]Resolved, error) {
	shards, err := s.Shards(ctx)
	if err != nil {
		return nil, fmt.Errorf("forward: list shards: %w", err)
	}
	out := make([]Resolved, 0, len(shards))
	for _, sh := range shards {
		if target.TrimHorizon {
			out = append(out, Resolved{ShardID: sh.ID, Sequence: checkpoint.TrimHorizon})
			continue
		}
		r, err := ResolveTime(ctx, s, sh, target.Time)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// RewindTarget is where `checkpoints rewind --to` moves a consumer.
type RewindTarget struct {
	TrimHorizon bool
	Time        time.Time // when not TrimHorizon
}
