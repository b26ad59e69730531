package stream

import "strings"

// CompareSequence compares two sequence numbers numerically, as Kinesis
// orders them: -1 if a < b, 0 if equal, +1 if a > b. Sequence numbers are
// unsigned decimal strings of up to 128 bits; leading zeros are ignored.
// The empty string sorts before every sequence number.
func CompareSequence(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return strings.Compare(a, b)
}
