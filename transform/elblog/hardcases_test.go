package elblog_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/elbstream/elbstream/transform/elblog"
)

// hardCaseLines are lines with the cases real logs contain; the table tests
// below check what each becomes, and FuzzParse starts from them.
var hardCaseLines = []string{
	// IPv6 client
	`http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 2001:db8::1:51234 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - -`,
	// \x22 and \x5C
	`h2 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 10.0.1.252:48160 10.0.0.66:9000 0.000 0.002 0.000 200 200 5 257 "GET https://10.0.2.105:773/ HTTP/2.0" "user\x22agent\x22 \x5C(Java\x5C)" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2`,
	// spaces inside the URL
	`http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/a b/c d?q=x y HTTP/1.1" "curl/7.46.0" - -`,
	// CRLF line ending
	"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 \"GET http://www.example.com:80/ HTTP/1.1\" \"curl/7.38.0\" - -\r\n",
	// invalid UTF-8
	"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 \"GET http://www.example.com:80/\xff HTTP/1.1\" \"caf\xe9 \xc3\xa9\" - -",
	// fields AWS may add later
	`http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90 "-" "-" "-" "new \x22field\x22" 42`,
	// control line
	"Enable AccessLog for ELB: app/elb-name/abc123456 at 2025-05-30T16:47:00.781Z",
	// not a log line
	`{"this":"is json"}`,
}

func encodeOne(t *testing.T, enc *elblog.Encoder, line string) (map[string]any, elblog.Outcome, error) {
	t.Helper()
	out, outcome, err := enc.AppendJSON(nil, []byte(line), elblog.Provenance{Source: "test", Position: 1})
	if outcome == elblog.Skipped {
		return nil, outcome, err
	}
	if !utf8.Valid(out) || !json.Valid(out) {
		t.Fatalf("invalid JSON: %q", out)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	return m, outcome, err
}

// get returns the value at a dotted path of a decoded event.
func get(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = obj[k]
	}
	return v
}

