package local

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/elbstream/elbstream/stream"
	bolt "go.etcd.io/bbolt"
)

// Iterate opens an iterator over shardID at from. A sequence number must be
// one of the shard's (as Kinesis, it refuses another shard's) and not past
// its newest record, else the error wraps stream.ErrInvalidPosition. A
// timestamp or sequence number older than retention starts at the oldest
// record retained.
//
// Local iterators never expire (Kinesis's do after five minutes: use
// InjectReadFaults to exercise that path).
func (s *Stream) Iterate(ctx context.Context, shardID string, from stream.Position) (stream.Iterator, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("local: iterate %s: %w", shardID, err)
	}
	it := &iterator{s: s, shardID: shardID}
	cutoff := s.cutoffKey(s.opts.Now())
	err := s.db.View(func(tx *bolt.Tx) error {
		m, err := getShardMeta(tx, shardID)
		if err != nil {
			return err
		}
		if expired(m.EndKey, cutoff) {
			return fmt.Errorf("%s passed retention: %w", shardID, stream.ErrShardNotFound)
		}
		t, _ := getTip(tx, shardID)
		it.index = m.Index
		it.next, err = startKey(m, t, from)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("local: iterate %s: %w", shardID, s.dbErr(err))
	}
	return it, nil
}

// startKey resolves a position to the first record key to read.
func startKey(m *shardMeta, t tip, from stream.Position) (uint64, error) {
	switch from.Kind {
	case stream.TrimHorizon:
		return 0, nil
	case stream.Latest:
		return t.last + 1, nil
	case stream.AtTimestamp:
		return timeKey(from.Timestamp), nil
	case stream.AtSequence, stream.AfterSequence:
		key, index, err := parseSequence(from.Sequence)
		switch {
		case err != nil:
			return 0, fmt.Errorf("%w: %v", stream.ErrInvalidPosition, err)
		case index != m.Index:
			return 0, fmt.Errorf("%w: sequence number %s belongs to %s, not %s",
				stream.ErrInvalidPosition, from.Sequence, shardID(index), m.ID)
		case key < m.StartKey || key > max(t.last, t.end):
			return 0, fmt.Errorf("%w: sequence number %s is outside %s",
				stream.ErrInvalidPosition, from.Sequence, m.ID)
		case from.Kind == stream.AfterSequence:
			return key + 1, nil
		}
		return key, nil
	}
	return 0, fmt.Errorf("%w: unknown position kind %d", stream.ErrInvalidPosition, from.Kind)
}

// iterator reads one shard. It holds no transaction between calls, so an
// idle reader never holds up writers or the file's growth.
type iterator struct {
	s       *Stream
	shardID string
	index   uint64
	next    uint64 // the first record key not yet returned
	found   []found
}

// found is a record seen in a read transaction; pk and data alias the
// memory map and are copied out before the transaction ends.
type found struct {
	key      uint64
	pk, data []byte
}

