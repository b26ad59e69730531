package main

import (
	"testing"

	"github.com/elbstream/elbstream/stream"
)

func TestParseStartAt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		kind stream.PositionKind
		bad  bool
	}{
		{"checkpoint", stream.TrimHorizon, false},
		{"trim-horizon", stream.TrimHorizon, false},
		{"latest", stream.Latest, false},
		{"timestamp:2026-01-02T15:04:05Z", stream.AtTimestamp, false},
		{"timestamp:2026-01-02T15:04:05.123+02:00", stream.AtTimestamp, false},
		{"timestamp:yesterday", 0, true},
		{"LATEST", 0, true},
	} {
		p, err := parseStartAt(tc.in)
		if (err != nil) != tc.bad || (!tc.bad && p.Kind != tc.kind) {
			t.Errorf("%q: %+v %v", tc.in, p, err)
		}
	}
}
