package main

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/elbstream/elbstream/stream/checkpoint"
	"github.com/elbstream/elbstream/stream/checkpoint/dynamodb"
	"github.com/elbstream/elbstream/stream/checkpoint/local"
)

// local://PATH is a bbolt file for one process; dynamodb://TABLE[?create=true]
// is shared by any number of processes. DynamoDB credentials, region and
// endpoint come from the SDK's default chain (AWS_ENDPOINT_URL_DYNAMODB for
// an emulator).
func init() {
	checkpointOpeners["local"] = func(ctx context.Context, u *url.URL) (checkpoint.Store, error) {
		if u.RawQuery != "" {
			return nil, fmt.Errorf("checkpoints local://%s: unexpected options %q (local:// takes none)", u.Opaque, u.RawQuery)
		}
		return local.Open(u.Opaque)
	}
	checkpointOpeners["dynamodb"] = func(ctx context.Context, u *url.URL) (checkpoint.Store, error) {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return nil, fmt.Errorf("checkpoints dynamodb://%s: %w", u.Opaque, err)
		}
		var opts dynamodb.Options
		for k, v := range q {
			switch k {
			case "create":
				if opts.Create, err = strconv.ParseBool(v[len(v)-1]); err != nil {
					return nil, fmt.Errorf("checkpoints dynamodb://%s: create=%q: want true or false", u.Opaque, v[len(v)-1])
				}
			default:
				return nil, fmt.Errorf("checkpoints dynamodb://%s: unknown option %q (want create=true)", u.Opaque, k)
			}
		}
		cfg, err := loadAWSConfig(ctx, true)
		if err != nil {
			return nil, fmt.Errorf("checkpoints dynamodb://%s: load AWS configuration: %w", u.Opaque, err)
		}
		return dynamodb.Open(ctx, cfg, u.Opaque, opts)
	}
}
