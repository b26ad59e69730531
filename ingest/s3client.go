package ingest

// This file is the only one in the package that calls the S3 API.

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3Client reads and lists objects with aws-sdk-go-v2.
type S3Client struct {
	Client *s3.Client
}

var (
	_ ObjectGetter = (*S3Client)(nil)
	_ ObjectLister = (*S3Client)(nil)
)

// GetObject implements ObjectGetter.
func (c *S3Client) GetObject(ctx context.Context, req GetRequest) (*GetResult, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(req.Bucket), Key: aws.String(req.Key)}
	if req.VersionID != "" {
		in.VersionId = aws.String(req.VersionID)
	}
	if req.IfMatch != "" {
		in.IfMatch = aws.String(strconv.Quote(req.IfMatch))
	}
	if req.Offset > 0 {
		in.Range = aws.String("bytes=" + strconv.FormatInt(req.Offset, 10) + "-")
	}
	out, err := c.Client.GetObject(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("s3: get object s3://%s/%s: %w", req.Bucket, req.Key, classifyS3(err))
	}
	return &GetResult{
		Body:      out.Body,
		ETag:      trimETag(aws.ToString(out.ETag)),
		VersionID: aws.ToString(out.VersionId),
	}, nil
}

// ListObjects implements ObjectLister with ListObjectsV2, page by page.
func (c *S3Client) ListObjects(ctx context.Context, bucket, prefix string, fn func(Object) error) error {
	p := s3.NewListObjectsV2Paginator(c.Client, &s3.ListObjectsV2Input{
		Bucket: aws.String(bucket),
		Prefix: aws.String(prefix),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("s3: list s3://%s/%s: %w", bucket, prefix, classifyS3(err))
		}
		for _, o := range page.Contents {
			err := fn(Object{
				Bucket: bucket,
				Key:    aws.ToString(o.Key),
				ETag:   trimETag(aws.ToString(o.ETag)),
				Size:   aws.ToInt64(o.Size),
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// classifyS3 wraps the errors callers act on with ErrNotFound, ErrChanged,
// ErrDenied and ErrArchived.
func classifyS3(err error) error {
	var nsk *types.NoSuchKey
	var nsb *types.NoSuchBucket
	if errors.As(err, &nsk) || errors.As(err, &nsb) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchVersion", "NotFound":
			return fmt.Errorf("%w: %w", ErrNotFound, err)
		case "PreconditionFailed":
			return fmt.Errorf("%w: %w", ErrChanged, err)
		case "AccessDenied":
			return fmt.Errorf("%w: %w", ErrDenied, err)
		case "InvalidObjectState":
			return fmt.Errorf("%w: %w", ErrArchived, err)
		}
	}
	return err
}
