package main

import (
	"context"
	"errors"
	"testing"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/kinesis/kinesistest"
)

func TestOpenKinesisStream(t *testing.T) {
	client := kinesistest.Client(t)
	name := kinesistest.CreateStream(t, client, 1)
	ctx := context.Background()

	s, err := openStream(ctx, "kinesis://"+name)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	shards, err := s.Shards(ctx)
	if err != nil || len(shards) != 1 {
		t.Errorf("Shards() = %v, %v; want one shard", shards, err)
	}

	if _, err := openStream(ctx, "kinesis://"+name+"-missing"); !errors.Is(err, stream.ErrStreamNotFound) {
		t.Errorf("openStream(missing) = %v, want ErrStreamNotFound", err)
	}
	if _, err := openStream(ctx, "kinesis://"+name+"?shards=4"); err == nil {
		t.Error("openStream with an option succeeded")
	}
	if _, err := openStream(ctx, "arn:aws:kinesis:us-east-1:123456789012:deliverystream/x"); err == nil {
		t.Error("openStream(a Firehose ARN) succeeded")
	}
}
