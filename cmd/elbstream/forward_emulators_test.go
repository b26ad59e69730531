package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"testing"

	"github.com/elbstream/elbstream/internal/testenv"
	"github.com/elbstream/elbstream/stream"
	"github.com/elbstream/elbstream/stream/kinesis"
	"github.com/elbstream/elbstream/stream/kinesis/kinesistest"
	"github.com/elbstream/elbstream/stream/kpl"
)

// The production pairing on the emulators: the binary forwards a Kinesis
// stream (kinesalite) with checkpoints in DynamoDB (dynalite), `checkpoints
// list` shows them, and a replay under a new consumer delivers everything
// again without moving the live consumer's checkpoints.
func TestForwardBinaryOnKinesisAndDynamoDB(t *testing.T) {
	testenv.DynamoDB(t)
	client := kinesistest.Client(t)
	name := kinesistest.CreateStream(t, client, 2)
	s, err := kinesis.New(client, name)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var entries []stream.Entry
	var a kpl.Aggregator
	for r := range 40 {
		for i := range 10 {
			id := fmt.Sprintf("%s-%d-%d", t.Name(), r, i)
			if ok, err := a.Add(kpl.Record{PartitionKey: strconv.Itoa(r), Data: fmt.Appendf(nil, `{"event":{"id":%q}}`, id), Position: -1}); err != nil || !ok {
				t.Fatal(ok, err)
			}
			ids = append(ids, id)
		}
		entries = append(entries, a.Flush())
	}
	res, err := s.Put(context.Background(), entries)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if !r.OK() {
			t.Fatalf("put: %+v", r)
		}
	}

	bin := elbstreamBinary(t)
	table := kinesistest.UniqueName(t)
	cps := "dynamodb://" + table
	forward := func(to string, extra ...string) {
		t.Helper()
		args := append([]string{"forward", "--from", "kinesis://" + name, "--checkpoints", cps + "?create=true",
			"--to", to, "--drain", "--lease-ttl", "5s"}, extra...)
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Fatalf("forward: %v\n%s", err, out)
		}
	}
	list := func(consumer string) []shardRow {
		t.Helper()
		out, err := exec.Command(bin, "checkpoints", "list", "--checkpoints", cps, "--consumer", consumer,
			"--stream", "kinesis://"+name, "--json").Output()
		if err != nil {
			t.Fatalf("checkpoints list: %v", err)
		}
		var rows []shardRow
		if err := json.Unmarshal(out, &rows); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return rows
	}

	live := startLumber(t, nil)
	forward("beats://"+live.addr, "--consumer", "live")
	if missing, dups := live.report(ids); missing != 0 || dups != 0 {
		t.Fatalf("live: %d missing, %d duplicates", missing, dups)
	}
	before := list("live")
	if len(before) != 2 {
		t.Fatalf("rows %+v", before)
	}
	for _, r := range before {
		if r.Sequence == "" {
			t.Errorf("%s has no checkpoint", r.ShardID)
		}
	}

	replay := startLumber(t, nil)
	forward("beats://"+replay.addr, "--consumer", "replay", "--start-at", "trim-horizon")
	if missing, dups := replay.report(ids); missing != 0 || dups != 0 {
		t.Fatalf("replay: %d missing, %d duplicates", missing, dups)
	}
	after := list("live")
	for i := range before {
		if after[i].Sequence != before[i].Sequence || !after[i].UpdatedAt.Equal(before[i].UpdatedAt) {
			t.Errorf("live checkpoint moved: %+v -> %+v", before[i], after[i])
		}
	}
}
