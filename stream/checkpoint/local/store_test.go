package local

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elbstream/elbstream/stream/checkpoint"
	"github.com/elbstream/elbstream/stream/checkpoint/checkpointtest"
)

func TestContract(t *testing.T) {
	checkpointtest.Run(t, func(t *testing.T) checkpoint.Store {
		s, err := Open(filepath.Join(t.TempDir(), "checkpoints.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestDurableAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dir", "checkpoints.db")
	ctx := context.Background()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Acquire(ctx, "c", "shard-1", "a", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "c", "shard-1", "a", "12345"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := s.Get(ctx, "c", "shard-1")
	if err != nil || c.Sequence != "12345" || c.Owner != "a" {
		t.Fatalf("after reopen: %+v %v", c, err)
	}
}

func TestSecondOpenFailsClearly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoints.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// bbolt's flock is per open file description, so a second open in
	// this process meets the same lock another process would.
	_, err = OpenOptions(path, Options{LockTimeout: 50 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "locked by another process") {
		t.Fatalf("second open: %v, want a lock error", err)
	}
}
