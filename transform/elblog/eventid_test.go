package elblog_test

import (
	"strings"
	"testing"

	"github.com/elbstream/elbstream/transform/elblog"
)

// TestEventIDFrozen pins event.id: the values below were computed once from
// the documented definition, by an independent implementation (Python's
// hashlib and base64). If this test fails, ids changed, and every
// replay into an index written by an earlier version would duplicate every
// document. Do not update the values; restore the definition.
func TestEventIDFrozen(t *testing.T) {
	for _, tt := range []struct {
		p    elblog.Provenance
		line string
		want string
	}{
		{elblog.Provenance{Source: "s3://my-bucket/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2024/03/01/x.log.gz#etag", Position: 0}, "", "D8XbgS4PLP_kW-pQJJCuAAAAAAAAAAAA"},
		{elblog.Provenance{Source: "s3://my-bucket/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2024/03/01/x.log.gz#etag", Position: 1234567}, "", "D8XbgS4PLP_kW-pQJJCuAAAAAAAAEtaH"},
		{elblog.Provenance{Source: "-", Position: 1}, "", "OXPgIukyIPkhLBjQ0MVDAAAAAAAAAAAB"},
		{elblog.Provenance{Source: "-", Position: -1}, "a line", "OXPgIukyIPkhLBjQ0MVDATG57kqDC3VY"},
	} {
		got := string(elblog.AppendEventID(nil, tt.p, []byte(tt.line)))
		if got != tt.want || len(got) != elblog.EventIDLen {
			t.Errorf("AppendEventID(%+v, %q) = %q, want %q", tt.p, tt.line, got, tt.want)
		}
		if ref := refEventID(tt.p, tt.line); ref != got {
			t.Errorf("reference definition gives %q, encoder %q", ref, got)
		}
	}
}

// TestEventIDDeterministic: the id depends on the provenance (and on the
// line only without a position), never on the schema or the encoder's
// state.
func TestEventIDDeterministic(t *testing.T) {
	line := hardCaseLines[0]
	id := func(enc *elblog.Encoder, p elblog.Provenance, l string) string {
		out, _, _ := enc.AppendJSON(nil, []byte(l), p)
		i := strings.Index(string(out), `"id":"`)
		return string(out[i+6 : i+6+elblog.EventIDLen])
	}
	p := elblog.Provenance{Source: "s3://b/k", Position: 42}
	ecs, classic := &elblog.Encoder{}, &elblog.Encoder{Schema: elblog.Classic}
	a := id(ecs, p, line)
	id(ecs, elblog.Provenance{Source: "other", Position: 42}, line) // change the cached source
	if b := id(ecs, p, line); b != a {
		t.Errorf("same provenance, ids %q and %q", a, b)
	}
	if c := id(classic, p, line); c != a {
		t.Errorf("classic id %q, ECS id %q", c, a)
	}
	if d := id(ecs, p, "garbage"); d != a {
		t.Errorf("failure event id %q, want %q: the id does not depend on the line", d, a)
	}
	if e := id(ecs, elblog.Provenance{Source: "s3://b/k", Position: 43}, line); e == a {
		t.Error("next position, same id")
	}
	unknown := elblog.Provenance{Source: "s3://b/k", Position: -1}
	if id(ecs, unknown, line) == id(ecs, unknown, hardCaseLines[1]) {
		t.Error("without a position, different lines got one id")
	}
}
