package ingest

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Object names one S3 object to ingest.
type Object struct {
	Bucket string `json:"bucket"`
	// Key is the decoded object key, as S3's API takes it (event
	// notifications carry it URL-encoded; the envelope decoder decodes it).
	Key string `json:"key"`
	// VersionID pins the read to one version in a versioned bucket.
	VersionID string `json:"versionId,omitempty"`
	// ETag, without quotes, pins the read to the content the event
	// announced (GetObject If-Match) when there is no version id.
	ETag string `json:"etag,omitempty"`
	// Size is the stored size in bytes, when known; informational.
	Size int64 `json:"size,omitempty"`
	// AltKey, when set, is another spelling of Key to read when Key does
	// not exist: the undecoded key of an EventBridge event, whose encoding
	// AWS does not document as firmly as that of S3 notifications.
	AltKey string `json:"altKey,omitempty"`
}

// String returns s3://bucket/key, for messages.
func (o Object) String() string { return "s3://" + o.Bucket + "/" + o.Key }

// S3Source returns the stable provenance identity of an S3 object's
// content:
//
//	s3://BUCKET/KEY#ETAG
//
// with KEY escaped as a URL path (so the identity parses back with net/url
// even when a key holds '#', '?' or spaces). The ETag, not the version id,
// identifies the content, so that the same bytes get the same identity
// whether they were found by an event (which may carry a version id) or by
// a listing (which does not), and the transform derives the same
// deterministic event ids from them. When the ETag is unknown the version
// id is used ("?versionId=V"), and failing that the bare URL.
func S3Source(bucket, key, etag, versionID string) string {
	u := url.URL{Scheme: "s3", Host: bucket, Path: "/" + key}
	switch {
	case etag != "":
		u.Fragment = trimETag(etag)
	case versionID != "":
		u.RawQuery = "versionId=" + url.QueryEscape(versionID)
	}
	return u.String()
}

// FileSource returns the stable provenance identity of a local file:
//
//	file:///ABS/PATH#SIZE-MTIME
//
// where MTIME is the modification time in Unix nanoseconds. Re-reading an
// unchanged file gives the same identity (and so the same event ids
// downstream); a rewritten file gets a new one.
func FileSource(path string, fi os.FileInfo) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("ingest: %s: %w", path, err)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs),
		Fragment: strconv.FormatInt(fi.Size(), 10) + "-" + strconv.FormatInt(fi.ModTime().UnixNano(), 10)}
	return u.String(), nil
}

// trimETag removes the quotes S3 puts around ETags in HTTP headers.
func trimETag(s string) string { return strings.Trim(s, `"`) }

// ParseS3URL splits s3://bucket/key into bucket and key. A key that is
// empty or ends in '/' names a prefix.
func ParseS3URL(s string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		return "", "", fmt.Errorf("ingest: %q is not an s3:// URL", s)
	}
	bucket, key, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("ingest: %q names no bucket", s)
	}
	return bucket, key, nil
}
