package main

import (
	"context"
	"fmt"
	"net/url"

	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/local"
)

func init() {
	streamOpeners["local"] = openLocalStream
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
