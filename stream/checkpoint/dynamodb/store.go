package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/elbstream/elbstream/stream/checkpoint"
)

// Options configure New.
type Options struct {
	// Create creates the table (PAY_PER_REQUEST) when it does not exist and
	// waits until it is ACTIVE. Default: false, the table must exist.
	Create bool
	// CreateTimeout bounds the wait for a created table. Default: 5m
	CreateTimeout time.Duration
}

// api is what the store needs from DynamoDB; *dynamodb.Client has it.
type api interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	CreateTable(context.Context, *dynamodb.CreateTableInput, ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
}

// Store is a checkpoint.Store in a DynamoDB table.
type Store struct {
	client api
	table  string
	opts   Options
	now    func() time.Time
}

var _ checkpoint.Store = (*Store)(nil)

// Attribute names.
const (
	attrConsumer   = "consumer"
	attrShard      = "shard"
	attrSeq        = "seq"
	attrOrder      = "seq_order"
	attrOwner      = "owner"
	attrLeaseUntil = "lease_until"
	attrUpdatedAt  = "updated_at"
	attrRewound    = "rewound"
)

// names maps the expression placeholders to attribute names; "owner" and
// others are DynamoDB reserved words, so expressions always use these.
var names = map[string]string{
	"#seq": attrSeq, "#order": attrOrder, "#owner": attrOwner,
	"#lease": attrLeaseUntil, "#updated": attrUpdatedAt, "#rewound": attrRewound,
}

// New returns a store on table. With opts.Create it creates the table if
// needed, bounded by opts.CreateTimeout; EnsureTable does the same under a
// caller's context.
func New(client *dynamodb.Client, table string, opts Options) (*Store, error) {
	if err := checkTableName(table); err != nil {
		return nil, err
	}
	s := &Store{client: client, table: table, opts: opts, now: time.Now}
	if opts.Create {
		ctx, cancel := context.WithTimeout(context.Background(), s.createTimeout())
		defer cancel()
		if err := s.EnsureTable(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Open is New with a client made from cfg.
func Open(ctx context.Context, cfg aws.Config, table string, opts Options) (*Store, error) {
	s, err := New(dynamodb.NewFromConfig(cfg), table, Options{CreateTimeout: opts.CreateTimeout})
	if err != nil {
		return nil, err
	}
	if opts.Create {
		if err := s.EnsureTable(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Store) createTimeout() time.Duration {
	if s.opts.CreateTimeout > 0 {
		return s.opts.CreateTimeout
	}
	return 5 * time.Minute
}

// Close does nothing: the client has no resources of its own to release.
func (s *Store) Close() error { return nil }

func (s *Store) key(consumer, shardID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrConsumer: &types.AttributeValueMemberS{Value: consumer},
		attrShard:    &types.AttributeValueMemberS{Value: shardID},
	}
}

func (s *Store) Get(ctx context.Context, consumer, shardID string) (checkpoint.Checkpoint, error) {
	c := checkpoint.Checkpoint{Consumer: consumer, ShardID: shardID}
	if err := checkNames(consumer, shardID); err != nil {
		return c, fmt.Errorf("checkpoint/dynamodb: get %s/%s: %w", consumer, shardID, err)
	}
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &s.table,
		Key:            s.key(consumer, shardID),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return c, s.wrap("get", consumer, shardID, err)
	}
	return fromItem(out.Item, consumer, shardID), nil
}

func (s *Store) List(ctx context.Context, consumer string) ([]checkpoint.Checkpoint, error) {
	if err := checkNames(consumer, "-"); err != nil {
		return nil, fmt.Errorf("checkpoint/dynamodb: list %s: %w", consumer, err)
	}
	var out []checkpoint.Checkpoint
	p := dynamodb.NewQueryPaginator(s.client, &dynamodb.QueryInput{
		TableName:                &s.table,
		KeyConditionExpression:   aws.String("#consumer = :consumer"),
		ExpressionAttributeNames: map[string]string{"#consumer": attrConsumer},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":consumer": &types.AttributeValueMemberS{Value: consumer},
		},
		ConsistentRead: aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.wrap("list", consumer, "*", err)
		}
		for _, item := range page.Items {
			out = append(out, fromItem(item, consumer, str(item[attrShard])))
		}
	}
	return out, nil
}

func (s *Store) Acquire(ctx context.Context, consumer, shardID, owner string, ttl time.Duration) (checkpoint.Checkpoint, error) {
	if owner == "" || ttl <= 0 {
		return checkpoint.Checkpoint{}, fmt.Errorf("checkpoint/dynamodb: acquire %s/%s: need an owner and a positive ttl", consumer, shardID)
	}
	if err := checkNames(consumer, shardID); err != nil {
		return checkpoint.Checkpoint{}, fmt.Errorf("checkpoint/dynamodb: acquire %s/%s: %w", consumer, shardID, err)
	}
	now := s.now()
	out, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.table,
		Key:                 s.key(consumer, shardID),
		UpdateExpression:    aws.String("SET #owner = :owner, #lease = :until REMOVE #rewound"),
		ConditionExpression: aws.String("attribute_not_exists(#owner) OR #owner = :owner OR #lease < :now"),
		ExpressionAttributeNames: map[string]string{
			"#owner": attrOwner, "#lease": attrLeaseUntil, "#rewound": attrRewound,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":owner": &types.AttributeValueMemberS{Value: owner},
			":until": millis(now.Add(ttl)),
			":now":   millis(now),
		},
		// The item as it was, for Rewound (which this write clears); the
		// lease is then the one just written.
		ReturnValues:                        types.ReturnValueAllOld,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		old := s.current(ctx, ccf, consumer, shardID)
		return checkpoint.Checkpoint{}, fmt.Errorf("checkpoint/dynamodb: acquire %s/%s: %w: %s until %s",
			consumer, shardID, checkpoint.ErrLeaseHeld, old.Owner, old.LeaseUntil.Format(time.RFC3339Nano))
	}
	if err != nil {
		return checkpoint.Checkpoint{}, s.wrap("acquire", consumer, shardID, err)
	}
	c := fromItem(out.Attributes, consumer, shardID)
	c.Owner, c.LeaseUntil = owner, time.UnixMilli(now.Add(ttl).UnixMilli())
	return c, nil
}

func (s *Store) Set(ctx context.Context, consumer, shardID, owner, seq string) error {
	order, err := orderKey(seq)
	if err != nil {
		return err
	}
	if err := checkNames(consumer, shardID); err != nil {
		return fmt.Errorf("checkpoint/dynamodb: set %s/%s: %w", consumer, shardID, err)
	}
	now := s.now()
	_, err = s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        &s.table,
		Key:              s.key(consumer, shardID),
		UpdateExpression: aws.String("SET #seq = :seq, #order = :order, #updated = :now"),
		ConditionExpression: aws.String("#owner = :owner AND #lease > :now AND attribute_not_exists(#rewound) AND " +
			"(attribute_not_exists(#order) OR #order <= :order)"),
		ExpressionAttributeNames: names,
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":seq":   &types.AttributeValueMemberS{Value: seq},
			":order": &types.AttributeValueMemberS{Value: order},
			":owner": &types.AttributeValueMemberS{Value: owner},
			":now":   millis(now),
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		// Say why: the item as the failed write saw it (or as it is now,
		// from a service that does not return it).
		old := s.current(ctx, ccf, consumer, shardID)
		if old.Owner != owner || owner == "" || !old.LeaseUntil.After(now) {
			return fmt.Errorf("checkpoint/dynamodb: set %s/%s: %w", consumer, shardID, notOwner(old, owner))
		}
		if old.Rewound {
			return fmt.Errorf("checkpoint/dynamodb: set %s/%s: %w: %w to %s since %s acquired the lease",
				consumer, shardID, checkpoint.ErrNotOwner, checkpoint.ErrRewound, old.Sequence, owner)
		}
		return fmt.Errorf("checkpoint/dynamodb: set %s/%s: %w: %s is before %s",
			consumer, shardID, checkpoint.ErrBackwards, seq, old.Sequence)
	}
	if err != nil {
		return s.wrap("set", consumer, shardID, err)
	}
	return nil
}

