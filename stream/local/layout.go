package local

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/elbstream/elbstream/stream"
	bolt "go.etcd.io/bbolt"
)

// The database file holds four top-level buckets:
//
//	meta     format version, shard count at creation, next shard index, retention
//	shards   shard id → shardMeta (JSON; changes only on split and merge)
//	tips     shard id → tip (16 bytes; changes on every put to the shard)
//	records  one nested bucket per shard id: record key → record value
//
// A record key is the record's arrival time in Unix nanoseconds, 8 bytes
// big-endian, made unique and increasing per shard (see nextKey), so keys
// sort in arrival order and a timestamp position is a cursor seek. A record
// value is uvarint(len(partition key)) | partition key | data.
var (
	bucketMeta    = []byte("meta")
	bucketShards  = []byte("shards")
	bucketTips    = []byte("tips")
	bucketRecords = []byte("records")

	metaFormat    = []byte("format")
	metaShards    = []byte("shards")
	metaNextIndex = []byte("next-index")
	metaRetention = []byte("retention") // a Go duration, as last set by an Open
)

// formatVersion is bumped when the layout changes incompatibly.
const formatVersion = "1"

// shardMeta is a shard's durable description.
type shardMeta struct {
	ID               string   `json:"id"`
	Index            uint64   `json:"index"`
	ParentID         string   `json:"parent,omitempty"`
	AdjacentParentID string   `json:"adjacentParent,omitempty"`
	HashKeyStart     string   `json:"hashKeyStart"`
	HashKeyEnd       string   `json:"hashKeyEnd"`
	StartKey         uint64   `json:"startKey"`         // every record key is above it
	EndKey           uint64   `json:"endKey,omitempty"` // set when closed: every record key is at or below it
	Children         []string `json:"children,omitempty"`
}

func (m *shardMeta) shard() stream.Shard {
	sh := stream.Shard{
		ID:               m.ID,
		ParentID:         m.ParentID,
		AdjacentParentID: m.AdjacentParentID,
		HashKeyStart:     m.HashKeyStart,
		HashKeyEnd:       m.HashKeyEnd,
		StartingSequence: formatSequence(m.StartKey, m.Index),
	}
	if m.EndKey != 0 {
		sh.EndingSequence = formatSequence(m.EndKey, m.Index)
	}
	return sh
}

func shardID(index uint64) string { return fmt.Sprintf("shardId-%012d", index) }

func getShardMeta(tx *bolt.Tx, id string) (*shardMeta, error) {
	v := tx.Bucket(bucketShards).Get([]byte(id))
	if v == nil {
		return nil, fmt.Errorf("%s: %w", id, stream.ErrShardNotFound)
	}
	m := new(shardMeta)
	if err := json.Unmarshal(v, m); err != nil {
		return nil, fmt.Errorf("shard %s: corrupt metadata: %w", id, err)
	}
	return m, nil
}

func putShardMeta(tx *bolt.Tx, m *shardMeta) error {
	v, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketShards).Put([]byte(m.ID), v)
}

// tip is what a reader needs to know of a shard on every Next, kept apart
// from shardMeta so that a put rewrites 16 bytes and a read decodes no JSON.
type tip struct {
	last uint64 // highest key given out (StartKey before the first record)
	end  uint64 // EndKey once the shard is closed, else 0
}

func getTip(tx *bolt.Tx, id string) (tip, bool) {
	v := tx.Bucket(bucketTips).Get([]byte(id))
	if len(v) != 16 {
		return tip{}, false
	}
	return tip{binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:])}, true
}

func putTip(tx *bolt.Tx, id string, t tip) error {
	var v [16]byte
	binary.BigEndian.PutUint64(v[:], t.last)
	binary.BigEndian.PutUint64(v[8:], t.end)
	return tx.Bucket(bucketTips).Put([]byte(id), v[:])
}

// Sequence numbers are the record key (arrival nanoseconds) followed by the
// shard index as 12 decimal digits: key*10^12 + index. So they are unique
// and increasing within a shard, compare numerically like Kinesis's with
// stream.CompareSequence, say which shard they belong to (a checkpoint
// applied to the wrong shard is refused, as Kinesis refuses it), and need
// no big integers.
const seqIndexDigits = 12

func formatSequence(key, index uint64) string {
	var b [20 + seqIndexDigits]byte
	return string(appendSequence(b[:0], key, index))
}

func appendSequence(b []byte, key, index uint64) []byte {
	b = strconv.AppendUint(b, key, 10)
	var digits [seqIndexDigits]byte
	for i := seqIndexDigits - 1; i >= 0; i-- {
		digits[i] = byte('0' + index%10)
		index /= 10
	}
	return append(b, digits[:]...)
}

// parseSequence splits a sequence number into its record key and shard
// index.
func parseSequence(seq string) (key, index uint64, err error) {
	if len(seq) <= seqIndexDigits {
		return 0, 0, fmt.Errorf("sequence number %q is too short", seq)
	}
	cut := len(seq) - seqIndexDigits
	key, err1 := strconv.ParseUint(seq[:cut], 10, 64)
	index, err2 := strconv.ParseUint(seq[cut:], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("sequence number %q is not one of this stream's", seq)
	}
	return key, index, nil
}

func recordKey(b []byte, key uint64) []byte { return binary.BigEndian.AppendUint64(b, key) }

// appendRecord appends a record value.
func appendRecord(b []byte, e *stream.Entry) []byte {
	b = binary.AppendUvarint(b, uint64(len(e.PartitionKey)))
	b = append(b, e.PartitionKey...)
	return append(b, e.Data...)
}

// recordSize is len(appendRecord(nil, e)).
func recordSize(e *stream.Entry) int {
	n := len(e.PartitionKey)
	return uvarintLen(uint64(n)) + n + len(e.Data)
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// splitRecord splits a record value into partition key and data, aliasing v.
func splitRecord(v []byte) (key, data []byte, err error) {
	n, w := binary.Uvarint(v)
	if w <= 0 || uint64(len(v)-w) < n {
		return nil, nil, fmt.Errorf("corrupt record value (%d bytes)", len(v))
	}
	return v[w : w+int(n)], v[w+int(n):], nil
}
