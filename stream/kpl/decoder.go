package kpl

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"sync"

	"google.golang.org/protobuf/encoding/protowire"
)

// Decoder deaggregates KPL records. It keeps its tables between calls, so
// decoding a stream of aggregates allocates nothing per user record, and
// nothing at all while table entries repeat from one aggregate to the next.
// The zero value is ready to use; a Decoder is not safe for concurrent use.
type Decoder struct {
	// Tables of the current aggregate. Entries are reused across calls when
	// the bytes are equal, so a source or partition key that recurs is not
	// converted to a string again.
	pk, ehk, src stringTable
	recs         []rawRecord
}

// rawRecord is one parsed Record message whose indices are not yet checked.
type rawRecord struct {
	data               []byte
	pk, ehk, src       uint64
	hasEHK, hasSrc     bool
	position           int64
	hasPK, hasPosition bool
	off                int // of the message in the aggregated record, for errors
}

type stringTable struct {
	s []string
	n int
}

func (t *stringTable) reset() { t.n = 0 }

func (t *stringTable) add(b []byte) {
	if t.n < len(t.s) {
		if t.s[t.n] != string(b) {
			t.s[t.n] = string(b)
		}
	} else {
		t.s = append(t.s, string(b))
	}
	t.n++
}

// Decode calls fn for each user record in data, in order. Data without the
// KPL magic number passes through as one Record{Data: data, Position: -1}
// (with an empty partition key: the caller has the Kinesis record's own).
//
// Record.Data aliases data; the strings are the Decoder's and stay valid.
// The MD5 trailer is verified (ErrChecksum); a malformed message gives
// ErrMalformed, wrapped with the offset of the problem in data. The whole
// message is checked before fn is called for its first record, so a
// malformed aggregate delivers nothing. fn's error stops decoding and is
// returned as is.
func (d *Decoder) Decode(data []byte, fn func(Record) error) error {
	if !bytes.HasPrefix(data, Magic[:]) {
		return fn(Record{Data: data, Position: -1})
	}
	if len(data) < overhead {
		return malformed(len(data), "%d bytes is shorter than magic and checksum", len(data))
	}
	msg := data[magicLen : len(data)-digestLen]
	if sum := md5.Sum(msg); !bytes.Equal(sum[:], data[len(data)-digestLen:]) {
		return ErrChecksum
	}
	// The records alias data: drop them when done, so that a Decoder kept
	// between calls (one per worker) does not pin the caller's last record,
	// up to 1 MiB, until its next Decode.
	defer d.forget()
	if err := d.parse(msg); err != nil {
		return err
	}
	for i := range d.recs {
		r := &d.recs[i]
		// parse checked every index.
		out := Record{Data: r.data, PartitionKey: d.pk.s[r.pk], Position: -1}
		if r.hasEHK {
			out.ExplicitHashKey = d.ehk.s[r.ehk]
		}
		if r.hasSrc {
			out.Source = d.src.s[r.src]
		}
		if r.hasPosition {
			out.Position = r.position
		}
		if err := fn(out); err != nil {
			return err
		}
	}
	return nil
}

// forget drops the references into the last caller's data.
func (d *Decoder) forget() {
	clear(d.recs)
	d.recs = d.recs[:0]
}

// parse reads the AggregatedRecord message into d's tables and records and
// checks every index, so that Decode can deliver all records or none.
func (d *Decoder) parse(msg []byte) error {
	d.pk.reset()
	d.ehk.reset()
	d.src.reset()
	off := magicLen // offsets in errors are relative to the whole record
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return malformed(off, "tag: %v", protowire.ParseError(n))
		}
		field := msg[n:]
		fieldOff := off + n
		switch {
		case num == aggPartitionKeyTable || num == aggExplicitHashKeyTable ||
			num == aggSourceTable || num == aggRecords:
			if typ != protowire.BytesType {
				return malformed(off, "field %d: wire type %d, want bytes", num, typ)
			}
			v, m := protowire.ConsumeBytes(field)
			if m < 0 {
				return malformed(fieldOff, "field %d: %v", num, protowire.ParseError(m))
			}
			switch num {
			case aggPartitionKeyTable:
				d.pk.add(v)
			case aggExplicitHashKeyTable:
				d.ehk.add(v)
			case aggSourceTable:
				d.src.add(v)
			case aggRecords:
				r, err := parseRecord(v, fieldOff+m-len(v))
				if err != nil {
					return err
				}
				d.recs = append(d.recs, r)
			}
			n += m
		default:
			m := protowire.ConsumeFieldValue(num, typ, field)
			if m < 0 {
				return malformed(fieldOff, "field %d: %v", num, protowire.ParseError(m))
			}
			n += m
		}
		msg = msg[n:]
		off += n
	}
	for i := range d.recs {
		r := &d.recs[i]
		switch {
		case !r.hasPK:
			return malformed(r.off, "record %d: no partition key index", i)
		case r.pk >= uint64(d.pk.n):
			return malformed(r.off, "record %d: partition key index %d, table has %d", i, r.pk, d.pk.n)
		case r.hasEHK && r.ehk >= uint64(d.ehk.n):
			return malformed(r.off, "record %d: explicit hash key index %d, table has %d", i, r.ehk, d.ehk.n)
		case r.hasSrc && r.src >= uint64(d.src.n):
			return malformed(r.off, "record %d: source index %d, table has %d", i, r.src, d.src.n)
		}
	}
	return nil
}

// parseRecord parses one Record message; off is its offset in the whole
// aggregated record.
func parseRecord(msg []byte, off int) (rawRecord, error) {
	r := rawRecord{off: off}
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return r, malformed(off, "record tag: %v", protowire.ParseError(n))
		}
		field := msg[n:]
		fieldOff := off + n
		want := protowire.VarintType
		switch num {
		case recData, recTags:
			want = protowire.BytesType
		case recPartitionKeyIndex, recExplicitHashKeyIndex, recSourceIndex, recPosition:
		default:
			m := protowire.ConsumeFieldValue(num, typ, field)
			if m < 0 {
				return r, malformed(fieldOff, "record field %d: %v", num, protowire.ParseError(m))
			}
			msg, off = msg[n+m:], off+n+m
			continue
		}
		if typ != want {
			return r, malformed(off, "record field %d: wire type %d, want %d", num, typ, want)
		}
		var m int
		if want == protowire.BytesType {
			var v []byte
			v, m = protowire.ConsumeBytes(field)
			if m >= 0 && num == recData {
				r.data = v
			}
		} else {
			var v uint64
			v, m = protowire.ConsumeVarint(field)
			switch num {
			case recPartitionKeyIndex:
				r.pk, r.hasPK = v, true
			case recExplicitHashKeyIndex:
				r.ehk, r.hasEHK = v, true
			case recSourceIndex:
				r.src, r.hasSrc = v, true
			case recPosition:
				r.position, r.hasPosition = int64(v), true
			}
		}
		if m < 0 {
			return r, malformed(fieldOff, "record field %d: %v", num, protowire.ParseError(m))
		}
		msg, off = msg[n+m:], off+n+m
	}
	return r, nil
}

func malformed(off int, format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", ErrMalformed, off, fmt.Sprintf(format, args...))
}

var decoders = sync.Pool{New: func() any { return new(Decoder) }}

// Decode decodes data with a pooled Decoder; see Decoder.Decode.
func Decode(data []byte, fn func(Record) error) error {
	d := decoders.Get().(*Decoder)
	err := d.Decode(data, fn)
	clear(d.recs)
	d.recs = d.recs[:0]
	decoders.Put(d)
	return err
}
