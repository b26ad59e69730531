package kpl

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func flushSize(a *Aggregator) int {
	e := a.Flush()
	return e.Size()
}

// The expected sizes are computed by hand from the wire format, so that
// they check Size rather than agree with it. A record with partition key
// "k" and n bytes of data costs: 4 magic + 16 MD5 + 1 partition key, plus
// the protobuf message: the table entry (tag 1, length 1, "k") and the
// record field (tag, varint length, then pk index tag+value 2 bytes and the
// data field tag, varint length and n bytes).
func TestSizeAloneAtVarintBoundaries(t *testing.T) {
	for _, tc := range []struct {
		dataLen int
		src     string
		pos     int64
		want    int
	}{
		{0, "", -1, 30},
		{120, "", -1, 150},
		{123, "", -1, 153}, // record message 127 bytes: 1-byte length
		{124, "", -1, 155}, // record message 128 bytes: 2-byte length
		{127, "", -1, 158}, // data length 127: 1-byte length
		{128, "", -1, 160}, // data length 128: 2-byte length
		{0, "s", 0, 40},    // source entry 4, source index 3, position 3
		{0, "s", 127, 40},
		{0, "s", 128, 41}, // position takes 2 varint bytes
	} {
		t.Run(fmt.Sprintf("data=%d/src=%q/pos=%d", tc.dataLen, tc.src, tc.pos), func(t *testing.T) {
			r := Record{PartitionKey: "k", Data: make([]byte, tc.dataLen), Source: tc.src, Position: tc.pos}
			a := &Aggregator{MaxBytes: tc.want}
			if ok, err := a.Add(r); !ok || err != nil {
				t.Fatalf("record of exactly MaxBytes: %v %v", ok, err)
			}
			if a.Size() != tc.want {
				t.Fatalf("Size() = %d, want %d", a.Size(), tc.want)
			}
			if got := flushSize(a); got != tc.want {
				t.Fatalf("flushed %d bytes, want %d", got, tc.want)
			}
			a = &Aggregator{MaxBytes: tc.want - 1}
			if ok, err := a.Add(r); ok || !errors.Is(err, ErrTooLarge) {
				t.Fatalf("one byte over MaxBytes: %v %v, want ErrTooLarge", ok, err)
			}
			if a.Len() != 0 || a.Size() != 0 {
				t.Fatalf("rejected record left Len %d Size %d", a.Len(), a.Size())
			}
		})
	}
}

func TestSizeSecondRecordAtBoundary(t *testing.T) {
	r := Record{PartitionKey: "k", Source: "s", Position: 0}
	// 40 for the first (see above); the second shares the tables and adds
	// only its record field: 2 + 10.
	for _, tc := range []struct {
		max  int
		both bool
	}{{52, true}, {51, false}} {
		a := &Aggregator{MaxBytes: tc.max}
		if ok, err := a.Add(r); !ok || err != nil {
			t.Fatalf("first: %v %v", ok, err)
		}
		ok, err := a.Add(r)
		if err != nil || ok != tc.both {
			t.Fatalf("MaxBytes %d: second Add = %v %v, want %v", tc.max, ok, err, tc.both)
		}
		want := 40
		if tc.both {
			want = 52
		}
		if a.Len() != map[bool]int{true: 2, false: 1}[tc.both] || a.Size() != want {
			t.Fatalf("MaxBytes %d: Len %d Size %d", tc.max, a.Len(), a.Size())
		}
		if got := flushSize(a); got != want {
			t.Fatalf("flushed %d, want %d", got, want)
		}
	}
}

