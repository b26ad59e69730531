package kpl

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/elbstream/elbstream/stream"
)

// decodeAll collects the user records of data, copying Data.
func decodeAll(t testing.TB, data []byte) []Record {
	t.Helper()
	var out []Record
	err := Decode(data, func(r Record) error {
		r.Data = bytes.Clone(r.Data)
		out = append(out, r)
		return nil
	})
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return out
}

// aggregate packs recs into as many entries as MaxBytes requires.
func aggregate(t testing.TB, a *Aggregator, recs []Record) []stream.Entry {
	t.Helper()
	var out []stream.Entry
	for i, r := range recs {
		ok, err := a.Add(r)
		if err != nil {
			t.Fatalf("add %d: %v", i, err)
		}
		if !ok {
			out = append(out, a.Flush())
			if ok, err = a.Add(r); !ok || err != nil {
				t.Fatalf("add %d to an empty aggregator: %v %v", i, ok, err)
			}
		}
	}
	if a.Len() > 0 {
		out = append(out, a.Flush())
	}
	return out
}

func randomRecords(rng *rand.Rand, n int) []Record {
	keys := []string{"k", "s3://logs/AWSLogs/1/elb/a.log.gz", strings.Repeat("p", 200), "ключ"}
	hashes := []string{"", "", "0", "340282366920938463463374607431768211455"}
	sources := []string{"", "s3://b/k1#e1", "s3://b/k2#e2", strings.Repeat("s", 300)}
	out := make([]Record, n)
	for i := range out {
		data := make([]byte, rng.IntN(300))
		for j := range data {
			data[j] = byte(rng.IntN(256))
		}
		pos := int64(-1)
		switch rng.IntN(4) {
		case 0:
			pos = 0
		case 1:
			pos = rng.Int64N(1 << 40)
		case 2:
			pos = rng.Int64() // up to 9 varint bytes
		}
		out[i] = Record{
			PartitionKey:    keys[rng.IntN(len(keys))],
			ExplicitHashKey: hashes[rng.IntN(len(hashes))],
			Data:            data,
			Source:          sources[rng.IntN(len(sources))],
			Position:        pos,
		}
	}
	return out
}

func equalRecords(a, b Record) bool {
	return a.PartitionKey == b.PartitionKey && a.ExplicitHashKey == b.ExplicitHashKey &&
		bytes.Equal(a.Data, b.Data) && a.Source == b.Source && a.Position == b.Position
}

func TestRoundTrip(t *testing.T) {
	for _, max := range []int{0, 4096, 1200} {
		t.Run(fmt.Sprint("max=", max), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(max)))
			in := randomRecords(rng, 500)
			a := &Aggregator{MaxBytes: max}
			entries := aggregate(t, a, in)
			var got []Record
			for _, e := range entries {
				limit := max
				if limit == 0 {
					limit = stream.DefaultMaxRecordBytes
				}
				if e.Size() > limit {
					t.Fatalf("entry of %d bytes exceeds %d", e.Size(), limit)
				}
				recs := decodeAll(t, e.Data)
				if recs[0].PartitionKey != e.PartitionKey || recs[0].ExplicitHashKey != e.ExplicitHashKey {
					t.Fatalf("entry routed by %q/%q, first record has %q/%q",
						e.PartitionKey, e.ExplicitHashKey, recs[0].PartitionKey, recs[0].ExplicitHashKey)
				}
				got = append(got, recs...)
			}
			if len(got) != len(in) {
				t.Fatalf("decoded %d records, want %d", len(got), len(in))
			}
			for i := range in {
				if !equalRecords(got[i], in[i]) {
					t.Fatalf("record %d:\n got %+v\nwant %+v", i, got[i], in[i])
				}
			}
		})
	}
}

func TestAddCopiesData(t *testing.T) {
	var a Aggregator
	buf := []byte("first")
	if _, err := a.Add(Record{PartitionKey: "k", Data: buf, Position: -1}); err != nil {
		t.Fatal(err)
	}
	copy(buf, "XXXXX")
	got := decodeAll(t, a.Flush().Data)
	if string(got[0].Data) != "first" {
		t.Fatalf("aggregate changed with the caller's buffer: %q", got[0].Data)
	}
}

