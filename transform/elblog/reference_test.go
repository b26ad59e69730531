package elblog_test

// A slow reference implementation of elblog, written independently of the
// fast one: regular expressions split and check the fields, events are built
// as maps, encoding/json writes them. FuzzParse checks that both agree on
// every input; the golden files check both against AWS's examples.

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/elbstream/elbstream/transform/elblog"
)

type refFormat struct {
	name  string
	known []string // AWS's field names
	min   int      // fields of the oldest form
	bare  int      // index of a field never read as quoted (-1: none)
	kinds map[int]string
	re    *regexp.Regexp
}

var refFormats = map[elblog.Format]*refFormat{
	elblog.CLB: {name: "clb", min: 15, bare: -1, known: strings.Fields(`time elb client:port backend:port
		request_processing_time backend_processing_time response_processing_time elb_status_code
		backend_status_code received_bytes sent_bytes request user_agent ssl_cipher ssl_protocol`),
		kinds: map[int]string{0: "time", 2: "hostport", 3: "hostport-", 4: "sec", 5: "sec", 6: "sec",
			7: "status", 8: "status", 9: "count", 10: "count"}},
	elblog.ALB: {name: "alb", min: 16, bare: -1, known: strings.Fields(`type time elb client:port target:port
		request_processing_time target_processing_time response_processing_time elb_status_code
		target_status_code received_bytes sent_bytes request user_agent ssl_cipher ssl_protocol
		target_group_arn trace_id domain_name chosen_cert_arn matched_rule_priority
		request_creation_time actions_executed redirect_url error_reason target:port_list
		target_status_code_list classification classification_reason conn_trace_id transformed_host
		transformed_uri request_transform_status`),
		kinds: map[int]string{1: "time", 3: "hostport", 4: "hostport-", 5: "sec", 6: "sec", 7: "sec",
			8: "status", 9: "status", 10: "count", 11: "count", 20: "priority", 21: "time-"}},
	elblog.ALBConnection: {name: "alb-conn", min: 12, bare: -1, known: strings.Fields(`time client_ip
		client_port listener_port tls_protocol tls_cipher tls_handshake_latency leaf_client_cert_subject
		leaf_client_cert_validity leaf_client_cert_serial_number tls_verify_status conn_trace_id`),
		kinds: map[int]string{0: "time", 1: "ip", 2: "port", 3: "port", 6: "sec"}},
	elblog.NLB: {name: "nlb", min: 21, bare: 20, known: strings.Fields(`type version time elb listener
		client:port destination:port connection_time tls_handshake_time received_bytes sent_bytes
		incoming_tls_alert chosen_cert_arn chosen_cert_serial tls_cipher tls_protocol_version
		tls_named_group domain_name alpn_fe_protocol alpn_be_protocol alpn_client_preference_list
		tls_connection_creation_time`),
		kinds: map[int]string{2: "time", 5: "hostport", 6: "hostport", 7: "count", 8: "count", 9: "count",
			10: "count", 21: "time-"}},
}

func init() {
	// One regexp per format: min fields, then each later field optional,
	// then whatever follows as one "extra" group. A field is quoted (no
	// quote inside) or bare (no space, not starting with a quote).
	const quoted, bare, anyBare = `"([^"]*)"`, `([^ "][^ ]*)`, `([^ ]+)`
	for _, f := range refFormats {
		field := func(i int) string {
			if i == f.bare {
				return `(?:()` + anyBare + `)`
			}
			return `(?:` + quoted + `|` + bare + `)`
		}
		var b strings.Builder
		b.WriteString(`(?s)^`)
		for i := range f.min {
			if i > 0 {
				b.WriteString(" ")
			}
			b.WriteString(field(i))
		}
		// Later fields nest, so the extra group follows the last known
		// field only.
		for i := f.min; i < len(f.known); i++ {
			b.WriteString(`(?: ` + field(i))
		}
		b.WriteString(`(?: (.+))?`)
		b.WriteString(strings.Repeat(`)?`, len(f.known)-f.min))
		b.WriteString(`$`)
		f.re = regexp.MustCompile(b.String())
	}
}