func TestHardCases(t *testing.T) {
	const alb = `http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-"`
	const clb = `2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -`
	tests := []struct {
		name    string
		line    string
		outcome elblog.Outcome
		want    map[string]any // path → value (nil: absent)
	}{
		{"ipv6 client split at the last colon", strings.Replace(alb, "192.168.131.39:2817", "2001:db8::1:51234", 1), elblog.Parsed,
			map[string]any{"source.ip": "2001:db8::1", "source.port": 51234.0}},
		{"bracketed ipv6", strings.Replace(alb, "192.168.131.39:2817", "[2001:db8::1]:51234", 1), elblog.Parsed,
			map[string]any{"source.ip": "2001:db8::1", "source.port": 51234.0}},
		{"ipv4-mapped ipv6 target", strings.Replace(alb, "10.0.0.1:80 0.000", "::ffff:10.0.0.1:80 0.000", 1), elblog.Parsed,
			map[string]any{"aws.elb.backend.ip": "::ffff:10.0.0.1", "aws.elb.backend.port": 80.0}},
		{`\x22 and \x5C decoded`, strings.Replace(alb, `"curl/7.46.0"`, `"a\x22b\x5Cc\x5c"`, 1), elblog.Parsed,
			map[string]any{"user_agent.original": `a"b\c\`}},
		{`other backslashes kept`, strings.Replace(alb, `"curl/7.46.0"`, `"a\nb\x2"`, 1), elblog.Parsed,
			map[string]any{"user_agent.original": `a\nb\x2`}},
		{"spaces inside the URL", strings.Replace(alb, "http://www.example.com:80/ HTTP", "http://www.example.com:80/a b?c d HTTP", 1), elblog.Parsed,
			map[string]any{"url.original": "http://www.example.com:80/a b?c d", "url.path": "/a b", "url.query": "c d",
				"http.request.method": "GET", "http.version": "1.1"}},
		{"CRLF", clb + "\r\n", elblog.Parsed, map[string]any{"user_agent.original": "curl/7.38.0", "aws.elb.extra": nil}},
		{"LF", clb + "\n", elblog.Parsed, map[string]any{"user_agent.original": "curl/7.38.0"}},
		{"invalid UTF-8 becomes U+FFFD per byte", strings.Replace(clb, "curl/7.38.0", "caf\xe9 \xc3\xa9\xff", 1), elblog.Parsed,
			map[string]any{"user_agent.original": "caf\uFFFD é\uFFFD"}},
		{"escaped bytes that are not UTF-8", strings.Replace(clb, "curl/7.38.0", `x\xff\xC3\xA9`, 1), elblog.Parsed,
			map[string]any{"user_agent.original": "x\uFFFDé"}},
		{"control characters escaped", strings.Replace(clb, "curl/7.38.0", "a\tb\x01", 1), elblog.Parsed,
			map[string]any{"user_agent.original": "a\tb\x01"}},
		{"future ALB fields kept", alb + ` TID_1 "-" "-" "-" "new" 42`, elblog.Parsed,
			map[string]any{"aws.elb.extra": `"new" 42`, "aws.elb.conn_trace_id": "TID_1"}},
		{"16-field ALB form", alb[:strings.Index(alb, " arn:")], elblog.Parsed,
			map[string]any{"aws.elb.target_group": nil, "http.response.status_code": 200.0}},
		{"-1 times and a failed target", strings.Replace(alb, "10.0.0.1:80 0.000 0.001 0.000 200 200", "- -1 -1 -1 504 -", 1), elblog.Parsed,
			map[string]any{"aws.elb.request_processing_time": nil, "aws.elb.backend.ip": nil, "event.outcome": "failure",
				"http.response.status_code": 504.0}},
		{"lambda target", strings.Replace(alb, "10.0.0.1:80 0.000", "- 0.000", 1), elblog.Parsed,
			map[string]any{"aws.elb.backend.ip": nil, "aws.elb.backend.http.response.status_code": 200.0}},
		{"classic TCP listener", `2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.001069 0.000028 0.000041 - - 82 305 "- - - " "-" - -`, elblog.Parsed,
			map[string]any{"aws.elb.protocol": "tcp", "source.bytes": 82.0, "destination.bytes": 305.0, "http": nil, "url": nil}},
		{"NLB ALPN list", `tls 2.0 2020-04-01T08:51:42 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 - my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com h2 h2 "h2","http/1.1"`, elblog.Parsed,
			map[string]any{"aws.elb.alpn_client_preference_list": []any{"h2", "http/1.1"}, "@timestamp": "2020-04-01T08:51:42Z", "tls.version": "1.2"}},
		{"access control line", "Enable AccessLog for ELB: app/elb-name/abc123456 at 2025-05-30T16:47:00.781Z", elblog.Skipped, nil},
		{"connection control line", "Enable ConnectionLog for ELB: app/elb-name/abc123456 at 2025-05-30T16:47:00.781Z\r\n", elblog.Skipped, nil},
		{"blank line", "\r\n", elblog.Skipped, nil},
		{"unterminated quote", `2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.1 0.1 0.1 200 200 0 29 "GET / HTTP/1.1`, elblog.Failed,
			map[string]any{"tags": []any{"_elbparsefailure"}, "error.message": "clb: field 12 (request) at byte 101: unterminated quoted field"}},
		{"bad port", strings.Replace(clb, ":2817", ":65536", 1), elblog.Failed,
			map[string]any{"error.message": `clb: field 3 (client:port) at byte 44: want ip:port: "192.168.131.39:65536"`}},
		{"numbers with leading zeros", strings.Replace(strings.Replace(alb, "200 200 34 366", "0200 000 0034 00", 1), "www.example.com:80/", "www.example.com:0080/", 1), elblog.Parsed,
			map[string]any{"http.response.status_code": 200.0, "aws.elb.backend.http.response.status_code": 0.0,
				"http.request.body.bytes": 34.0, "http.response.body.bytes": 0.0, "url.port": 80.0}},
		{"ipv4 with a leading zero", strings.Replace(clb, "192.168.131.39", "192.168.131.039", 1), elblog.Failed, nil},
		{"garbage", "\x00\xff garbage", elblog.Failed,
			map[string]any{"event.original": "\x00\uFFFD garbage", "@timestamp": nil}},
	}
	// Every TLS and SSL version tls.version knows, in AWS's two spellings,
	// and one it does not (then only aws.elb.ssl_protocol has it).
	for proto, want := range map[string][2]any{
		"TLSv1": {"1.0", "tls"}, "TLSv1.1": {"1.1", "tls"}, "TLSv1.2": {"1.2", "tls"}, "TLSv1.3": {"1.3", "tls"},
		"tlsv10": {"1.0", "tls"}, "tlsv11": {"1.1", "tls"}, "tlsv12": {"1.2", "tls"}, "tlsv13": {"1.3", "tls"},
		"SSLv2": {"2.0", "ssl"}, "SSLv3": {"3.0", "ssl"}, "sslv3": {"3.0", "ssl"}, "TLSv9": {nil, nil},
	} {
		tests = append(tests, struct {
			name    string
			line    string
			outcome elblog.Outcome
			want    map[string]any
		}{"tls version " + proto, strings.Replace(alb, `"curl/7.46.0" - -`, `"curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 `+proto, 1),
			elblog.Parsed, map[string]any{"tls.version": want[0], "tls.version_protocol": want[1], "aws.elb.ssl_protocol": proto}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var enc elblog.Encoder
			m, outcome, err := encodeOne(t, &enc, tt.line)
			if outcome != tt.outcome {
				t.Fatalf("outcome %v (%v), want %v", outcome, err, tt.outcome)
			}
			for path, want := range tt.want {
				if got := get(m, path); !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v", path, got, want)
				}
			}
		})
	}
}

