package kpl

import (
	"crypto/md5"
	"fmt"
	"unicode/utf8"

	"github.com/elbstream/elbstream/stream"
	"google.golang.org/protobuf/encoding/protowire"
)

// Aggregator packs user records into one KPL aggregated record, up to a
// byte budget. The zero value is ready to use. An Aggregator is not safe for
// concurrent use.
//
// It tracks the exact encoded size as records are added — tables, varint
// lengths and the elbstream extension fields included — so a flushed record
// never exceeds MaxBytes and is never smaller than it needed to be.
type Aggregator struct {
	// MaxBytes bounds the aggregated record's data plus its partition key,
	// which is how Kinesis counts a record against its size limit.
	// Default: stream.DefaultMaxRecordBytes
	MaxBytes int

	pk, ehk, src keyTable
	records      []byte // encoded field-3 entries, tag and length included
	n            int    // user records held
	pbSize       int    // size of the protobuf message
	firstPK      string
	firstEHK     string
}

func (a *Aggregator) maxBytes() int {
	if a.MaxBytes > 0 {
		return a.MaxBytes
	}
	return stream.DefaultMaxRecordBytes
}

// Len returns the number of user records held.
func (a *Aggregator) Len() int { return a.n }

// Size returns the size the aggregated record would have if flushed now:
// its data plus its partition key. It is 0 when the aggregator is empty.
func (a *Aggregator) Size() int {
	if a.n == 0 {
		return 0
	}
	return overhead + a.pbSize + len(a.firstPK)
}

// Add copies r into the aggregate. It returns false (and adds nothing) when
// the aggregate is not empty and r would push it past MaxBytes: Flush, then
// Add again. It returns ErrTooLarge when r cannot fit even in an empty
// aggregate, and ErrPartitionKey when r's partition key is empty or longer
// than Kinesis allows.
//
// r.Data is copied; r's strings are retained until the next Flush or Reset.
func (a *Aggregator) Add(r Record) (bool, error) {
	if r.PartitionKey == "" || len(r.PartitionKey) > MaxPartitionKey && utf8.RuneCountInString(r.PartitionKey) > MaxPartitionKey {
		return false, fmt.Errorf("%w: %d bytes", ErrPartitionKey, len(r.PartitionKey))
	}

	// Work out the growth before touching anything, so that a rejected
	// record leaves the aggregate as it was.
	grow := 0
	pki, pkNew := a.pk.lookup(r.PartitionKey)
	if pkNew {
		grow += entrySize(aggPartitionKeyTable, r.PartitionKey)
	}
	recLen := tagLenSmall + protowire.SizeVarint(pki) +
		tagLenSmall + protowire.SizeBytes(len(r.Data))
	var ehki, srci uint64
	var ehkNew, srcNew bool
	if r.ExplicitHashKey != "" {
		ehki, ehkNew = a.ehk.lookup(r.ExplicitHashKey)
		if ehkNew {
			grow += entrySize(aggExplicitHashKeyTable, r.ExplicitHashKey)
		}
		recLen += tagLenSmall + protowire.SizeVarint(ehki)
	}
	if r.Source != "" {
		srci, srcNew = a.src.lookup(r.Source)
		if srcNew {
			grow += entrySize(aggSourceTable, r.Source)
		}
		recLen += tagLenExt + protowire.SizeVarint(srci)
	}
	if r.Position >= 0 {
		recLen += tagLenExt + protowire.SizeVarint(uint64(r.Position))
	}
	grow += tagLenSmall + protowire.SizeBytes(recLen)

	pkLen := len(a.firstPK)
	if a.n == 0 {
		pkLen = len(r.PartitionKey)
	}
	if size := overhead + a.pbSize + grow + pkLen; size > a.maxBytes() {
		if a.n > 0 {
			return false, nil
		}
		return false, fmt.Errorf("%w: %d bytes aggregated, limit %d", ErrTooLarge, size, a.maxBytes())
	}

	if pkNew {
		a.pk.insert(r.PartitionKey)
	}
	a.pk.touch(r.PartitionKey, pki)
	if ehkNew {
		a.ehk.insert(r.ExplicitHashKey)
	}
	if r.ExplicitHashKey != "" {
		a.ehk.touch(r.ExplicitHashKey, ehki)
	}
	if srcNew {
		a.src.insert(r.Source)
	}
	if r.Source != "" {
		a.src.touch(r.Source, srci)
	}
	if a.n == 0 {
		a.firstPK, a.firstEHK = r.PartitionKey, r.ExplicitHashKey
	}

	b := protowire.AppendTag(a.records, aggRecords, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(recLen))
	b = protowire.AppendTag(b, recPartitionKeyIndex, protowire.VarintType)
	b = protowire.AppendVarint(b, pki)
	if r.ExplicitHashKey != "" {
		b = protowire.AppendTag(b, recExplicitHashKeyIndex, protowire.VarintType)
		b = protowire.AppendVarint(b, ehki)
	}
	b = protowire.AppendTag(b, recData, protowire.BytesType)
	b = protowire.AppendBytes(b, r.Data)
	if r.Source != "" {
		b = protowire.AppendTag(b, recSourceIndex, protowire.VarintType)
		b = protowire.AppendVarint(b, srci)
	}
	if r.Position >= 0 {
		b = protowire.AppendTag(b, recPosition, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(r.Position))
	}
	a.records = b
	a.pbSize += grow
	a.n++
	return true, nil
}

// Flush returns the aggregate as a stream entry and resets the aggregator.
// The entry's Data is newly allocated and owned by the caller; its
// PartitionKey and ExplicitHashKey are the first user record's, so the
// aggregate goes to the shard its first record would have gone to. Flush of
// an empty aggregator returns the zero Entry.
func (a *Aggregator) Flush() stream.Entry {
	if a.n == 0 {
		return stream.Entry{}
	}
	return a.AppendFlush(make([]byte, 0, overhead+a.pbSize))
}

// AppendFlush is Flush appending the aggregated record to dst: the entry's
// Data is the extended dst (and aliases its array when it had room). A
// caller that puts the entry and then reuses the buffer flushes without
// allocating. AppendFlush of an empty aggregator returns an Entry with Data
// dst.
func (a *Aggregator) AppendFlush(dst []byte) stream.Entry {
	if a.n == 0 {
		return stream.Entry{Data: dst}
	}
	b := append(dst, Magic[:]...)
	start := len(b)
	b = a.pk.appendTo(b, aggPartitionKeyTable)
	b = a.ehk.appendTo(b, aggExplicitHashKeyTable)
	b = a.src.appendTo(b, aggSourceTable)
	b = append(b, a.records...)
	sum := md5.Sum(b[start:])
	b = append(b, sum[:]...)
	e := stream.Entry{Data: b, PartitionKey: a.firstPK, ExplicitHashKey: a.firstEHK}
	a.Reset()
	return e
}

// Reset discards the aggregate, keeping the buffers for reuse.
func (a *Aggregator) Reset() {
	a.pk.reset()
	a.ehk.reset()
	a.src.reset()
	a.records = a.records[:0]
	a.n, a.pbSize = 0, 0
	a.firstPK, a.firstEHK = "", ""
}
