package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elbstream/elbstream/stream"
	cplocal "github.com/elbstream/elbstream/stream/checkpoint/local"
)

// TestReadersRefuseMissingLocalStream: a reader's local:// URL that names
// no stream (a typo) is an error naming it, and creates nothing; a writer's
// creates the stream.
func TestReadersRefuseMissingLocalStream(t *testing.T) {
	dir := t.TempDir()
	typo := filepath.Join(dir, "evnets")
	// The checkpoint store exists: only the stream is mistyped here (a
	// missing store is refused on its own, TestCheckpointsList).
	cp, err := cplocal.Open(filepath.Join(dir, "cp.db"))
	if err != nil {
		t.Fatal(err)
	}
	cp.Close()
	for _, args := range [][]string{
		{"forward", "--from", "local://" + typo, "--to", "stdout", "--drain"},
		{"transform", "--from", "local://" + typo, "--to", "local://" + filepath.Join(dir, "out"), "--drain"},
		{"checkpoints", "list", "--checkpoints", "local://" + filepath.Join(dir, "cp.db"), "--consumer", "forward", "--stream", "local://" + typo},
	} {
		var out, errb bytes.Buffer
		code := run(args, strings.NewReader(""), &out, &errb)
		if code != 1 || !strings.Contains(errb.String(), "local://"+typo+": stream not found") {
			t.Errorf("%s: exit %d, stderr:\n%s", args[0], code, errb.String())
		}
		if _, err := os.Stat(typo); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s created the mistyped stream's directory (%v)", args[0], err)
		}
	}
	if _, err := openExistingStream(context.Background(), "local://"+typo); !errors.Is(err, stream.ErrStreamNotFound) {
		t.Errorf("openExistingStream(missing) = %v, want ErrStreamNotFound", err)
	}
	s, err := openStream(context.Background(), "local://"+typo)
	if err != nil {
		t.Fatalf("a writer's openStream: %v", err)
	}
	s.Close()
	s, err = openExistingStream(context.Background(), "local://"+typo)
	if err != nil {
		t.Fatalf("openExistingStream after the writer created it: %v", err)
	}
	s.Close()
}

// TestNoRegionIsSaidPlainly: with no region configured, AWS URLs fail at
// once saying so, not with the SDK's "not a valid DNS name" at the first
// call.
func TestNoRegionIsSaidPlainly(t *testing.T) {
	dir := t.TempDir()
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	for _, args := range [][]string{
		{"forward", "--from", "kinesis://events", "--to", "stdout", "--checkpoints", "local://" + filepath.Join(dir, "cp.db")},
		{"forward", "--from", "local://" + dir + "/s", "--to", "stdout", "--checkpoints", "dynamodb://table"},
		{"ingest", "--stream", "local://" + filepath.Join(dir, "raw"), "s3://bucket/key.log"},
	} {
		if args[0] == "forward" && strings.HasPrefix(args[2], "local://") {
			s, err := openStream(context.Background(), args[2])
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
		}
		var out, errb bytes.Buffer
		code := run(args, strings.NewReader(""), &out, &errb)
		if code != 1 || !strings.Contains(errb.String(), "no AWS region: set AWS_REGION") {
			t.Errorf("%q: exit %d, stderr:\n%s", args, code, errb.String())
		}
	}
}

// TestSameStream: the spellings of one stream are one stream, and two
// streams are two.
func TestSameStream(t *testing.T) {
	const arn = "arn:aws:kinesis:us-east-1:123456789012:stream/elb-raw"
	dir := t.TempDir()
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{arn, arn, true},
		{"kinesis://" + arn, arn, true},
		{"kinesis://elb-raw", arn, true},
		{"kinesis://elb-raw", "kinesis://elb-raw", true},
		{"kinesis://elb-raw", "kinesis://elb-events", false},
		{arn, "arn:aws:kinesis:us-east-1:123456789012:stream/elb-events", false},
		{"kinesis://elb-events", arn, false},
		{"local://" + dir + "/raw", "local://" + dir + "/./raw", true},
		{"local://" + dir + "/raw", "local://" + dir + "/events", false},
		{"local://" + dir + "/raw", "kinesis://raw", false},
	} {
		if got := sameStream(tc.a, tc.b); got != tc.same {
			t.Errorf("sameStream(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
}
