package bench

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/elbstream/elbstream/testdata/gen"
)

// The baselines: what a Go user writes first. One regular expression per
// format with a named group per field; the captures go into a map that
// encoding/json marshals, or into a typed struct that it marshals.

var baselineRegexps = map[gen.Format]*regexp.Regexp{
	gen.CLB: regexp.MustCompile(`^(?P<time>\S+) (?P<elb>\S+) (?P<client_ip>[^ ]+):(?P<client_port>\d+) (?P<backend>\S+) ` +
		`(?P<request_processing_time>\S+) (?P<backend_processing_time>\S+) (?P<response_processing_time>\S+) ` +
		`(?P<elb_status_code>\S+) (?P<backend_status_code>\S+) (?P<received_bytes>\d+) (?P<sent_bytes>\d+) ` +
		`"(?P<request>[^"]*)" "(?P<user_agent>[^"]*)" (?P<ssl_cipher>\S+) (?P<ssl_protocol>\S+)$`),
	gen.ALB: regexp.MustCompile(`^(?P<type>\S+) (?P<time>\S+) (?P<elb>\S+) (?P<client_ip>[^ ]+):(?P<client_port>\d+) (?P<target>\S+) ` +
		`(?P<request_processing_time>\S+) (?P<target_processing_time>\S+) (?P<response_processing_time>\S+) ` +
		`(?P<elb_status_code>\S+) (?P<target_status_code>\S+) (?P<received_bytes>\d+) (?P<sent_bytes>\d+) ` +
		`"(?P<request>[^"]*)" "(?P<user_agent>[^"]*)" (?P<ssl_cipher>\S+) (?P<ssl_protocol>\S+) ` +
		`(?P<target_group_arn>\S+) "(?P<trace_id>[^"]*)" "(?P<domain_name>[^"]*)" "(?P<chosen_cert_arn>[^"]*)" ` +
		`(?P<matched_rule_priority>\S+) (?P<request_creation_time>\S+) "(?P<actions_executed>[^"]*)" ` +
		`"(?P<redirect_url>[^"]*)" "(?P<error_reason>[^"]*)" "(?P<target_port_list>[^"]*)" ` +
		`"(?P<target_status_code_list>[^"]*)" "(?P<classification>[^"]*)" "(?P<classification_reason>[^"]*)" ` +
		`(?P<conn_trace_id>\S+) "(?P<transformed_host>[^"]*)" "(?P<transformed_uri>[^"]*)" "(?P<request_transform_status>[^"]*)"$`),
	gen.ALBConnection: regexp.MustCompile(`^(?P<time>\S+) (?P<client_ip>\S+) (?P<client_port>\d+) (?P<listener_port>\d+) ` +
		`(?P<tls_protocol>\S+) (?P<tls_cipher>\S+) (?P<tls_handshake_latency>\S+) "(?P<leaf_client_cert_subject>[^"]*)" ` +
		`(?P<leaf_client_cert_validity>\S+) (?P<leaf_client_cert_serial_number>\S+) (?P<tls_verify_status>\S+) (?P<conn_trace_id>\S+)$`),
	gen.NLB: regexp.MustCompile(`^(?P<type>\S+) (?P<version>\S+) (?P<time>\S+) (?P<elb>\S+) (?P<listener>\S+) ` +
		`(?P<client_ip>[^ ]+):(?P<client_port>\d+) (?P<destination>\S+) (?P<connection_time>\S+) (?P<tls_handshake_time>\S+) ` +
		`(?P<received_bytes>\d+) (?P<sent_bytes>\d+) (?P<incoming_tls_alert>\S+) (?P<chosen_cert_arn>\S+) ` +
		`(?P<chosen_cert_serial>\S+) (?P<tls_cipher>\S+) (?P<tls_protocol_version>\S+) (?P<tls_named_group>\S+) ` +
		`(?P<domain_name>\S+) (?P<alpn_fe_protocol>\S+) (?P<alpn_be_protocol>\S+) (?P<alpn_client_preference_list>\S+)` +
		`(?: (?P<tls_connection_creation_time>\S+))?$`),
}

