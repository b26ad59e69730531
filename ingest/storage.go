package ingest

import (
	"context"
	"errors"
	"io"
)

// ObjectGetter reads S3 objects. S3Client implements it with aws-sdk-go-v2;
// tests may use any S3-compatible server through it.
type ObjectGetter interface {
	// GetObject opens an object's stored bytes. It returns an error
	// wrapping ErrNotFound when the object (or version) does not exist,
	// and ErrChanged when req.IfMatch no longer matches.
	GetObject(ctx context.Context, req GetRequest) (*GetResult, error)
}

// ObjectLister lists S3 objects.
type ObjectLister interface {
	// ListObjects calls fn for every object under prefix, in key order,
	// following pagination. fn's error stops the listing and is returned.
	ListObjects(ctx context.Context, bucket, prefix string, fn func(Object) error) error
}

// GetRequest says which object, which version and which bytes to read.
type GetRequest struct {
	Bucket    string
	Key       string
	VersionID string // read this version when set
	IfMatch   string // fail with ErrChanged unless the ETag is this
	Offset    int64  // first stored byte to read (HTTP Range); 0 for all
}

// GetResult is an open object.
type GetResult struct {
	Body      io.ReadCloser // the stored bytes from the requested offset on
	ETag      string        // without quotes
	VersionID string        // "" in an unversioned bucket
}

var (
	// ErrNotFound: no such bucket, key or version.
	ErrNotFound = errors.New("not found")
	// ErrChanged: the object no longer has the ETag it was read with.
	ErrChanged = errors.New("object changed")
	// ErrDenied: access denied; S3's answer for a missing key to a
	// caller without s3:ListBucket.
	ErrDenied = errors.New("access denied")
	// ErrArchived: the object is in an archive storage class (S3 Glacier
	// Flexible Retrieval, Deep Archive, an Intelligent-Tiering archive
	// tier) and cannot be read until it is restored.
	ErrArchived = errors.New("archived: restore it (S3 RestoreObject) and announce it again, or name it to elbstream ingest")
)
