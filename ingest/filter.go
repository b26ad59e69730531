package ingest

import (
	"path"
	"strings"
)

// Reasons an object or a notification is skipped. Each is counted in
// Stats.Skipped under its name.
const (
	// SkipTestFile: the ELBAccessLogTestFile object AWS writes when access
	// logging is enabled; it holds no access-log lines.
	SkipTestFile = "elb-test-file"
	// SkipPrefix: the key is outside the include prefixes or inside an
	// exclude prefix.
	SkipPrefix = "prefix"
	// SkipSuffix: the key does not end in an include suffix or ends in an
	// exclude suffix.
	SkipSuffix = "suffix"
	// SkipFolder: a zero-byte "folder" key ending in '/'.
	SkipFolder = "folder"
	// SkipNotRegular: a path under a directory being read that is not a
	// regular file (a FIFO, a socket, a device, a broken symbolic link).
	SkipNotRegular = "not-a-regular-file"
	// SkipLinkedDir: a symbolic link to a directory, under a directory
	// being read; it is not followed, since it could lead back up.
	SkipLinkedDir = "linked-directory"
	// SkipEmpty: the object holds no bytes at all. AWS never writes an
	// empty log object (a gzip stream is never empty), so it is counted
	// apart from the objects read, to be seen.
	SkipEmpty = "empty"
	// SkipMissing: the object was deleted before it could be read.
	SkipMissing = "missing"
	// SkipChanged: the object was overwritten after it was announced (or
	// listed), before it could be read: the content announced is gone, and
	// the new content has a notification of its own.
	SkipChanged = "changed"
	// SkipTestEvent: S3's s3:TestEvent, sent when a notification is
	// configured.
	SkipTestEvent = "s3-test-event"
	// SkipNotCreated: a notification for something other than object
	// creation (deletion, restore, lifecycle, …).
	SkipNotCreated = "not-object-created"
	// SkipNotification: an SNS message that is not a notification (e.g. a
	// subscription confirmation delivered to SQS).
	SkipNotification = "not-a-notification"
)

// ELBTestFile is the base name of the object AWS writes to check that it
// may write access logs to a bucket.
const ELBTestFile = "ELBAccessLogTestFile"

// Filter selects object keys. A key is taken when it starts with one of
// IncludePrefixes (or there are none), starts with none of
// ExcludePrefixes, ends with one of IncludeSuffixes (or there are none) and
// ends with none of ExcludeSuffixes. The ELBAccessLogTestFile object and
// folder markers are never taken. The zero Filter takes every log object.
//
// Filters protect against loops (a function writing into the bucket that
// triggers it) and noise (other objects in the log bucket).
type Filter struct {
	IncludePrefixes []string
	ExcludePrefixes []string
	IncludeSuffixes []string
	ExcludeSuffixes []string
}

// Skip returns the reason key is not to be ingested, or "" to ingest it.
func (f Filter) Skip(key string) string {
	switch {
	case path.Base(key) == ELBTestFile:
		return SkipTestFile
	case strings.HasSuffix(key, "/"):
		return SkipFolder
	case len(f.IncludePrefixes) > 0 && !hasAnyPrefix(key, f.IncludePrefixes),
		hasAnyPrefix(key, f.ExcludePrefixes):
		return SkipPrefix
	case len(f.IncludeSuffixes) > 0 && !hasAnySuffix(key, f.IncludeSuffixes),
		hasAnySuffix(key, f.ExcludeSuffixes):
		return SkipSuffix
	}
	return ""
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func hasAnySuffix(s string, suffixes []string) bool {
	for _, p := range suffixes {
		if strings.HasSuffix(s, p) {
			return true
		}
	}
	return false
}
