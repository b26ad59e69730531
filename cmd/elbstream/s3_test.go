package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/elbstream/elbstream/ingest"
	"github.com/elbstream/elbstream/internal/s3test"
)

// testS3 is an in-process S3 server (s3test) holding one bucket.
type testS3 struct {
	t      *testing.T
	url    string
	client *s3.Client // path-style, static credentials
	bucket string
}

// startS3 starts an S3 server for the test's lifetime and creates bucket
// on it. The CLI finds the server as a user's would, through the SDK's
// standard variables, which startS3 sets for the test (a child process
// started afterwards inherits them): AWS_ENDPOINT_URL_S3, static
// credentials and AWS_REGION.
func startS3(t *testing.T, bucket string) *testS3 {
	t.Helper()
	url, client := s3test.Start(t)
	t.Setenv("AWS_ENDPOINT_URL_S3", url)
	t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretAccessKey)
	t.Setenv("AWS_REGION", s3test.Region)
	s := &testS3{t: t, url: url, bucket: bucket, client: client}
	if _, err := s.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	return s
}

// put stores data under key and returns the object's ingest source, the
// provenance its lines are read under.
func (s *testS3) put(key string, data []byte) string {
	s.t.Helper()
	o, err := s.client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key), Body: bytes.NewReader(data)})
	if err != nil {
		s.t.Fatal(err)
	}
	return ingest.S3Source(s.bucket, key, strings.Trim(aws.ToString(o.ETag), `"`), "")
}
