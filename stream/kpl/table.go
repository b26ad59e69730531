package kpl

import "google.golang.org/protobuf/encoding/protowire"

// keyTable is one deduplicated string table of an aggregate under
// construction (partition keys, explicit hash keys or sources). Its map and
// slice are cleared, not dropped, on reset, so a warmed-up table adds
// entries without allocating.
type keyTable struct {
	index   map[string]uint64
	entries []string
	// last is the most recently looked-up entry: consecutive user records
	// usually share their partition key and source, and a string compare
	// is cheaper than a map lookup.
	last    string
	lastIdx uint64
	hasLast bool
}

// lookup returns s's index in the table, or the index it would get and
// true when s is not in the table yet. It does not modify the table.
func (t *keyTable) lookup(s string) (idx uint64, isNew bool) {
	if t.hasLast && s == t.last {
		return t.lastIdx, false
	}
	if i, ok := t.index[s]; ok {
		return i, false
	}
	return uint64(len(t.entries)), true
}

// insert adds s, which lookup reported as new.
func (t *keyTable) insert(s string) {
	if t.index == nil {
		t.index = make(map[string]uint64)
	}
	t.index[s] = uint64(len(t.entries))
	t.entries = append(t.entries, s)
}

// touch remembers s as the last entry used.
func (t *keyTable) touch(s string, idx uint64) {
	t.last, t.lastIdx, t.hasLast = s, idx, true
}

func (t *keyTable) reset() {
	clear(t.index)
	clear(t.entries) // release the strings for the collector
	t.entries = t.entries[:0]
	t.last, t.lastIdx, t.hasLast = "", 0, false
}

// appendTo appends the table as repeated string field num.
func (t *keyTable) appendTo(b []byte, num protowire.Number) []byte {
	for _, s := range t.entries {
		b = protowire.AppendTag(b, num, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	return b
}

// entrySize is the encoded size of one table entry s in field num.
func entrySize(num protowire.Number, s string) int {
	return protowire.SizeTag(num) + protowire.SizeBytes(len(s))
}