func TestPassThrough(t *testing.T) {
	for _, data := range [][]byte{
		[]byte("2024-01-01T00:00:00Z my-elb 1.2.3.4:5 - -1 -1 -1 504 0 0 0 \"GET http://x/ HTTP/1.1\" \"-\" - -"),
		{},
		{0xF3, 0x89, 0x9A}, // a prefix of the magic is not the magic
	} {
		var got []Record
		err := Decode(data, func(r Record) error { got = append(got, r); return nil })
		if err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		if len(got) != 1 || !bytes.Equal(got[0].Data, data) || got[0].Position != -1 ||
			got[0].PartitionKey != "" || got[0].Source != "" {
			t.Fatalf("%q: got %+v, want it back as one record", data, got)
		}
		if len(data) > 0 && &got[0].Data[0] != &data[0] {
			t.Fatalf("passed-through data was copied, want it aliased")
		}
	}
}

func TestChecksum(t *testing.T) {
	var a Aggregator
	a.Add(Record{PartitionKey: "k", Data: []byte("line"), Position: 3})
	e := a.Flush()
	for _, i := range []int{magicLen, len(e.Data) / 2, len(e.Data) - 1} {
		bad := bytes.Clone(e.Data)
		bad[i] ^= 0x01
		err := Decode(bad, func(Record) error { t.Fatal("fn called on a corrupt record"); return nil })
		if !errors.Is(err, ErrChecksum) {
			t.Errorf("byte %d flipped: err = %v, want ErrChecksum", i, err)
		}
	}
}

// withDigest frames a protobuf message as an aggregated record.
func withDigest(msg []byte) []byte {
	sum := md5.Sum(msg)
	return append(append(Magic[:len(Magic):len(Magic)], msg...), sum[:]...)
}

func TestMalformed(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"magic only", Magic[:]},
		{"short", append(Magic[:len(Magic):len(Magic)], 1, 2, 3)},
		{"truncated tag", withDigest([]byte{0x80})},
		{"truncated length", withDigest([]byte{0x0a, 0x05, 'a'})},
		{"table as varint", withDigest([]byte{0x08, 0x01})},
		{"record pk index out of range", withDigest([]byte{0x1a, 0x04, 0x08, 0x00, 0x1a, 0x00})},
		{"record without pk index", withDigest([]byte{0x0a, 0x01, 'k', 0x1a, 0x02, 0x1a, 0x00})},
		{"record data as varint", withDigest([]byte{0x0a, 0x01, 'k', 0x1a, 0x04, 0x08, 0x00, 0x18, 0x00})},
		{"record ehk out of range", withDigest([]byte{0x0a, 0x01, 'k', 0x1a, 0x06, 0x08, 0x00, 0x10, 0x00, 0x1a, 0x00})},
		{"record truncated varint", withDigest([]byte{0x0a, 0x01, 'k', 0x1a, 0x02, 0x08, 0x80})},
		{"bad group", withDigest([]byte{0x0b})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			called := false
			err := Decode(tc.data, func(Record) error { called = true; return nil })
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			if called {
				t.Fatal("fn called for a malformed aggregate")
			}
			if !strings.Contains(err.Error(), "offset") {
				t.Errorf("error %q does not say where", err)
			}
		})
	}
}

