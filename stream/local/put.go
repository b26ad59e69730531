package local

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/elbstream/elbstream/stream"
	bolt "go.etcd.io/bbolt"
)

// putRequest is one Put call waiting for, or in, a group commit.
type putRequest struct {
	ctx     context.Context
	entries []stream.Entry
	slots   []slot
	size    int   // bytes of keys and values the commit writes for it
	err     error // set by the committer when the put as a whole failed
	done    chan struct{}
}

// slot is the outcome of one entry, filled by the committer; Put turns it
// into a PutResult.
type slot struct {
	hash  hashKey
	route *route
	key   uint64 // record key; 0 when the entry failed
	code  string // error code when the entry failed
}

// Put writes entries in one bbolt transaction, fsynced before it returns:
// an entry whose result is OK survives a crash. Puts from concurrent
// callers that queue up while a commit is in progress share the next
// transaction (group commit), so concurrent writers share an fsync instead
// of waiting for one each.
//
// A Put that breaks Limits fails with ErrInvalidArgument and writes
// nothing. With Options.Throttle an entry over its shard's write limit
// fails alone with stream.ErrCodeThrottled. Entries of one Put that land on
// one shard get increasing sequence numbers in entry order.
//
// Put copies entries' data; the caller may reuse it once Put returns.
func (s *Stream) Put(ctx context.Context, entries []stream.Entry) ([]stream.PutResult, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	req, err := s.newPutRequest(ctx, entries)
	if err != nil {
		return nil, fmt.Errorf("local: put: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("local: put: %w", err)
	}
	select {
	case s.puts <- req:
	case <-ctx.Done():
		return nil, fmt.Errorf("local: put: %w", ctx.Err())
	case <-s.closing:
		return nil, fmt.Errorf("local: put: %w", ErrClosed)
	}
	// Once taken, a put is not abandoned: the commit is bounded by one
	// fsync, and returning early could report an entry as not written
	// when it was.
	<-req.done
	if req.err != nil {
		return nil, req.err
	}
	return s.results(req), nil
}

// newPutRequest checks entries against the limits and hashes their keys
// (in the caller's goroutine, off the committer's critical path).
func (s *Stream) newPutRequest(ctx context.Context, entries []stream.Entry) (*putRequest, error) {
	l := s.limits
	if len(entries) > l.MaxPutEntries {
		return nil, fmt.Errorf("%w: %d entries, over the limit of %d per put", ErrInvalidArgument, len(entries), l.MaxPutEntries)
	}
	req := &putRequest{ctx: ctx, entries: entries, slots: make([]slot, len(entries)), done: make(chan struct{})}
	total := 0
	for i := range entries {
		e := &entries[i]
		switch {
		case len(e.PartitionKey) == 0 || len(e.PartitionKey) > l.MaxPartitionKey:
			return nil, fmt.Errorf("%w: entry %d: partition key of %d bytes (want 1 to %d)",
				ErrInvalidArgument, i, len(e.PartitionKey), l.MaxPartitionKey)
		case e.Size() > l.MaxRecordBytes:
			return nil, fmt.Errorf("%w: entry %d: %d bytes of data and partition key, over the record limit of %d",
				ErrInvalidArgument, i, e.Size(), l.MaxRecordBytes)
		}
		if e.ExplicitHashKey != "" {
			k, err := parseHashKey(e.ExplicitHashKey)
			if err != nil {
				return nil, fmt.Errorf("%w: entry %d: explicit hash key %q: %v", ErrInvalidArgument, i, e.ExplicitHashKey, err)
			}
			req.slots[i].hash = k
		} else {
			req.slots[i].hash = partitionHash(e.PartitionKey)
		}
		total += e.Size()
		req.size += 8 + recordSize(e)
	}
	if total > l.MaxPutBytes {
		return nil, fmt.Errorf("%w: %d bytes of data and partition keys, over the limit of %d per put",
			ErrInvalidArgument, total, l.MaxPutBytes)
	}
	return req, nil
}

// results builds the PutResults of a committed request. All sequence
// numbers share one string allocation.
func (s *Stream) results(req *putRequest) []stream.PutResult {
	var b strings.Builder
	b.Grow(len(req.slots) * (20 + seqIndexDigits))
	var seq [20 + seqIndexDigits]byte
	for _, sl := range req.slots {
		if sl.code == "" {
			b.Write(appendSequence(seq[:0], sl.key, sl.route.index))
		}
	}
	seqs := b.String()
	results := make([]stream.PutResult, len(req.slots))
	for i, sl := range req.slots {
		if sl.code != "" {
			results[i] = stream.PutResult{ErrorCode: sl.code, ErrorMessage: s.failureMessage(sl)}
			continue
		}
		n := decimalLen(sl.key) + seqIndexDigits
		results[i] = stream.PutResult{ShardID: sl.route.id, SequenceNumber: seqs[:n]}
		seqs = seqs[n:]
	}
	return results
}

func (s *Stream) failureMessage(sl slot) string {
	if sl.code == stream.ErrCodeThrottled {
		return fmt.Sprintf("Rate exceeded for shard %s in stream local://%s.", sl.route.id, s.dir)
	}
	return fmt.Sprintf("Injected failure for shard %s in stream local://%s.", sl.route.id, s.dir)
}

// commitLoop commits queued puts until the stream closes. It takes one
// request, then every request whose sender is already waiting (up to a
// bound), and commits them together.
func (s *Stream) commitLoop() {
	defer s.wg.Done()
	group := make([]*putRequest, 0, commitGroupMaxPuts)
	for {
		select {
		case <-s.closing:
			return
		case req := <-s.puts:
			group = append(group[:0], req)
		}
		size := group[0].size
	more:
		for len(group) < commitGroupMaxPuts && size < commitGroupMaxBytes {
			select {
			case req := <-s.puts:
				group = append(group, req)
				size += req.size
			default:
				break more
			}
		}
		s.commit(group, size)
		for i, req := range group {
			close(req.done)
			group[i] = nil
		}
	}
}

// arenas recycles the buffers that hold a commit's keys and values until
// bbolt has written them.
var arenas sync.Pool

const maxPooledArena = 64 << 20

// commit writes the requests of a group in one transaction.
func (s *Stream) commit(group []*putRequest, size int) {
	for _, req := range group {
		if err := req.ctx.Err(); err != nil {
			req.err = fmt.Errorf("local: put: %w", err)
		}
	}
	var arena []byte
	if p, ok := arenas.Get().(*[]byte); ok && cap(*p) >= size {
		arena = (*p)[:0]
	} else {
		arena = make([]byte, 0, size)
	}
	defer func() {
		if cap(arena) <= maxPooledArena {
			arena = arena[:0]
			arenas.Put(&arena)
		}
	}()

	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	nowTime := s.opts.Now()
	now := max(1, timeKey(nowTime))
	fault := s.putFault.Load()
	err := s.db.Update(func(tx *bolt.Tx) error {
		records := tx.Bucket(bucketRecords)
		writers := map[*route]*shardWriter{}
		for _, req := range group {
			if req.err != nil {
				continue
			}
			for i := range req.entries {
				e, sl := &req.entries[i], &req.slots[i]
				sl.route = s.route(sl.hash)
				if fault != nil {
					if sl.code = (*fault)(sl.route.id, *e); sl.code != "" {
						continue
					}
				}
				if s.throttle != nil && !s.throttle.allowWrite(sl.route.id, e.Size(), nowTime) {
					sl.code = stream.ErrCodeThrottled
					continue
				}
				w := writers[sl.route]
				if w == nil {
					w = &shardWriter{bucket: records.Bucket([]byte(sl.route.id))}
					w.tip, _ = getTip(tx, sl.route.id)
					w.bucket.FillPercent = 0.95 // keys only ever grow: pack pages
					writers[sl.route] = w
				}
				// Arrival time, made unique and increasing within the shard
				// even if the clock stalls or steps back.
				sl.key = max(now, w.tip.last+1)
				w.tip.last = sl.key
				off := len(arena)
				arena = recordKey(arena, sl.key)
				arena = appendRecord(arena, e)
				if err := w.bucket.Put(arena[off:off+8], arena[off+8:]); err != nil {
					return err
				}
			}
		}
		for r, w := range writers {
			if err := putTip(tx, r.id, w.tip); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		err = fmt.Errorf("local: put: commit: %w", s.dbErr(err))
		for _, req := range group {
			if req.err == nil {
				req.err = err
			}
		}
	}
}

type shardWriter struct {
	bucket *bolt.Bucket
	tip    tip
}

// decimalLen is len(strconv.FormatUint(x, 10)).
func decimalLen(x uint64) int {
	n := 1
	for x >= 10 {
		x /= 10
		n++
	}
	return n
}
