package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
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

// A table name DynamoDB would refuse is refused by New with the rule, not
// sent and answered with a ValidationException that reads as a table of
// another key.
func TestTableNameChecked(t *testing.T) {
	for _, name := range []string{"", "T", "my table", strings.Repeat("t", 256), "ckpt/x"} {
		if _, err := New(nil, name, Options{}); err == nil || !strings.Contains(err.Error(), "table name") {
			t.Errorf("New(%q) = %v, want the naming rule", name, err)
		}
	}
	for _, name := range []string{"ckp", "elbstream-checkpoints", "a.b_c-1", "arn:aws:dynamodb:us-east-1:123456789012:table/ckpt"} {
		if _, err := New(nil, name, Options{}); err != nil {
			t.Errorf("New(%q) = %v", name, err)
		}
	}
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

// A dynamodb://TABLE naming a table with another key (a KCL lease table,
// keyed by leaseKey, is the likely one) can never hold checkpoints: the
// store says so with ErrUnusable, which stops the consumer with that
// error, instead of an error the consumer retries for ever.
func TestTableWithAnotherKeyIsUnusable(t *testing.T) {
	client := testClient(t)
	table := tableName(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("leaseKey"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("leaseKey"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Create accepts the table that exists, as it is.
	s, err := New(client, table, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	_, errAcquire := s.Acquire(ctx, "c", "shardId-000000000000", "me", time.Minute)
	_, errList := s.List(ctx, "c")
	_, errGet := s.Get(ctx, "c", "shardId-000000000000")
	for op, err := range map[string]error{"acquire": errAcquire, "list": errList, "get": errGet} {
		if !errors.Is(err, checkpoint.ErrUnusable) || !strings.Contains(err.Error(), table+" refuses the request") {
			t.Errorf("%s: %v, want ErrUnusable saying the table refuses the request", op, err)
		}
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