func (s *Store) Release(ctx context.Context, consumer, shardID, owner string) error {
	if err := checkNames(consumer, shardID); err != nil {
		return fmt.Errorf("checkpoint/dynamodb: release %s/%s: %w", consumer, shardID, err)
	}
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      s.key(consumer, shardID),
		UpdateExpression:         aws.String("REMOVE #owner, #lease, #rewound"),
		ConditionExpression:      aws.String("#owner = :owner"),
		ExpressionAttributeNames: map[string]string{"#owner": attrOwner, "#lease": attrLeaseUntil, "#rewound": attrRewound},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":owner": &types.AttributeValueMemberS{Value: owner},
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		// Not ours: fine when nobody holds it or another owner's lease has
		// lapsed; an error while someone else holds it.
		old := s.current(ctx, ccf, consumer, shardID)
		if old.Owner != "" && old.LeaseUntil.After(s.now()) {
			return fmt.Errorf("checkpoint/dynamodb: release %s/%s: %w", consumer, shardID, notOwner(old, owner))
		}
		return nil
	}
	if err != nil {
		return s.wrap("release", consumer, shardID, err)
	}
	return nil
}

// Rewind sets seq whoever holds the lease, and fences the lease so that
// the holder cannot move the checkpoint forward again from where it was
// (an item without an owner is marked too; the next Acquire clears it).
func (s *Store) Rewind(ctx context.Context, consumer, shardID, seq string) error {
	order, err := orderKey(seq)
	if err != nil {
		return err
	}
	if err := checkNames(consumer, shardID); err != nil {
		return fmt.Errorf("checkpoint/dynamodb: rewind %s/%s: %w", consumer, shardID, err)
	}
	_, err = s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        &s.table,
		Key:              s.key(consumer, shardID),
		UpdateExpression: aws.String("SET #seq = :seq, #order = :order, #updated = :now, #rewound = :true"),
		ExpressionAttributeNames: map[string]string{
			"#seq": attrSeq, "#order": attrOrder, "#updated": attrUpdatedAt, "#rewound": attrRewound,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":seq":   &types.AttributeValueMemberS{Value: seq},
			":order": &types.AttributeValueMemberS{Value: order},
			":now":   millis(s.now()),
			":true":  &types.AttributeValueMemberBOOL{Value: true},
		},
	})
	if err != nil {
		return s.wrap("rewind", consumer, shardID, err)
	}
	return nil
}

