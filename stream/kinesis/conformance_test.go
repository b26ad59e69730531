package kinesis_test

import (
	"testing"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/kinesis/kinesistest"
	"github.com/elbstream/elbstream/stream/streamtest"
)

// TestConformance runs the stream contract's suite against kinesalite.
func TestConformance(t *testing.T) {
	streamtest.Run(t, func(t *testing.T, shards int) stream.Stream {
		return kinesistest.NewStream(t, shards)
	})
}
