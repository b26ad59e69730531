package main

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// errNoRegion replaces the SDK's "Invalid region: region was not a valid
// DNS name", which is what a missing region becomes at the first call.
var errNoRegion = errors.New("no AWS region: set AWS_REGION, or a region in the profile AWS_PROFILE names")

// loadAWSConfig is config.LoadDefaultConfig (credentials, region and
// endpoints from the environment, the shared files or the Lambda role). With
// needRegion it fails at once, clearly, when no region is configured.
func loadAWSConfig(ctx context.Context, needRegion bool) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err == nil && needRegion && cfg.Region == "" {
		err = errNoRegion
	}
	return cfg, err
}
