package main

// This file holds how elbstream run knows the stages have caught up:
// the tips the stages put, and the checkpoints that reach them.

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/checkpoint"
)

// stageRun is a stage running in its own goroutine until stopped.
type stageRun struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// startStage runs fn under a child of ctx. An error from fn cancels the
// whole pipeline with fail.
func startStage(ctx context.Context, fail context.CancelCauseFunc, fn func(context.Context) error) *stageRun {
	ctx, cancel := context.WithCancel(ctx)
	s := &stageRun{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		if s.err = fn(ctx); s.err != nil {
			fail(s.err)
		}
	}()
	return s
}

// stop cancels the stage — which finishes and checkpoints the batches in
// hand — and returns its error.
func (s *stageRun) stop() error {
	s.cancel()
	<-s.done
	return s.err
}

// waitCaughtUp waits until consumer's checkpoint of every shard in tips is
// at or past the tip, the stage ends or ctx is done.
func waitCaughtUp(ctx context.Context, s *stageRun, store checkpoint.Store, name string, tips map[string]string) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		ok, err := caughtUp(ctx, store, name, tips)
		if err != nil {
			return fmt.Errorf("%s: checkpoints: %w", name, err)
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			if s.err != nil {
				return s.err
			}
			return fmt.Errorf("%s stopped before reaching the end of its stream", name)
		case <-t.C:
		}
	}
}

func caughtUp(ctx context.Context, store checkpoint.Store, name string, tips map[string]string) (bool, error) {
	if len(tips) == 0 {
		return true, nil
	}
	cps, err := store.List(ctx, name)
	if err != nil {
		return false, err
	}
	at := make(map[string]string, len(cps))
	for _, c := range cps {
		at[c.ShardID] = c.Sequence
	}
	for shard, tip := range tips {
		switch seq := at[shard]; seq {
		case checkpoint.ShardEnd:
		case "", checkpoint.TrimHorizon, checkpoint.Latest:
			return false, nil
		default:
			if stream.CompareSequence(seq, tip) < 0 {
				return false, nil
			}
		}
	}
	return true, nil
}

// tipStream is a stream that remembers, per shard, the highest sequence
// number its Puts were given: where a consumer that is to read everything
// written in this run must get to.
type tipStream struct {
	stream.Stream
	mu   sync.Mutex
	tips map[string]string
}

func newTipStream(s stream.Stream) *tipStream {
	return &tipStream{Stream: s, tips: map[string]string{}}
}

func (s *tipStream) Put(ctx context.Context, entries []stream.Entry) ([]stream.PutResult, error) {
	res, err := s.Stream.Put(ctx, entries)
	s.mu.Lock()
	for _, r := range res {
		if r.OK() && stream.CompareSequence(r.SequenceNumber, s.tips[r.ShardID]) > 0 {
			s.tips[r.ShardID] = r.SequenceNumber
		}
	}
	s.mu.Unlock()
	return res, err
}

// Tips returns a copy of the tips.
func (s *tipStream) Tips() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]string, len(s.tips))
	for k, v := range s.tips {
		m[k] = v
	}
	return m
}

// Reset forgets the tips.
func (s *tipStream) Reset() {
	s.mu.Lock()
	s.tips = map[string]string{}
	s.mu.Unlock()
}

// Close does nothing: the pipeline closes the underlying stream once.
func (s *tipStream) Close() error { return nil }
