package main

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/elbstream/elbstream/ingest"
)

// testS3 is an in-process S3 server (gofakes3) holding one bucket.
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
	faker := gofakes3.New(s3mem.New())
	srv := httptest.NewUnstartedServer(faker.Server())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	s := &testS3{t: t, url: srv.URL, bucket: bucket,
		client: s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
			Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")})}
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
