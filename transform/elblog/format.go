package elblog

import (
	"bytes"
	"fmt"
)

// Format is a load-balancer log format.
type Format uint8

const (
	// Auto detects the format of every line on its own, so one stream may mix
	// formats.
	Auto Format = iota
	// CLB is the Classic Load Balancer access log (HTTP, HTTPS, TCP and SSL
	// listeners).
	CLB
	// ALB is the Application Load Balancer access log, in every historical
	// length and with any fields AWS appends later.
	ALB
	// ALBConnection is the Application Load Balancer connection log.
	ALBConnection
	// NLB is the Network Load Balancer TLS access log.
	NLB
)

var formatNames = [...]string{Auto: "auto", CLB: "clb", ALB: "alb", ALBConnection: "alb-conn", NLB: "nlb"}

// String returns the name ParseFormat accepts: auto, clb, alb, alb-conn or nlb.
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat parses a format name: auto, clb, alb, alb-conn or nlb.
func ParseFormat(s string) (Format, error) {
	for f, name := range formatNames {
		if s == name {
			return Format(f), nil
		}
	}
	return Auto, fmt.Errorf("elblog: unknown format %q (want auto, clb, alb, alb-conn or nlb)", s)
}

// The first line AWS writes into a bucket when logging is enabled, and the
// content of the ELBAccessLogTestFile object.
var (
	controlAccess     = []byte("Enable AccessLog for ELB: ")
	controlConnection = []byte("Enable ConnectionLog for ELB: ")
)

// isControl reports whether line is one of AWS's control lines, or blank.
func isControl(line []byte) bool {
	if len(line) == 0 {
		return true
	}
	// Both start with 'E'; no log line does.
	return line[0] == 'E' && (bytes.HasPrefix(line, controlAccess) || bytes.HasPrefix(line, controlConnection))
}

// detect guesses the format of a line from its first fields:
//
//	ALB:            a lower-case request type (http https h2 grpcs ws wss …), then a digit
//	NLB:            "tls", then the log version
//	CLB:            a timestamp, the load balancer name, then client ip:port
//	ALB connection: a timestamp, the client ip, then the client port (digits only)
//
// It returns Auto when the line fits none of them.
func detect(line []byte) Format {
	if len(line) == 0 {
		return Auto
	}
	c := line[0]
	switch {
	case c >= 'a' && c <= 'z':
		if bytes.HasPrefix(line, []byte("tls ")) {
			return NLB
		}
		// A lower-case word (the request type), then the timestamp.
		i := 1
		for i < len(line) && (line[i]-'a' <= 'z'-'a' || line[i]-'0' <= 9) {
			i++
		}
		if i+1 < len(line) && line[i] == ' ' && line[i+1]-'0' <= 9 {
			return ALB
		}
	case c >= '0' && c <= '9':
		// Third field: "ip:port" (CLB) or a bare port (connection log).
		rest := line
		for range 2 {
			i := bytes.IndexByte(rest, ' ')
			if i < 0 {
				return Auto
			}
			rest = rest[i+1:]
		}
		if i := bytes.IndexByte(rest, ' '); i >= 0 {
			rest = rest[:i]
		}
		if len(rest) > 0 && allDigits(rest) {
			return ALBConnection
		}
		return CLB
	}
	return Auto
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
