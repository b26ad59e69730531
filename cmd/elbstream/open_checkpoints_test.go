package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/elbstream/elbstream/internal/testenv"
)

func TestOpenCheckpointsLocal(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cp.db")
	s, err := openCheckpoints(ctx, "local://"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Acquire(ctx, "c", "s", "me", time.Minute); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := openCheckpoints(ctx, "local://"+path+"?create=true"); err == nil {
		t.Error("local:// accepted an option")
	}
}

func TestOpenCheckpointsDynamoDB(t *testing.T) {
	testenv.DynamoDB(t)
	ctx := context.Background()
	table := fmt.Sprintf("elbstream-test-open-%08x", rand.Uint32())
	if _, err := openCheckpoints(ctx, "dynamodb://"+table+"?colour=red"); err == nil {
		t.Error("dynamodb:// accepted an unknown option")
	}
	s, err := openCheckpoints(ctx, "dynamodb://"+table+"?create=true")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Acquire(ctx, "c", "s", "me", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "c", "s", "me", "42"); err != nil {
		t.Fatal(err)
	}
}
