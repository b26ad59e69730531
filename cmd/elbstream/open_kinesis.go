package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/kinesis"
)

// kinesis://NAME or a stream ARN (openStream turns arn:… into
// kinesis://arn:…). Credentials, region and endpoint come from the SDK's
// default chain: AWS_REGION, AWS_PROFILE, the Lambda role,
// AWS_ENDPOINT_URL_KINESIS for an emulator.
func init() {
	streamOpeners["kinesis"] = func(ctx context.Context, u *url.URL) (stream.Stream, error) {
		if u.RawQuery != "" {
			return nil, fmt.Errorf("stream kinesis://%s: unexpected options %q (kinesis:// takes none)", u.Opaque, u.RawQuery)
		}
		// An ARN names its region; a bare name needs one configured.
		cfg, err := loadAWSConfig(ctx, !strings.HasPrefix(u.Opaque, "arn:"))
		if err != nil {
			return nil, fmt.Errorf("stream kinesis://%s: load AWS configuration: %w", u.Opaque, err)
		}
		return kinesis.Open(ctx, cfg, u.Opaque)
	}
}
