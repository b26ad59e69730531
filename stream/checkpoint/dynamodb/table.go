package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// EnsureTable creates the table (key consumer + shard, PAY_PER_REQUEST) if
// it does not exist, and waits until it is ACTIVE. Concurrent callers are
// fine: whoever loses the creation race waits like the others.
func (s *Store) EnsureTable(ctx context.Context) error {
	out, err := s.client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &s.table})
	var rnf *types.ResourceNotFoundException
	switch {
	case err == nil && out.Table != nil && out.Table.TableStatus == types.TableStatusActive:
		return nil
	case errors.As(err, &rnf):
		_, err = s.client.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:   &s.table,
			BillingMode: types.BillingModePayPerRequest,
			AttributeDefinitions: []types.AttributeDefinition{
				{AttributeName: aws.String(attrConsumer), AttributeType: types.ScalarAttributeTypeS},
				{AttributeName: aws.String(attrShard), AttributeType: types.ScalarAttributeTypeS},
			},
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(attrConsumer), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(attrShard), KeyType: types.KeyTypeRange},
			},
		})
		var inUse *types.ResourceInUseException
		if err != nil && !errors.As(err, &inUse) {
			return fmt.Errorf("checkpoint/dynamodb: create table %s: %w", s.table, err)
		}
	case err != nil:
		return fmt.Errorf("checkpoint/dynamodb: describe table %s: %w", s.table, err)
	}
	wait := s.createTimeout()
	if d, ok := ctx.Deadline(); ok && time.Until(d) < wait {
		wait = time.Until(d)
	}
	w := dynamodb.NewTableExistsWaiter(s.client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 250*time.Millisecond, 5*time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: &s.table}, wait); err != nil {
		return fmt.Errorf("checkpoint/dynamodb: wait for table %s: %w", s.table, err)
	}
	return nil
}
