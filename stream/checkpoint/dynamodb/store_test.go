package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/elbstream/elbstream/internal/testenv"
	"github.com/elbstream/elbstream/stream/checkpoint"
	"github.com/elbstream/elbstream/stream/checkpoint/checkpointtest"
)

func testClient(t *testing.T) *dynamodb.Client {
	testenv.DynamoDB(t)
	return dynamodb.NewFromConfig(testenv.AWSConfig(t))
}

func tableName(t *testing.T) string {
	return fmt.Sprintf("elbstream-test-%08x", rand.Uint32())
}

// TestContract runs the suite against dynalite, every subtest on one table
// (created here with Create, which tests EnsureTable too).
func TestContract(t *testing.T) {
	client := testClient(t)
	table := tableName(t)
	var once sync.Once
	checkpointtest.Run(t, func(t *testing.T) checkpoint.Store {
		var err error
		once.Do(func() { _, err = New(client, table, Options{Create: true}) })
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(client, table, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestMissingTableSaysHowToCreate(t *testing.T) {
	s, err := New(testClient(t), tableName(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(context.Background(), "c", "s")
	if err == nil || !strings.Contains(err.Error(), "?create=true") {
		t.Fatalf("get on a missing table: %v", err)
	}
}

func TestEnsureTableIdempotentAndConcurrent(t *testing.T) {
	client := testClient(t)
	table := tableName(t)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { _, errs[i] = New(client, table, Options{Create: true}) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	s, _ := New(client, table, Options{})
	if err := s.EnsureTable(context.Background()); err != nil {
		t.Fatalf("on an existing table: %v", err)
	}
}
