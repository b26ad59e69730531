package local_test

import (
	"testing"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/local"
	"github.com/elbstream/elbstream/stream/streamtest"
)

// The compile-time checks of the optional capabilities the suite uses.
var (
	_ streamtest.Resharder        = (*local.Stream)(nil)
	_ streamtest.PutFaultInjector = (*local.Stream)(nil)
)

func TestConformance(t *testing.T) {
	streamtest.Run(t, func(t *testing.T, shards int) stream.Stream {
		return openTemp(t, local.Options{Shards: shards})
	})
}

// openTemp opens a stream in a fresh directory and closes it at cleanup.
func openTemp(t testing.TB, opts local.Options) *local.Stream {
	t.Helper()
	s, err := local.Open(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}