func TestFormatFixed(t *testing.T) {
	// An ALB line read as CLB fails (field 1 is not a timestamp) instead of
	// being guessed.
	enc := elblog.Encoder{Format: elblog.CLB}
	_, outcome, err := encodeOne(t, &enc, hardCaseLines[0])
	var pe *elblog.ParseError
	if outcome != elblog.Failed || !errors.As(err, &pe) || pe.Field != 1 || pe.Format != elblog.CLB {
		t.Fatalf("outcome %v, err %v", outcome, err)
	}
}

func TestStaticFields(t *testing.T) {
	enc := elblog.Encoder{Fields: []elblog.Field{
		{Key: "labels.env", Value: "prod"}, {Key: "cloud.account.id", Value: "123"},
		{Key: "labels.team", Value: `we"b`}, {Key: "service.name", Value: "shop"},
	}}
	m, _, _ := encodeOne(t, &enc, hardCaseLines[0])
	for path, want := range map[string]any{"labels.env": "prod", "labels.team": `we"b`, "cloud.account.id": "123",
		"cloud.provider": "aws", "service.name": "shop"} {
		if got := get(m, path); got != want {
			t.Errorf("%s = %#v, want %#v", path, got, want)
		}
	}
	m, _, _ = encodeOne(t, &enc, "not a log line")
	if get(m, "cloud.account.id") != "123" || get(m, "labels.env") != "prod" {
		t.Errorf("failure event lacks static fields: %v", m)
	}

	classic := elblog.Encoder{Schema: elblog.Classic, Fields: []elblog.Field{{Key: "Environment", Value: "prod"}, {Key: "Type", Value: "elb"}}}
	m, _, _ = encodeOne(t, &classic, hardCaseLines[3])
	for path, want := range map[string]any{"Environment": "prod", "Type": "elb", "SourceModuleName": "ELB",
		"TimeToForwardRequest": 0.0, "TimeTaken": 1.0, "Status": "200", "FullRequest": "GET http://www.example.com:80/ HTTP/1.1"} {
		if got := get(m, path); got != want {
			t.Errorf("classic %s = %#v, want %#v", path, got, want)
		}
	}

	for _, bad := range [][]elblog.Field{
		{{Key: "event.id", Value: "x"}},
		{{Key: "aws.elb.foo", Value: "x"}},
		{{Key: "@timestamp", Value: "x"}},
		{{Key: "tags", Value: "x"}},
		{{Key: "a.b", Value: "1"}, {Key: "a.b.c", Value: "2"}},
		{{Key: "a", Value: "1"}, {Key: "a", Value: "2"}},
		{{Key: "a..b", Value: "1"}},
	} {
		enc := elblog.Encoder{Fields: bad}
		if err := enc.Init(); !errors.Is(err, elblog.ErrConfig) {
			t.Errorf("Fields %v: Init() = %v, want ErrConfig", bad, err)
		}
		out, outcome, err := enc.AppendJSON(nil, []byte(hardCaseLines[0]), elblog.Provenance{})
		if len(out) != 0 || outcome != elblog.Failed || !errors.Is(err, elblog.ErrConfig) {
			t.Errorf("Fields %v: AppendJSON = %q, %v, %v", bad, out, outcome, err)
		}
	}
	classicBad := elblog.Encoder{Schema: elblog.Classic, Fields: []elblog.Field{{Key: "TimeTaken", Value: "1"}}}
	if err := classicBad.Init(); !errors.Is(err, elblog.ErrConfig) {
		t.Errorf("classic TimeTaken field: %v", err)
	}
}

func TestParseField(t *testing.T) {
	f, err := elblog.ParseField("labels.env=prod=1")
	if err != nil || f.Key != "labels.env" || f.Value != "prod=1" {
		t.Errorf("ParseField = %+v, %v", f, err)
	}
	for _, bad := range []string{"novalue", "=x", "a..b=c", ".a=b"} {
		if _, err := elblog.ParseField(bad); err == nil {
			t.Errorf("ParseField(%q) accepted", bad)
		}
	}
}

func TestMillisRounding(t *testing.T) {
	enc := elblog.Encoder{Schema: elblog.Classic}
	for sec, want := range map[string]float64{"0.0004": 0, "0.0005": 1, "0.0015": 2, "1.2345": 1235, "2": 2000, "0.000073": 0, "007.5": 7500} {
		line := strings.Replace(hardCaseLines[3], "0.000073", sec, 1)
		m, _, err := encodeOne(t, &enc, line)
		if got := get(m, "TimeToForwardRequest"); got != want {
			t.Errorf("%s s = %v ms (%v), want %v", sec, got, err, want)
		}
	}
}
