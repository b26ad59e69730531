package main

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/checkpoint"
)

// Backends register how to open their URL schemes from init in their own
// file (open_local.go, open_kinesis.go, …), so this file needs no change
// when one is added.
var (
	streamOpeners     = map[string]func(ctx context.Context, u *url.URL) (stream.Stream, error){}
	checkpointOpeners = map[string]func(ctx context.Context, u *url.URL) (checkpoint.Store, error){}
	// streamExists, for backends whose opener creates what is missing,
	// tells whether the stream is there already (see openExistingStream).
	streamExists = map[string]func(u *url.URL) error{}
)

// openStream opens a stream URL: kinesis://NAME, a Kinesis stream ARN, or
// local://DIR.
func openStream(ctx context.Context, raw string) (stream.Stream, error) {
	raw = kinesisARNURL(raw)
	u, err := parseURL(raw)
	if err != nil {
		return nil, err
	}
	open, ok := streamOpeners[u.Scheme]
	if !ok {
		return nil, fmt.Errorf("stream %q: unknown scheme %q (want %s)", raw, u.Scheme, schemes(streamOpeners))
	}
	return open(ctx, u)
}

// openExistingStream is openStream for a stream to read from: where
// opening would create a missing stream (local://), it fails instead, so a
// mistyped --from is an error rather than an empty stream read to its end.
func openExistingStream(ctx context.Context, raw string) (stream.Stream, error) {
	if u, err := parseURL(raw); err == nil {
		if exists := streamExists[u.Scheme]; exists != nil {
			if err := exists(u); err != nil {
				return nil, err
			}
		}
	}
	return openStream(ctx, raw)
}

// openCheckpoints opens a checkpoint store URL: local://PATH or
// dynamodb://TABLE.
func openCheckpoints(ctx context.Context, raw string) (checkpoint.Store, error) {
	u, err := parseURL(raw)
	if err != nil {
		return nil, err
	}
	open, ok := checkpointOpeners[u.Scheme]
	if !ok {
		return nil, fmt.Errorf("checkpoints %q: unknown scheme %q (want %s)", raw, u.Scheme, schemes(checkpointOpeners))
	}
	return open(ctx, u)
}

func parseURL(raw string) (*url.URL, error) {
	i := strings.Index(raw, "://")
	if i <= 0 {
		return nil, fmt.Errorf("%q is not a URL (want SCHEME://…)", raw)
	}
	// Everything after :// up to an optional ?query is the target, kept in
	// Opaque, so that local://relative/dir, local:///abs/dir and ARNs all
	// survive; options ride in the query (local://DIR?shards=4).
	rest, query, _ := strings.Cut(raw[i+3:], "?")
	if rest == "" {
		return nil, fmt.Errorf("%q names nothing after %s://", raw, raw[:i])
	}
	return &url.URL{Scheme: raw[:i], Opaque: rest, RawQuery: query}, nil
}

// kinesisARNURL makes a bare stream ARN a kinesis:// URL.
func kinesisARNURL(s string) string {
	if strings.HasPrefix(s, "arn:") {
		return "kinesis://" + s
	}
	return s
}

// kinesisStreamName is the name a kinesis:// target gives: the name
// itself, or what follows "stream/" in an ARN.
func kinesisStreamName(target string) string {
	if _, name, ok := strings.Cut(target, ":stream/"); ok && strings.HasPrefix(target, "arn:") {
		return name
	}
	return target
}

// sameStream reports two stream URLs that name one stream: the same
// scheme and target, a local directory compared as an absolute path, a
// Kinesis stream by its ARN or, where one of them gives only a name, by
// name (a bare ARN is a kinesis:// URL, as openStream takes it).
func sameStream(a, b string) bool {
	ua, errA := parseURL(kinesisARNURL(a))
	ub, errB := parseURL(kinesisARNURL(b))
	if errA != nil || errB != nil || ua.Scheme != ub.Scheme {
		return false
	}
	if ua.Scheme == "kinesis" && strings.HasPrefix(ua.Opaque, "arn:") != strings.HasPrefix(ub.Opaque, "arn:") {
		return kinesisStreamName(ua.Opaque) == kinesisStreamName(ub.Opaque)
	}
	if ua.Scheme != "local" {
		return ua.Opaque == ub.Opaque
	}
	pa, errA := filepath.Abs(ua.Opaque)
	pb, errB := filepath.Abs(ub.Opaque)
	return errA == nil && errB == nil && pa == pb
}

func schemes[V any](m map[string]V) string {
	s := make([]string, 0, len(m))
	for k := range m {
		s = append(s, k+"://")
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}
