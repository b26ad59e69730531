package kpl

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecode: the decoder never panics, and whatever it accepts survives a
// round trip through the Aggregator unchanged. Each input is decoded as is
// and, so that the fuzzer reaches the protobuf parser without having to
// forge an MD5, also framed as an aggregate with a valid checksum.
func FuzzDecode(f *testing.F) {
	var a Aggregator
	a.Add(Record{PartitionKey: "k", Data: []byte("line one"), Source: "s3://b/k#e", Position: 0})
	a.Add(Record{PartitionKey: "k2", ExplicitHashKey: "1", Data: []byte("line two"), Source: "s3://b/k#e", Position: 9})
	agg := a.Flush().Data
	f.Add(agg)
	f.Add([]byte("a plain log line"))
	f.Add(Magic[:])
	f.Add(agg[:len(agg)-1])
	f.Add(withDigest([]byte{0x1a, 0x04, 0x08, 0x00, 0x1a, 0x00}))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, data)
		checkDecode(t, withDigest(data))
	})
}

func checkDecode(t *testing.T, data []byte) {
	var d Decoder
	var got []Record
	err := d.Decode(data, func(r Record) error {
		r.Data = bytes.Clone(r.Data)
		got = append(got, r)
		return nil
	})
	if err != nil {
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrChecksum) {
			t.Fatalf("unclassified error: %v", err)
		}
		if got != nil {
			t.Fatal("records delivered from a rejected aggregate")
		}
		return
	}
	if !bytes.HasPrefix(data, Magic[:]) {
		if len(got) != 1 || !bytes.Equal(got[0].Data, data) {
			t.Fatalf("pass-through gave %+v", got)
		}
		return
	}
	var re Aggregator
	re.MaxBytes = 1 << 30
	for _, r := range got {
		if r.Position < 0 {
			r.Position = -1 // negative positions mean unknown and are not written
		}
		if _, err := re.Add(r); err != nil {
			return // e.g. an empty partition key, which Add refuses
		}
	}
	if re.Len() == 0 {
		return
	}
	var again []Record
	if err := d.Decode(re.Flush().Data, func(r Record) error { again = append(again, r); return nil }); err != nil {
		t.Fatalf("re-encoded aggregate does not decode: %v", err)
	}
	for i := range got {
		want := got[i]
		if want.Position < 0 {
			want.Position = -1
		}
		if !equalRecords(again[i], want) {
			t.Fatalf("record %d: %+v after a round trip, was %+v", i, again[i], want)
		}
	}
}
