package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/local"
)

func init() {
	streamOpeners["local"] = openLocalStream
	streamExists["local"] = localStreamExists
}

// localStreamExists reports a local://DIR with no stream in it, wrapping
// stream.ErrStreamNotFound as the Kinesis backend does for a missing
// stream.
func localStreamExists(u *url.URL) error {
	_, err := os.Stat(filepath.Join(u.Opaque, local.FileName))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("stream local://%s: %w: no %s in %s (a stream is created by its writer: ingest --stream, transform --to, or run)",
			u.Opaque, stream.ErrStreamNotFound, local.FileName, u.Opaque)
	}
	return nil // any other problem is reported by opening it
}

// openLocalStream opens local://DIR?shards=N&retention=D&max-record-bytes=N&throttle=true,
// creating DIR and the stream if they do not exist.
func openLocalStream(_ context.Context, u *url.URL) (stream.Stream, error) {
	opts, err := local.OptionsFromQuery(u.Query())
	if err != nil {
		return nil, fmt.Errorf("stream local://%s: %w", u.Opaque, err)
	}
	return local.Open(u.Opaque, opts)
}