// current is the item a conditional write failed against: from the
// exception when the service returned it, else read now (a best effort
// for the error message; the write failed either way).
func (s *Store) current(ctx context.Context, ccf *types.ConditionalCheckFailedException, consumer, shardID string) checkpoint.Checkpoint {
	if ccf.Item != nil {
		return fromItem(ccf.Item, consumer, shardID)
	}
	c, _ := s.Get(ctx, consumer, shardID)
	return c
}

func notOwner(c checkpoint.Checkpoint, owner string) error {
	switch {
	case c.Owner == "":
		return fmt.Errorf("%w: %s holds no lease", checkpoint.ErrNotOwner, owner)
	case c.Owner == owner:
		return fmt.Errorf("%w: %s's lease expired at %s", checkpoint.ErrNotOwner, owner, c.LeaseUntil.Format(time.RFC3339Nano))
	}
	return fmt.Errorf("%w: lease held by %s until %s", checkpoint.ErrNotOwner, c.Owner, c.LeaseUntil.Format(time.RFC3339Nano))
}

func (s *Store) wrap(op, consumer, shardID string, err error) error {
	var rnf *types.ResourceNotFoundException
	if errors.As(err, &rnf) {
		return fmt.Errorf("checkpoint/dynamodb: %s %s/%s: %w: table %s not found (create it, or use dynamodb://%s?create=true): %w",
			op, consumer, shardID, checkpoint.ErrUnusable, s.table, s.table, err)
	}
	var api smithy.APIError
	if errors.As(err, &api) && (api.ErrorCode() == "AccessDeniedException" || api.ErrorCode() == "UnrecognizedClientException") {
		return fmt.Errorf("checkpoint/dynamodb: %s %s/%s: %w: %w", op, consumer, shardID, checkpoint.ErrUnusable, err)
	}
	if errors.As(err, &api) && api.ErrorCode() == "ValidationException" {
		// Every request is the store's own, its names checked: a table
		// that refuses them has another key (a KCL lease table, keyed by
		// leaseKey, say), and no retry makes it fit.
		return fmt.Errorf("checkpoint/dynamodb: %s %s/%s: %w: table %s refuses the request (does it have another key? it must be %s, a string, and %s, a string sort key): %w",
			op, consumer, shardID, checkpoint.ErrUnusable, s.table, attrConsumer, attrShard, err)
	}
	return fmt.Errorf("checkpoint/dynamodb: %s %s/%s: %w", op, consumer, shardID, err)
}

// checkTableName refuses a name DynamoDB would: 3 to 255 of A-Z a-z 0-9 _
// . -, unless it is a table ARN. Said here, the rule reads as what it is;
// from a request it reads as a table that does not fit.
func checkTableName(table string) error {
	if strings.HasPrefix(table, "arn:") {
		return nil
	}
	if n := len(table); n < 3 || n > 255 {
		return fmt.Errorf("checkpoint/dynamodb: table name %q: want 3 to 255 characters", table)
	}
	for _, c := range table {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return fmt.Errorf("checkpoint/dynamodb: table name %q: %q is not allowed (only letters, digits, _ . and -)", table, c)
		}
	}
	return nil
}

func checkNames(consumer, shardID string) error {
	if consumer == "" || shardID == "" {
		return errors.New("consumer and shard id must not be empty")
	}
	return nil
}

func millis(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.UnixMilli(), 10)}
}

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func timeOf(v types.AttributeValue) time.Time {
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return time.Time{}
	}
	ms, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func fromItem(item map[string]types.AttributeValue, consumer, shardID string) checkpoint.Checkpoint {
	return checkpoint.Checkpoint{
		Consumer:   consumer,
		ShardID:    shardID,
		Sequence:   str(item[attrSeq]),
		Owner:      str(item[attrOwner]),
		LeaseUntil: timeOf(item[attrLeaseUntil]),
		UpdatedAt:  timeOf(item[attrUpdatedAt]),
		Rewound:    boolOf(item[attrRewound]),
	}
}

func boolOf(v types.AttributeValue) bool {
	b, ok := v.(*types.AttributeValueMemberBOOL)
	return ok && b.Value
}
