package consumer

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream"
)

// listingStream answers its first listings with err, then lists as the
// stream it wraps does.
type listingStream struct {
	stream.Stream
	err      error
	failures int // how many listings fail; < 0: all
	calls    atomic.Int32
}

func (s *listingStream) Shards(ctx context.Context) ([]stream.Shard, error) {
	if n := int(s.calls.Add(1)); s.failures < 0 || n <= s.failures {
		return nil, s.err
	}
	return s.Stream.Shards(ctx)
}

// TestStreamRefusingListingFailsRun: a listing the stream refuses for good
// (here as Kinesis words an IAM denial, which it does not classify as
// retryable) fails Run at once, as the shard reader does with such an
// answer, instead of being retried with a warning for as long as the
// process lives.
func TestStreamRefusingListingFailsRun(t *testing.T) {
	e := newEnv(t, 1)
	e.put(t, 5, spread)
	denied := errors.New("kinesis: list shards logs: operation error Kinesis: ListShards, https response error StatusCode: 400, AccessDeniedException: not authorized")
	ls := &listingStream{Stream: e.stream, err: denied, failures: -1}
	cfg := e.config("c")
	cfg.Stream = ls
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := Run(ctx, cfg, newRecorder().process)
	if !errors.Is(err, denied) || ctx.Err() != nil {
		t.Fatalf("Run = %v (ctx %v), want the listing's error before the context ends", err, ctx.Err())
	}
	if n := ls.calls.Load(); n != 1 {
		t.Errorf("the stream was listed %d times, want 1", n)
	}
}

// TestStreamListingThrottledIsRetried: listings that fail with a retryable
// error (throttling, a network failure) are retried, and Run goes on to
// read everything.
func TestStreamListingThrottledIsRetried(t *testing.T) {
	for _, kind := range []error{stream.ErrThrottled, stream.ErrTransient} {
		t.Run(kind.Error(), func(t *testing.T) {
			e := newEnv(t, 2)
			want := e.put(t, 20, spread)
			ls := &listingStream{Stream: e.stream, err: fmt.Errorf("list shards: %w", kind), failures: 3}
			cfg := e.config("c")
			cfg.Stream = ls
			rec := newRecorder()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := Run(ctx, cfg, rec.process); err != nil {
				t.Fatalf("Run = %v", err)
			}
			if n := ls.calls.Load(); n <= 3 {
				t.Fatalf("the stream was listed %d times: the failures were not retried", n)
			}
			for _, d := range want {
				if rec.count(d) == 0 {
					t.Fatalf("record %s not processed", d)
				}
			}
		})
	}
}
