package local

import (
	"fmt"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/checkpoint"
)

// rank orders checkpoint values: the start sentinels before any sequence
// number, SHARD_END after. It returns an error for anything that is
// neither a sentinel nor a decimal sequence number.
func rank(seq string) (int, error) {
	switch seq {
	case checkpoint.TrimHorizon, checkpoint.Latest:
		return 0, nil
	case checkpoint.ShardEnd:
		return 2, nil
	}
	if seq == "" {
		return 0, fmt.Errorf("checkpoint/local: empty sequence number")
	}
	for i := 0; i < len(seq); i++ {
		if seq[i] < '0' || seq[i] > '9' {
			return 0, fmt.Errorf("checkpoint/local: invalid sequence number %q", seq)
		}
	}
	return 1, nil
}

// compare orders two valid checkpoint values (see rank); sequence numbers
// compare numerically. The two start sentinels compare equal: moving from
// one to the other is neither forward nor back.
func compare(a, b string) int {
	ra, _ := rank(a)
	rb, _ := rank(b)
	switch {
	case ra != rb:
		return ra - rb
	case ra == 1:
		return stream.CompareSequence(a, b)
	}
	return 0
}