var (
	refTime      = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?Z?$`)
	refCount     = regexp.MustCompile(`^\d{1,18}$`)
	refDecimal   = regexp.MustCompile(`^0*(\d+)(\.\d+)?$`)
	refSecondsRe = regexp.MustCompile(`^\d{1,18}(\.\d+)?$`)
	refPortRe    = regexp.MustCompile(`^\d{1,5}$`)
	refEscape    = regexp.MustCompile(`\\x[0-9a-fA-F]{2}`)
	refRequest   = regexp.MustCompile(`(?s)^([^ ]*) (.*) (HTTP/[^ ]*|-)$`)
	refURL       = regexp.MustCompile(`(?s)^(?:([A-Za-z][A-Za-z0-9+.\-]*)://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$`)
	refTLS       = regexp.MustCompile(`(?i)^(tls|ssl)v(.*)$`)
	refValidity  = regexp.MustCompile(`(?s)^NotBefore=(.*?);NotAfter=(.*)$`)
)

// refField is one field of a line.
type refField struct {
	s      string
	quoted bool
	ok     bool // present in the line
}

// refLine is a line split and checked.
type refLine struct {
	f     elblog.Format
	v     []refField
	extra string
}

// val returns field i with AWS escapes decoded when it was quoted; "" when
// absent or AWS's "-".
func (l *refLine) val(i int) string {
	if i >= len(l.v) || !l.v[i].ok || l.v[i].s == "-" {
		return ""
	}
	if l.v[i].quoted {
		return refDecode(l.v[i].s)
	}
	return l.v[i].s
}

func (l *refLine) raw(i int) (string, bool) {
	if i >= len(l.v) || !l.v[i].ok {
		return "", false
	}
	return l.v[i].s, true
}

func refDecode(s string) string {
	return refEscape.ReplaceAllStringFunc(s, func(m string) string {
		b, _ := strconv.ParseUint(m[2:], 16, 8)
		return string([]byte{byte(b)})
	})
}

func refIP(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Zone() == ""
}

func refHostPort(s string) (ip string, port int, ok bool) {
	i := strings.LastIndex(s, ":")
	if i <= 0 || !refPortRe.MatchString(s[i+1:]) {
		return "", 0, false
	}
	port, _ = strconv.Atoi(s[i+1:])
	ip = s[:i]
	if len(ip) > 2 && ip[0] == '[' && ip[len(ip)-1] == ']' {
		ip = ip[1 : len(ip)-1]
	}
	return ip, port, port <= 65535 && refIP(ip)
}

func refCheck(kind, s string) bool {
	dash := s == "-"
	switch kind {
	case "time":
		return refTime.MatchString(s)
	case "time-":
		return dash || refTime.MatchString(s)
	case "hostport":
		_, _, ok := refHostPort(s)
		return ok
	case "hostport-":
		_, _, ok := refHostPort(s)
		return ok || dash
	case "ip":
		return refIP(s)
	case "port":
		n, err := strconv.Atoi(s)
		return refPortRe.MatchString(s) && err == nil && n <= 65535
	case "status":
		n, err := strconv.ParseUint(s, 10, 64)
		return dash || (refCount.MatchString(s) && err == nil && n <= 999)
	case "count":
		return dash || refCount.MatchString(s)
	case "sec":
		return dash || s == "-1" || refSecondsRe.MatchString(s)
	case "priority":
		return dash || s == "-1" || refCount.MatchString(s)
	}
	return true
}

func refDetect(line string) elblog.Format {
	switch {
	case line == "":
		return elblog.Auto
	case strings.HasPrefix(line, "tls "):
		return elblog.NLB
	case regexp.MustCompile(`^[a-z][a-z0-9]* [0-9]`).MatchString(line):
		return elblog.ALB
	case line[0] >= '0' && line[0] <= '9':
		parts := strings.SplitN(line, " ", 4)
		if len(parts) < 3 {
			return elblog.Auto
		}
		if regexp.MustCompile(`^\d+$`).MatchString(parts[2]) {
			return elblog.ALBConnection
		}
		return elblog.CLB
	}
	return elblog.Auto
}

// refSplit splits and checks line as format f; nil if it does not parse.
func refSplit(line string, f elblog.Format) *refLine {
	rf := refFormats[f]
	m := rf.re.FindStringSubmatchIndex(line)
	if m == nil {
		return nil
	}
	l := &refLine{f: f}
	for i := range rf.known {
		q, b := 2+4*i, 4+4*i
		switch {
		case m[q] >= 0 && i != rf.bare:
			l.v = append(l.v, refField{s: line[m[q]:m[q+1]], quoted: true, ok: true})
		case m[b] >= 0:
			l.v = append(l.v, refField{s: line[m[b]:m[b+1]], ok: true})
		}
	}
	if e := 2 + 4*len(rf.known); m[e] >= 0 {
		l.extra = line[m[e]:m[e+1]]
	}
	for i, kind := range rf.kinds {
		if i < len(l.v) && !refCheck(kind, l.v[i].s) {
			return nil
		}
	}
	return l
}

// refEncode returns the event for line as the fast encoder should write it,
// and the outcome.
func refEncode(line string, format elblog.Format, schema elblog.Schema, fields []elblog.Field, p elblog.Provenance) (map[string]any, elblog.Outcome) {
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" || strings.HasPrefix(line, "Enable AccessLog for ELB: ") || strings.HasPrefix(line, "Enable ConnectionLog for ELB: ") {
		return nil, elblog.Skipped
	}
	f := format
	if f == elblog.Auto {
		f = refDetect(line)
	}
	var l *refLine
	if f != elblog.Auto {
		l = refSplit(line, f)
	}
	ev := map[string]any{}
	set := func(path string, v any) { refSet(ev, path, v) }
	id := refEventID(p, line)
	outcome := elblog.Parsed
	switch {
	case l == nil:
		set("event.id", id)
		set("event.kind", "pipeline_error")
		set("event.original", line)
		set("error.message", "(not compared)")
		set("tags", []any{"_elbparsefailure"})
		outcome = elblog.Failed
	case schema == elblog.Classic:
		refClassic(l, set)
		set("event.id", id)
	default:
		refECS(l, set)
		set("event.id", id)
	}
	if schema == elblog.Classic {
		defaults := []elblog.Field{{Key: "SourceModuleName", Value: "ELB"}, {Key: "Type", Value: "logs"}}
		fields = append(defaults, fields...)
	}
	for _, fl := range fields {
		set(fl.Key, fl.Value)
	}
	// Round-trip through encoding/json: the types and the U+FFFD
	// replacement of invalid UTF-8 become what a JSON reader sees.
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out, outcome
}