// Other producers may order fields differently and add fields of their own
// (tags, future KPL fields); the decoder must not care.
func TestForeignFieldOrderAndUnknownFields(t *testing.T) {
	rec := []byte{
		0x22, 0x05, 0x0a, 0x01, 't', 0x12, 0x00, // tag {key "t", value ""}
		0x1a, 0x02, 'h', 'i', // data
		0x08, 0x01, // partition_key_index 1
		0x28, 0x07, // unknown varint field 5
	}
	msg := append([]byte{0x1a, byte(len(rec))}, rec...)
	msg = append(msg, 0x0a, 0x01, 'a', 0x0a, 0x01, 'b') // tables after the records
	msg = append(msg, 0x3a, 0x01, 'x')                  // unknown bytes field 7
	got := decodeAll(t, withDigest(msg))
	want := Record{PartitionKey: "b", Data: []byte("hi"), Position: -1}
	if len(got) != 1 || !equalRecords(got[0], want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestDecodeStopsOnCallbackError(t *testing.T) {
	var a Aggregator
	for i := range 5 {
		a.Add(Record{PartitionKey: "k", Data: []byte{byte(i)}, Position: -1})
	}
	stop := errors.New("stop")
	calls := 0
	err := Decode(a.Flush().Data, func(Record) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	if err != stop || calls != 2 {
		t.Fatalf("err %v after %d calls, want stop after 2", err, calls)
	}
}

func TestPartitionKeyValidation(t *testing.T) {
	var a Aggregator
	for _, pk := range []string{"", strings.Repeat("k", 257)} {
		if ok, err := a.Add(Record{PartitionKey: pk}); ok || !errors.Is(err, ErrPartitionKey) {
			t.Errorf("partition key of %d bytes: %v %v, want ErrPartitionKey", len(pk), ok, err)
		}
	}
	// 256 characters of 2 bytes each is a valid Kinesis partition key.
	if ok, err := a.Add(Record{PartitionKey: strings.Repeat("é", 256)}); !ok || err != nil {
		t.Errorf("256 two-byte characters: %v %v", ok, err)
	}
}

func TestDecoderReusesTablesAcrossCalls(t *testing.T) {
	var a Aggregator
	var d Decoder
	var keys []string
	for _, pks := range [][]string{{"a", "b", "c"}, {"a", "x"}, {"z", "b", "c", "d"}} {
		for _, pk := range pks {
			a.Add(Record{PartitionKey: pk, Data: []byte(pk), Position: -1})
		}
		keys = keys[:0]
		err := d.Decode(a.Flush().Data, func(r Record) error {
			keys = append(keys, r.PartitionKey)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(keys, pks) {
			t.Fatalf("keys %q, want %q", keys, pks)
		}
	}
}

func TestFlushEmpty(t *testing.T) {
	var a Aggregator
	if e := a.Flush(); e.Data != nil || e.PartitionKey != "" {
		t.Fatalf("Flush of an empty aggregator = %+v", e)
	}
	if a.Size() != 0 || a.Len() != 0 {
		t.Fatalf("empty aggregator: Size %d Len %d", a.Size(), a.Len())
	}
}

// A Decoder lives as long as its worker; after Decode returns it must hold
// no slice of the caller's record, which may be up to 1 MiB, whether the
// aggregate was delivered whole, stopped by fn, or malformed after some
// records had parsed.
func TestDecoderKeepsNoDataAfterDecode(t *testing.T) {
	var a Aggregator
	for i := range 5 {
		a.Add(Record{PartitionKey: "k", Data: []byte{byte(i)}, Position: -1})
	}
	agg := a.Flush().Data
	// Two good records, then one whose partition key index is out of range.
	bad := withDigest([]byte{0x0a, 0x01, 'k',
		0x1a, 0x05, 0x08, 0x00, 0x1a, 0x01, 'a',
		0x1a, 0x05, 0x08, 0x00, 0x1a, 0x01, 'b',
		0x1a, 0x05, 0x08, 0x07, 0x1a, 0x01, 'c'})
	stop := errors.New("stop")
	for _, tc := range []struct {
		name string
		data []byte
		fn   func(Record) error
		want error
	}{
		{"delivered", agg, func(Record) error { return nil }, nil},
		{"stopped by fn", agg, func(Record) error { return stop }, stop},
		{"malformed", bad, func(Record) error { return nil }, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d Decoder
			if err := d.Decode(tc.data, tc.fn); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if cap(d.recs) == 0 {
				t.Fatal("no records were parsed: the test proves nothing")
			}
			for i, r := range d.recs[:cap(d.recs)] {
				if r.data != nil {
					t.Fatalf("record %d still holds %d bytes of the caller's data", i, len(r.data))
				}
			}
		})
	}
}