// A record that fits only alone fills an aggregate by itself: the next
// record is refused until Flush, and then goes into a fresh one.
func TestSizeRecordThatFitsOnlyAlone(t *testing.T) {
	big := Record{PartitionKey: "k", Data: make([]byte, 128), Position: -1}
	small := Record{PartitionKey: "k", Data: []byte("x"), Position: -1}
	a := &Aggregator{MaxBytes: 160}
	if ok, err := a.Add(small); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, err := a.Add(big); ok || err != nil {
		t.Fatalf("big after small: %v %v, want refused", ok, err)
	}
	if got := flushSize(a); got != 30+1 {
		t.Fatalf("small alone flushed %d", got)
	}
	if ok, err := a.Add(big); !ok || err != nil {
		t.Fatalf("big alone: %v %v", ok, err)
	}
	if ok, err := a.Add(small); ok || err != nil {
		t.Fatalf("small after big: %v %v, want refused", ok, err)
	}
	if got := flushSize(a); got != 160 {
		t.Fatalf("big alone flushed %d, want 160", got)
	}
}

// A new partition key costs a table entry; a repeated one does not. The
// 128th distinct key's index takes two varint bytes.
func TestSizeTablesAndIndexVarints(t *testing.T) {
	a := &Aggregator{MaxBytes: 1 << 20}
	prev := 0
	for i := range 130 {
		pk := fmt.Sprintf("%03d", i)
		a.Add(Record{PartitionKey: pk, Position: -1})
		grow := a.Size() - prev
		if i == 0 {
			grow -= 20 + len(pk) // the framing and the entry's partition key
		}
		// table entry: tag, length, 3 bytes; record field: tag, length,
		// index tag + index, data tag + length 0.
		want := 5 + 2 + 1 + 1 + 2
		if i >= 128 {
			want++
		}
		if grow != want {
			t.Fatalf("key %d grew the aggregate by %d, want %d", i, grow, want)
		}
		prev = a.Size()
	}
	before := a.Size()
	a.Add(Record{PartitionKey: "000", Position: -1})
	if grow := a.Size() - before; grow != 6 {
		t.Fatalf("repeated key grew the aggregate by %d, want 6", grow)
	}
	if got, want := flushSize(a), before+6; got != want {
		t.Fatalf("flushed %d, Size said %d", got, want)
	}
}

// Property: for random records and budgets, an aggregate is refused a
// record exactly when taking it would exceed MaxBytes, and Size always
// equals what Flush produces.
func TestSizeBudgetExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for round := range 200 {
		max := 40 + rng.IntN(3000)
		recs := randomRecords(rng, 60)
		for i := range recs {
			if rng.IntN(3) == 0 {
				recs[i].PartitionKey = strings.Repeat("q", 1+rng.IntN(20))
			}
		}
		a := &Aggregator{MaxBytes: max}
		var held []Record
		for _, r := range recs {
			ok, err := a.Add(r)
			if errors.Is(err, ErrTooLarge) {
				if len(held) > 0 {
					t.Fatalf("round %d: ErrTooLarge on a non-empty aggregate", round)
				}
				if alone := unlimitedSize(t, []Record{r}); alone <= max {
					t.Fatalf("round %d: ErrTooLarge for a record of %d bytes, max %d", round, alone, max)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				held = append(held, r)
				if a.Size() > max {
					t.Fatalf("round %d: Size %d > MaxBytes %d", round, a.Size(), max)
				}
				continue
			}
			// Refused: with r the aggregate would really be too large.
			if with := unlimitedSize(t, append(held, r)); with <= max {
				t.Fatalf("round %d: refused a record although the aggregate would be %d <= %d", round, with, max)
			}
			size := a.Size()
			if got := flushSize(a); got != size || size > max {
				t.Fatalf("round %d: flushed %d, Size said %d, max %d", round, got, size, max)
			}
			held = held[:0]
			if ok, err := a.Add(r); ok {
				held = append(held, r)
			} else if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("round %d: empty aggregator refused: %v %v", round, ok, err)
			}
		}
	}
}

// unlimitedSize is the size of one aggregate holding recs.
func unlimitedSize(t *testing.T, recs []Record) int {
	t.Helper()
	a := &Aggregator{MaxBytes: 1 << 30}
	for _, r := range recs {
		if ok, err := a.Add(r); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	size := a.Size()
	if got := flushSize(a); got != size {
		t.Fatalf("flushed %d, Size said %d", got, size)
	}
	return size
}