// regexpMap is the first baseline: captures into a map, marshalled.
func regexpMap(re *regexp.Regexp, names []string, line []byte) ([]byte, error) {
	m := re.FindSubmatch(line)
	if m == nil {
		return json.Marshal(map[string]string{"message": string(line), "tags": "_grokparsefailure"})
	}
	event := make(map[string]string, len(names))
	for i, name := range names {
		if i > 0 && name != "" {
			event[name] = string(m[i])
		}
	}
	return json.Marshal(event)
}

// albEvent is the typed struct of the second baseline (ALB; the other
// formats use the map form as their struct baseline would be the same
// code).
type albEvent struct {
	Type                   string  `json:"type"`
	Time                   string  `json:"@timestamp"`
	ELB                    string  `json:"elb"`
	ClientIP               string  `json:"client_ip"`
	ClientPort             int     `json:"client_port"`
	Target                 string  `json:"target,omitempty"`
	RequestProcessingTime  float64 `json:"request_processing_time"`
	TargetProcessingTime   float64 `json:"target_processing_time"`
	ResponseProcessingTime float64 `json:"response_processing_time"`
	ELBStatusCode          int     `json:"elb_status_code"`
	TargetStatusCode       string  `json:"target_status_code"`
	ReceivedBytes          int64   `json:"received_bytes"`
	SentBytes              int64   `json:"sent_bytes"`
	Method                 string  `json:"method"`
	URL                    string  `json:"url"`
	HTTPVersion            string  `json:"http_version"`
	UserAgent              string  `json:"user_agent"`
	SSLCipher              string  `json:"ssl_cipher,omitempty"`
	SSLProtocol            string  `json:"ssl_protocol,omitempty"`
	TargetGroupARN         string  `json:"target_group_arn"`
	TraceID                string  `json:"trace_id"`
	DomainName             string  `json:"domain_name,omitempty"`
	ChosenCertARN          string  `json:"chosen_cert_arn,omitempty"`
	MatchedRulePriority    int     `json:"matched_rule_priority"`
	RequestCreationTime    string  `json:"request_creation_time"`
	ActionsExecuted        string  `json:"actions_executed"`
	RedirectURL            string  `json:"redirect_url,omitempty"`
	ErrorReason            string  `json:"error_reason,omitempty"`
	TargetPortList         string  `json:"target_port_list"`
	TargetStatusCodeList   string  `json:"target_status_code_list"`
	Classification         string  `json:"classification,omitempty"`
	ClassificationReason   string  `json:"classification_reason,omitempty"`
	ConnTraceID            string  `json:"conn_trace_id"`
}

// regexpStruct is the second baseline: captures converted into albEvent,
// marshalled.
func regexpStruct(re *regexp.Regexp, line string) ([]byte, error) {
	m := re.FindStringSubmatch(line)
	if m == nil {
		return json.Marshal(map[string]string{"message": line})
	}
	ev := fillALB(m)
	return json.Marshal(&ev)
}

func fillALB(m []string) albEvent {
	f := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
	n := func(s string) int { v, _ := strconv.Atoi(s); return v }
	method, rest, _ := strings.Cut(m[14], " ")
	url, version := rest, ""
	if i := strings.LastIndexByte(rest, ' '); i >= 0 {
		url, version = rest[:i], rest[i+1:]
	}
	return albEvent{
		Type: m[1], Time: m[2], ELB: m[3], ClientIP: m[4], ClientPort: n(m[5]), Target: m[6],
		RequestProcessingTime: f(m[7]), TargetProcessingTime: f(m[8]), ResponseProcessingTime: f(m[9]),
		ELBStatusCode: n(m[10]), TargetStatusCode: m[11], ReceivedBytes: int64(n(m[12])), SentBytes: int64(n(m[13])),
		Method: method, URL: url, HTTPVersion: version, UserAgent: m[15], SSLCipher: m[16], SSLProtocol: m[17],
		TargetGroupARN: m[18], TraceID: m[19], DomainName: m[20], ChosenCertARN: m[21],
		MatchedRulePriority: n(m[22]), RequestCreationTime: m[23], ActionsExecuted: m[24], RedirectURL: m[25],
		ErrorReason: m[26], TargetPortList: m[27], TargetStatusCodeList: m[28], Classification: m[29],
		ClassificationReason: m[30], ConnTraceID: m[31],
	}
}