// Next returns up to max records (10,000 when max <= 0 or above), and at
// most about 10 MiB, as GetRecords does. Each batch's records own their
// memory: nothing is reused by later calls.
func (it *iterator) Next(ctx context.Context, max int) (stream.Batch, error) {
	s := it.s
	if err := ctx.Err(); err != nil {
		return stream.Batch{}, fmt.Errorf("local: next %s: %w", it.shardID, err)
	}
	if max <= 0 || max > stream.DefaultMaxReadRecords {
		max = stream.DefaultMaxReadRecords
	}
	if f := s.readFault.Load(); f != nil {
		if err := (*f)(it.shardID); err != nil {
			return stream.Batch{}, fmt.Errorf("local: next %s: %w", it.shardID, err)
		}
	}
	now := s.opts.Now()
	if s.throttle != nil && !s.throttle.allowRead(it.shardID, now) {
		return stream.Batch{}, fmt.Errorf("local: next %s: read rate exceeded: %w", it.shardID, stream.ErrThrottled)
	}
	var b stream.Batch
	cutoff := s.cutoffKey(now)
	err := s.db.View(func(tx *bolt.Tx) error {
		t, ok := getTip(tx, it.shardID)
		bucket := tx.Bucket(bucketRecords).Bucket([]byte(it.shardID))
		if !ok || bucket == nil || expired(t.end, cutoff) {
			return fmt.Errorf("%s is gone (passed retention): %w", it.shardID, stream.ErrShardNotFound)
		}
		exhausted, err := it.scan(bucket, cutoff, max)
		if err != nil {
			return err
		}
		b.Records = it.copyOut()
		if n := len(b.Records); n > 0 {
			b.BehindTip = time.Duration(t.last - it.next + 1) // next = last returned + 1
		}
		if t.end != 0 && exhausted {
			m, err := getShardMeta(tx, it.shardID)
			if err != nil {
				return err
			}
			b.EndOfShard, b.ChildShards = true, slices.Clone(m.Children)
		}
		return nil
	})
	if err != nil {
		return stream.Batch{}, fmt.Errorf("local: next %s: %w", it.shardID, s.dbErr(err))
	}
	if s.throttle != nil {
		n := 0
		for _, r := range b.Records {
			n += len(r.Data) + len(r.PartitionKey)
		}
		s.throttle.chargeRead(it.shardID, n)
	}
	return b, nil
}

// scan collects up to max records from it.next (or the retention cutoff)
// into it.found and advances it.next. exhausted reports that the shard has
// no record after the last one found.
func (it *iterator) scan(bucket *bolt.Bucket, cutoff uint64, max int) (exhausted bool, err error) {
	it.found = it.found[:0]
	var seek [8]byte
	binary.BigEndian.PutUint64(seek[:], it.next)
	if it.next < cutoff {
		binary.BigEndian.PutUint64(seek[:], cutoff)
	}
	c := bucket.Cursor()
	size := 0
	k, v := c.Seek(seek[:])
	for ; k != nil && len(it.found) < max && size < maxReadBytesPerNext; k, v = c.Next() {
		pk, data, err := splitRecord(v)
		if err != nil || len(k) != 8 {
			return false, fmt.Errorf("record %x: %v", k, err)
		}
		it.found = append(it.found, found{binary.BigEndian.Uint64(k), pk, data})
		size += len(data)
	}
	if n := len(it.found); n > 0 {
		it.next = it.found[n-1].key + 1
	}
	return k == nil, nil
}

// copyOut copies the records found out of the memory map: one allocation
// for all data, one string for all partition keys and sequence numbers.
func (it *iterator) copyOut() []stream.Record {
	if len(it.found) == 0 {
		return nil
	}
	dataSize, strSize := 0, 0
	for _, f := range it.found {
		dataSize += len(f.data)
		strSize += len(f.pk) + 20 + seqIndexDigits
	}
	data := make([]byte, 0, dataSize)
	var str strings.Builder
	str.Grow(strSize)
	var seq [20 + seqIndexDigits]byte
	for _, f := range it.found {
		data = append(data, f.data...)
		str.Write(f.pk)
		str.Write(appendSequence(seq[:0], f.key, it.index))
	}
	all := str.String()
	recs := make([]stream.Record, len(it.found))
	for i, f := range it.found {
		seqLen := decimalLen(f.key) + seqIndexDigits
		recs[i] = stream.Record{
			Data:           data[:len(f.data):len(f.data)],
			PartitionKey:   all[:len(f.pk)],
			SequenceNumber: all[len(f.pk) : len(f.pk)+seqLen],
			ArrivalTime:    time.Unix(0, int64(f.key)),
		}
		data, all = data[len(f.data):], all[len(f.pk)+seqLen:]
	}
	clear(it.found) // drop references into the memory map
	it.found = it.found[:0]
	return recs
}

// timeKey is t as a record key, clamped to the range of Unix nanoseconds
// (UnixNano is undefined outside it, and the zero Time is far outside).
func timeKey(t time.Time) uint64 {
	switch sec := t.Unix(); {
	case sec < 0:
		return 0
	case sec >= math.MaxInt64/int64(time.Second):
		return math.MaxInt64
	}
	return uint64(t.UnixNano())
}
