package kpl_test

import (
	"fmt"

	"github.com/elbstream/elbstream/stream/kpl"
)

func Example() {
	a := &kpl.Aggregator{MaxBytes: 1 << 20}
	lines := []string{"first line", "second line"}
	offset := int64(0)
	for _, line := range lines {
		r := kpl.Record{
			PartitionKey: "s3://logs/elb/a.log.gz",
			Data:         []byte(line),
			Source:       "s3://logs/elb/a.log.gz#9b2cf535f27731c974343645a3985328",
			Position:     offset,
		}
		offset += int64(len(line)) + 1
		if ok, err := a.Add(r); err != nil {
			panic(err) // ErrTooLarge: the line alone exceeds MaxBytes
		} else if !ok {
			_ = a.Flush() // put it, then add r again
			a.Add(r)
		}
	}
	entry := a.Flush() // one Kinesis record holding both lines

	err := kpl.Decode(entry.Data, func(r kpl.Record) error {
		fmt.Printf("%s @%d: %s\n", r.Source, r.Position, r.Data)
		return nil
	})
	if err != nil {
		panic(err)
	}
	// Output:
	// s3://logs/elb/a.log.gz#9b2cf535f27731c974343645a3985328 @0: first line
	// s3://logs/elb/a.log.gz#9b2cf535f27731c974343645a3985328 @11: second line
}
