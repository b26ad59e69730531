package kpl

import (
	"testing"
)

func line200() []byte {
	b := make([]byte, 200)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}

func TestAddAllocationFree(t *testing.T) {
	a := &Aggregator{}
	buf := make([]byte, 0, 1<<20)
	r := Record{PartitionKey: "s3://bucket/key", Data: line200(), Source: "s3://bucket/key#etag"}
	keys := []string{"a", "b", "c", "d"} // a few distinct keys exercise the tables
	add := func() {
		r.Position += 200
		r.PartitionKey = keys[r.Position/200%4]
		ok, err := a.Add(r)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			buf = a.AppendFlush(buf[:0]).Data
			a.Add(r)
		}
	}
	for range 20000 { // warm up: buffers and tables at their steady size
		add()
	}
	if n := testing.AllocsPerRun(20000, add); n != 0 {
		t.Fatalf("Add (with AppendFlush) allocates %v times per user record", n)
	}
}

func TestDecodeAllocationFree(t *testing.T) {
	a := &Aggregator{}
	r := Record{PartitionKey: "k", Data: line200(), Source: "s3://bucket/key#etag", Position: -1}
	for {
		r.Position++
		if ok, _ := a.Add(r); !ok {
			break
		}
	}
	n := a.Len()
	data := a.Flush().Data
	var d Decoder
	count := 0
	fn := func(Record) error { count++; return nil }
	d.Decode(data, fn) // warm up the tables
	if allocs := testing.AllocsPerRun(20, func() {
		if err := d.Decode(data, fn); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Fatalf("Decode of %d user records allocates %v times", n, allocs)
	}
	if raceEnabled {
		t.Log("package Decode's pool is not checked under -race (sync.Pool drops items on purpose)")
		return
	}
	if allocs := testing.AllocsPerRun(20, func() { Decode(data, fn) }); allocs != 0 {
		t.Fatalf("package Decode of %d user records allocates %v times", n, allocs)
	}
}
