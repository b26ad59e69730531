package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/elbstream/elbstream/stream"
)

// parseStartAt parses the --start-at and --to forms: "checkpoint" (the zero
// Position: TrimHorizon, for shards with no checkpoint), "trim-horizon",
// "latest" or "timestamp:RFC3339".
func parseStartAt(s string) (stream.Position, error) {
	switch s {
	case "", "checkpoint", "trim-horizon":
		return stream.Position{Kind: stream.TrimHorizon}, nil
	case "latest":
		return stream.Position{Kind: stream.Latest}, nil
	}
	if ts, ok := strings.CutPrefix(s, "timestamp:"); ok {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return stream.Position{}, fmt.Errorf("%q: want timestamp:RFC3339, e.g. timestamp:2026-01-02T15:04:05Z", s)
		}
		return stream.Since(t), nil
	}
	return stream.Position{}, fmt.Errorf("%q: want checkpoint, trim-horizon, latest or timestamp:RFC3339", s)
}