func refSet(m map[string]any, path string, v any) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
}

func refEventID(p elblog.Provenance, line string) string {
	src := sha256.Sum256([]byte(p.Source))
	b := append([]byte(nil), src[:15]...)
	if p.Position >= 0 {
		b = append(b, 0)
		b = binary.BigEndian.AppendUint64(b, uint64(p.Position))
	} else {
		h := sha256.Sum256([]byte(line))
		b = append(append(b, 1), h[:8]...)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Typed values as the encoder writes them; nil means "leave out".

func refInt(l *refLine, i int) any {
	s := l.val(i)
	if s == "" || s == "-1" {
		return nil
	}
	n, _ := strconv.ParseUint(s, 10, 64)
	return n
}

func refSeconds(l *refLine, i int) any {
	s := l.val(i)
	if s == "" || s == "-1" {
		return nil
	}
	return json.Number(refDecimal.ReplaceAllString(s, "$1$2"))
}

func refMillis(l *refLine, i int) any {
	s := l.val(i)
	if s == "" || s == "-1" {
		return nil
	}
	intPart, frac, _ := strings.Cut(s, ".")
	frac = (frac + "0000")[:4]
	n, _ := strconv.ParseUint(intPart, 10, 64)
	ms := n*1000 + uint64(frac[0]-'0')*100 + uint64(frac[1]-'0')*10 + uint64(frac[2]-'0')
	if frac[3] >= '5' {
		ms++
	}
	return ms
}

func refTimestamp(s string) any {
	if s == "" {
		return nil
	}
	if !strings.HasSuffix(s, "Z") {
		s += "Z"
	}
	return s
}

func refStr(l *refLine, i int) any {
	if s := l.val(i); s != "" {
		return s
	}
	return nil
}

func refTLSVersion(s string) (version, protocol string) {
	m := refTLS.FindStringSubmatch(s)
	if m == nil {
		return "", ""
	}
	versions := map[string]string{"1": "1.0", "1.0": "1.0", "10": "1.0", "1.1": "1.1", "11": "1.1",
		"1.2": "1.2", "12": "1.2", "1.3": "1.3", "13": "1.3", "2": "2.0", "2.0": "2.0", "20": "2.0",
		"3": "3.0", "3.0": "3.0", "30": "3.0"}
	v, ok := versions[m[2]]
	p := strings.ToLower(m[1])
	if !ok || (p == "tls") != strings.HasPrefix(v, "1") {
		return "", ""
	}
	return v, p
}

func refList(s, sep string) any {
	var out []any
	for _, item := range strings.Split(s, sep) {
		if item != "" {
			out = append(out, item)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func refSplitRequest(r string) (method, url, version string) {
	if r == "- - - " {
		return "", "", ""
	}
	undash := func(s string) string {
		if s == "-" {
			return ""
		}
		return s
	}
	if m := refRequest.FindStringSubmatch(r); m != nil {
		v := ""
		if strings.HasPrefix(m[3], "HTTP/") {
			v = m[3][5:]
		}
		return undash(m[1]), undash(m[2]), undash(v)
	}
	if method, rest, ok := strings.Cut(r, " "); ok {
		return undash(method), undash(rest), ""
	}
	return "", undash(r), ""
}

func refURLParts(u string, set func(string, any)) {
	m := refURL.FindStringSubmatch(u)
	set("url.original", u)
	if m[1] != "" {
		set("url.scheme", m[1])
		a := m[2]
		if i := strings.LastIndex(a, "@"); i >= 0 {
			a = a[i+1:]
		}
		var host, port string
		switch {
		case strings.HasPrefix(a, "["):
			end := strings.Index(a, "]")
			if end < 0 {
				host = a
			} else {
				host = a[1:end]
				port, _ = strings.CutPrefix(a[end+1:], ":")
			}
		case strings.Contains(a, ":"):
			c := strings.LastIndex(a, ":")
			host, port = a[:c], a[c+1:]
		default:
			host = a
		}
		if host != "" {
			set("url.domain", host)
		}
		if n, err := strconv.Atoi(port); err == nil && refPortRe.MatchString(port) && n <= 65535 {
			set("url.port", n)
		}
	}
	for k, i := range map[string]int{"url.path": 3, "url.query": 4, "url.fragment": 5} {
		if m[i] != "" {
			set(k, m[i])
		}
	}
}

func refECS(l *refLine, set func(string, any)) {
	setIf := func(path string, v any) {
		if v != nil {
			set(path, v)
		}
	}
	hostPort := func(prefix string, i int) {
		if s := l.val(i); s != "" {
			ip, port, _ := refHostPort(s)
			set(prefix+".ip", ip)
			set(prefix+".port", port)
		}
	}
	tlsVersion := func(i int) {
		if v, p := refTLSVersion(l.val(i)); v != "" {
			set("tls.version", v)
			set("tls.version_protocol", p)
		}
	}
	set("event.dataset", "aws.elb")
	set("event.kind", "event")
	set("cloud.provider", "aws")
	switch l.f {
	case elblog.CLB, elblog.ALB:
		o := 0
		if l.f == elblog.ALB {
			o = 1
		}
		set("@timestamp", refTimestamp(l.val(o)))
		method, url, version := refSplitRequest(l.val(11 + o))
		status := refInt(l, 7+o)
		tcp := l.f == elblog.CLB && status == nil && method == "" && url == ""
		if tcp {
			set("event.category", "network")
			set("aws.elb.protocol", "tcp")
			setIf("source.bytes", refInt(l, 9+o))
			setIf("destination.bytes", refInt(l, 10+o))
		} else {
			set("event.category", "web")
			set("aws.elb.protocol", "http")
			setIf("http.request.body.bytes", refInt(l, 9+o))
			setIf("http.response.body.bytes", refInt(l, 10+o))
			setIf("http.response.status_code", status)
			if method != "" {
				set("http.request.method", method)
			}
			if version != "" {
				set("http.version", version)
			}
		}
		if status != nil {
			if status.(uint64) < 400 {
				set("event.outcome", "success")
			} else {
				set("event.outcome", "failure")
			}
		}
		if url != "" {
			refURLParts(url, set)
		}
		hostPort("source", 2+o)
		hostPort("aws.elb.backend", 3+o)
		setIf("aws.elb.backend.http.response.status_code", refInt(l, 8+o))
		setIf("aws.elb.name", refStr(l, 1+o))
		setIf("user_agent.original", refStr(l, 12+o))
		setIf("tls.cipher", refStr(l, 13+o))
		tlsVersion(14 + o)
		setIf("aws.elb.ssl_protocol", refStr(l, 14+o))
		setIf("aws.elb.request_processing_time.sec", refSeconds(l, 4+o))
		setIf("aws.elb.backend_processing_time.sec", refSeconds(l, 5+o))
		setIf("aws.elb.response_processing_time.sec", refSeconds(l, 6+o))
		if l.f == elblog.ALB {
			setIf("aws.elb.type", refStr(l, 0))
			setIf("event.start", refTimestamp(l.val(21)))
			setIf("destination.domain", refStr(l, 18))
			setIf("trace.id", refStr(l, 17))
			setIf("aws.elb.target_group.arn", refStr(l, 16))
			setIf("aws.elb.chosen_cert.arn", refStr(l, 19))
			setIf("aws.elb.matched_rule_priority", refInt(l, 20))
			setIf("aws.elb.action_executed", refList(l.val(22), ","))
			setIf("aws.elb.redirect_url", refStr(l, 23))
			setIf("aws.elb.error.reason", refStr(l, 24))
			setIf("aws.elb.target_port", refList(l.val(25), " "))
			setIf("aws.elb.target_status_code", refList(l.val(26), " "))
			for i, k := range map[int]string{27: "classification", 28: "classification_reason",
				29: "conn_trace_id", 30: "transformed_host", 31: "transformed_uri", 32: "request_transform_status"} {
				setIf("aws.elb."+k, refStr(l, i))
			}
		}
	case elblog.ALBConnection:
		set("@timestamp", refTimestamp(l.val(0)))
		set("event.category", "network")
		switch s := l.val(10); {
		case s == "Success":
			set("event.outcome", "success")
		case strings.HasPrefix(s, "Failed"):
			set("event.outcome", "failure")
		}
		set("source.ip", l.val(1))
		setIf("source.port", refInt(l, 2))
		setIf("destination.port", refInt(l, 3))
		setIf("tls.cipher", refStr(l, 5))
		tlsVersion(4)
		setIf("tls.client.x509.subject.distinguished_name", refStr(l, 7))
		setIf("tls.client.x509.serial_number", refStr(l, 9))
		if m := refValidity.FindStringSubmatch(l.val(8)); m != nil && refTime.MatchString(m[1]) && refTime.MatchString(m[2]) {
			set("tls.client.not_before", refTimestamp(m[1]))
			set("tls.client.not_after", refTimestamp(m[2]))
		} else {
			setIf("aws.elb.leaf_client_cert_validity", refStr(l, 8))
		}
		setIf("aws.elb.ssl_protocol", refStr(l, 4))
		setIf("aws.elb.tls_handshake_latency.sec", refSeconds(l, 6))
		setIf("aws.elb.tls_verify_status", refStr(l, 10))
		setIf("aws.elb.conn_trace_id", refStr(l, 11))
	case elblog.NLB:
		set("@timestamp", refTimestamp(l.val(2)))
		set("event.category", "network")
		setIf("event.start", refTimestamp(l.val(21)))
		hostPort("source", 5)
		hostPort("destination", 6)
		setIf("source.bytes", refInt(l, 9))
		setIf("destination.bytes", refInt(l, 10))
		setIf("destination.domain", refStr(l, 17))
		setIf("tls.cipher", refStr(l, 14))
		tlsVersion(15)
		setIf("tls.next_protocol", refStr(l, 18))
		set("aws.elb.protocol", "tcp")
		for i, k := range map[int]string{0: "type", 1: "version", 3: "name", 4: "listener",
			11: "incoming_tls_alert", 12: "chosen_cert.arn", 13: "chosen_cert.serial", 15: "ssl_protocol",
			16: "ssl_named_group", 19: "alpn_be_protocol"} {
			setIf("aws.elb."+k, refStr(l, i))
		}
		setIf("aws.elb.connection_time.ms", refInt(l, 7))
		setIf("aws.elb.tls_handshake_time.ms", refInt(l, 8))
		if s := l.val(20); s != "" {
			var items []any
			for _, item := range strings.Split(s, ",") {
				if len(item) >= 2 && item[0] == '"' && item[len(item)-1] == '"' {
					item = item[1 : len(item)-1]
				}
				if item != "" {
					items = append(items, item)
				}
			}
			if items != nil {
				set("aws.elb.alpn_client_preference_list", items)
			}
		}
	}
	if l.extra != "" {
		set("aws.elb.extra", l.extra)
	}
}

func refClassic(l *refLine, set func(string, any)) {
	setIf := func(path string, v any) {
		if v != nil {
			set(path, v)
		}
	}
	rawIf := func(path string, i int) {
		if s, ok := l.raw(i); ok {
			if i < len(l.v) && l.v[i].quoted {
				s = refDecode(s)
			}
			set(path, s)
		}
	}
	switch l.f {
	case elblog.CLB, elblog.ALB:
		o := 0
		if l.f == elblog.ALB {
			o = 1
		}
		set("@timestamp", refTimestamp(l.val(o)))
		received := l.val(o)
		if l.f == elblog.ALB && l.val(21) != "" {
			received = l.val(21)
		}
		set("EventReceivedTime", refTimestamp(received))
		setIf("LoadBalancerName", refStr(l, 1+o))
		rawIf("PublicIpAndPort", 2+o)
		rawIf("InternalIpAndPort", 3+o)
		setIf("TimeToForwardRequest", refMillis(l, 4+o))
		setIf("TimeTaken", refMillis(l, 5+o))
		setIf("TimeToForwardResponse", refMillis(l, 6+o))
		rawIf("Status", 7+o)
		rawIf("BackendStatus", 8+o)
		setIf("BytesUploadedFromClient", refInt(l, 9+o))
		setIf("BytesDownloadedByClient", refInt(l, 10+o))
		req, _ := l.raw(11 + o)
		if l.v[11+o].quoted {
			req = refDecode(req)
		}
		method, url, _ := refSplitRequest(req)
		if method != "" || url != "" {
			set("FullRequest", req)
		}
		if method != "" {
			set("Verb", method)
		}
		if url != "" {
			if path := refURL.FindStringSubmatch(url)[3]; path != "" {
				set("Path", path)
			}
		}
		setIf("UserAgent", refStr(l, 12+o))
		setIf("SslCipher", refStr(l, 13+o))
		setIf("SslProtocol", refStr(l, 14+o))
		if l.f == elblog.ALB {
			setIf("RequestType", refStr(l, 0))
			setIf("TargetGroupArn", refStr(l, 16))
			setIf("TraceId", refStr(l, 17))
			setIf("DomainName", refStr(l, 18))
			setIf("ErrorReason", refStr(l, 24))
		}
	case elblog.ALBConnection:
		set("@timestamp", refTimestamp(l.val(0)))
		set("EventReceivedTime", refTimestamp(l.val(0)))
		set("PublicIpAndPort", l.val(1)+":"+l.val(2))
		setIf("Listener", refStr(l, 3))
		setIf("SslProtocol", refStr(l, 4))
		setIf("SslCipher", refStr(l, 5))
		setIf("TlsHandshakeTime", refMillis(l, 6))
		setIf("ClientCertSubject", refStr(l, 7))
		setIf("TlsVerifyStatus", refStr(l, 10))
		setIf("ConnTraceId", refStr(l, 11))
	case elblog.NLB:
		set("@timestamp", refTimestamp(l.val(2)))
		received := l.val(2)
		if l.val(21) != "" {
			received = l.val(21)
		}
		set("EventReceivedTime", refTimestamp(received))
		setIf("RequestType", refStr(l, 0))
		setIf("LoadBalancerName", refStr(l, 3))
		setIf("Listener", refStr(l, 4))
		rawIf("PublicIpAndPort", 5)
		rawIf("InternalIpAndPort", 6)
		setIf("ConnectionTime", refInt(l, 7))
		setIf("TlsHandshakeTime", refInt(l, 8))
		setIf("BytesUploadedFromClient", refInt(l, 9))
		setIf("BytesDownloadedByClient", refInt(l, 10))
		setIf("SslCipher", refStr(l, 14))
		setIf("SslProtocol", refStr(l, 15))
		setIf("DomainName", refStr(l, 17))
	}
	if l.extra != "" {
		set("Extra", l.extra)
	}
}
