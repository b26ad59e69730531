package elblog

import (
	"fmt"
	"strconv"
)

// ParseError says why a line could not be parsed and where.
type ParseError struct {
	Format Format // the format the line was parsed as (Auto: not recognized)
	Field  int    // 1-based field number as AWS documents it; 0 when not about one field
	Name   string // the field's name as AWS documents it ("elb_status_code")
	Offset int    // byte offset in the line
	Reason string // what is wrong
	Value  string // the offending value, cut to 64 bytes
}

func (e *ParseError) Error() string { return string(e.appendMessage(make([]byte, 0, 128))) }

// appendMessage appends the text Error returns.
func (e *ParseError) appendMessage(b []byte) []byte {
	b = append(b, e.Format.String()...)
	b = append(b, ": "...)
	if e.Field > 0 {
		b = append(b, "field "...)
		b = strconv.AppendInt(b, int64(e.Field), 10)
		if e.Name != "" {
			b = append(b, " ("...)
			b = append(b, e.Name...)
			b = append(b, ')')
		}
		b = append(b, ' ')
	}
	b = append(b, "at byte "...)
	b = strconv.AppendInt(b, int64(e.Offset), 10)
	b = append(b, ": "...)
	b = append(b, e.Reason...)
	if e.Value != "" {
		b = append(b, ": "...)
		b = strconv.AppendQuote(b, e.Value)
	}
	return b
}

// newParseError builds the error for field i (0-based) of format f. Only the
// failure path calls it, so it may allocate.
func newParseError(f Format, i, offset int, reason string, value []byte) *ParseError {
	const maxValue = 64
	if len(value) > maxValue {
		value = value[:maxValue]
	}
	e := &ParseError{Format: f, Offset: offset, Reason: reason, Value: string(value)}
	if i >= 0 {
		e.Field = i + 1
		if names := fieldNames[f]; i < len(names) {
			e.Name = names[i]
		}
	}
	return e
}

var _ error = (*ParseError)(nil)

// fieldNames are AWS's names for the fields of each format, in order.
var fieldNames = [...][]string{
	CLB: {"time", "elb", "client:port", "backend:port", "request_processing_time",
		"backend_processing_time", "response_processing_time", "elb_status_code",
		"backend_status_code", "received_bytes", "sent_bytes", "request", "user_agent",
		"ssl_cipher", "ssl_protocol"},
	ALB: {"type", "time", "elb", "client:port", "target:port", "request_processing_time",
		"target_processing_time", "response_processing_time", "elb_status_code",
		"target_status_code", "received_bytes", "sent_bytes", "request", "user_agent",
		"ssl_cipher", "ssl_protocol", "target_group_arn", "trace_id", "domain_name",
		"chosen_cert_arn", "matched_rule_priority", "request_creation_time",
		"actions_executed", "redirect_url", "error_reason", "target:port_list",
		"target_status_code_list", "classification", "classification_reason",
		"conn_trace_id", "transformed_host", "transformed_uri", "request_transform_status"},
	ALBConnection: {"time", "client_ip", "client_port", "listener_port", "tls_protocol",
		"tls_cipher", "tls_handshake_latency", "leaf_client_cert_subject",
		"leaf_client_cert_validity", "leaf_client_cert_serial_number", "tls_verify_status",
		"conn_trace_id"},
	NLB: {"type", "version", "time", "elb", "listener", "client:port", "destination:port",
		"connection_time", "tls_handshake_time", "received_bytes", "sent_bytes",
		"incoming_tls_alert", "chosen_cert_arn", "chosen_cert_serial", "tls_cipher",
		"tls_protocol_version", "tls_named_group", "domain_name", "alpn_fe_protocol",
		"alpn_be_protocol", "alpn_client_preference_list", "tls_connection_creation_time"},
}

// minFields is the fewest fields a line of each format may have: the oldest
// documented form.
var minFields = [...]int{CLB: 15, ALB: 16, ALBConnection: 12, NLB: 21}

// bareFields marks fields read up to the next space even if they start with
// a quote.
var bareFields = [...]uint64{NLB: 1 << 20}

// reasonf is fmt.Sprintf for the failure path.
func reasonf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
