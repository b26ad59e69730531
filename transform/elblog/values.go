package elblog

import "encoding/binary"

// Validators for the typed fields. Each takes the field as it appears in the
// line and reports whether it is well formed; none allocates.

// isTimestamp reports whether b is an ISO 8601 UTC timestamp as AWS writes
// them: YYYY-MM-DDTHH:MM:SS, an optional fraction of 1 to 9 digits, and an
// optional Z (NLB omits it). Ranges are checked (month 01-12, day 01-31,
// hour 00-23, minute 00-59, second 00-60), not calendars. hasZ reports the Z.
func isTimestamp(b []byte) (ok, hasZ bool) {
	if len(b) < 19 || stampBad(b, false)&high != 0 {
		return false, false
	}
	rest := b[19:]
	if len(rest) > 0 && rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n]-'0' <= 9 {
			n++
		}
		if n == 1 || n > 10 {
			return false, false
		}
		rest = rest[n:]
	}
	if len(rest) == 1 && rest[0] == 'Z' {
		return true, true
	}
	return len(rest) == 0, false
}

// isTimestampMicros reports whether b is a timestamp the way CLB and ALB
// write them, YYYY-MM-DDTHH:MM:SS.ffffffZ, 27 bytes: isTimestamp for that
// one shape, the fraction checked as one more word (stampWord) and no loop.
func isTimestampMicros(b []byte) bool {
	return len(b) == 27 && stampBad(b, true)&high == 0
}

const (
	ones  = 0x0101010101010101
	zeros = 0x30 * ones // '0' in every byte
	high  = 0x80 * ones
	low7  = 0x7f * ones
)

// stampWord checks eight bytes of a timestamp: w^pat must be at most hi
// in every byte, where pat has '0' at the digits and the separator at the
// separators, and hi has 9 and 0 there, so that a digit becomes its value
// and a separator zero. It returns a word with the high bit set in every
// byte that fails (other bits are noise). Bytes are independent: the
// addition cannot carry out of a byte (at most 0x7f+0x7f).
func stampWord(w, pat, hi uint64) uint64 {
	v := w ^ pat
	return (v&low7 + (low7 - hi)) | v
}

// stampBad checks the fixed part of a timestamp, b[:19] =
// YYYY-MM-DDTHH:MM:SS (len(b) ≥ 19), ranges included. It returns a word
// whose high bits are all clear if the part is well formed (other bits are
// noise). With micros, b[19:27] must be .ffffffZ too (isTimestampMicros: so
// that it is a single call).
//
// Three words are loaded, at 0, 5 and 11, so that the two-digit fields sit
// at bytes 0, 3 and 6 of the last two: MM-DDTHH and HH:MM:SS. With digits
// turned into their values (and separators into zero) by stampWord,
// v*10 + v>>8 puts every two-digit value in the byte of its first digit (at
// most 99: no carries), and one more word compares all five (and the hour
// twice) with their bounds. isTimestampMicros cost 171 instructions a call
// with the ranges checked byte by byte (and separators apart from digits),
// 65 this way: 227 fewer a line for ALB, which checks two.
func stampBad(b []byte, micros bool) uint64 {
	const (
		sep0 = 0xff<<32 | 0xff<<56 // "YYYY-MM-"
		pat0 = zeros&^sep0 | '-'<<32 | '-'<<56
		sep1 = 0xff<<16 | 0xff<<40 // "MM-DDTHH"
		pat1 = zeros&^sep1 | '-'<<16 | 'T'<<40
		pat2 = zeros&^sep1 | ':'<<16 | ':'<<40 // "HH:MM:SS"
		hi0  = 9 * (ones &^ (1<<32 | 1<<56))
		hi1  = 9 * (ones &^ (1<<16 | 1<<40))

		// The fields after packing: month, hour, -, day, minute, -, hour,
		// second; the gaps are zero and checked against 0.
		fields = 0xff | 0xff<<24 | 0xff<<48
		upper  = 12 | 23<<8 | 31<<24 | 59<<32 | 23<<48 | 60<<56
		lower  = 1 | 1<<24

		frac   = '.' | zeros&^(0xff|0xff<<56) | 'Z'<<56 // ".000000Z"
		fracHi = 9 * (ones &^ (1 | 1<<56))
	)
	var bad uint64
	if micros {
		bad = stampWord(binary.LittleEndian.Uint64(b[19:27]), frac, fracHi)
	}
	b = b[:19] // no bounds checks below
	w0 := binary.LittleEndian.Uint64(b)
	w1 := binary.LittleEndian.Uint64(b[5:])
	w2 := binary.LittleEndian.Uint64(b[11:])
	bad |= stampWord(w0, pat0, hi0) | stampWord(w1, pat1, hi1) | stampWord(w2, pat2, hi1)
	v1, v2 := w1^pat1, w2^pat2 // digit values where bad is clear
	t1 := (v1*10 + v1>>8) & fields
	t2 := (v2*10 + v2>>8) & fields
	u := t1 | t2<<8
	return bad | (u + (low7 - upper)) | ^((u | high) - lower)
}

// parseUint parses a decimal number of at most 18 digits (no sign, leading
// zeros allowed).
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		d := c - '0'
		if d > 9 {
			return 0, false
		}
		n = n*10 + uint64(d)
	}
	return n, true
}

// isMinusOne reports whether b is "-1", AWS's "not available" for times.
func isMinusOne(b []byte) bool { return len(b) == 2 && b[0] == '-' && b[1] == '1' }

// isDash reports whether b is "-", AWS's "no value".
func isDash(b []byte) bool { return len(b) == 1 && b[0] == '-' }

// decimal checks that b is an unsigned decimal number (digits, optionally a
// point and more digits) and returns it as a valid JSON number: leading zeros
// of the integer part are dropped, one is kept before the point.
func decimal(b []byte) ([]byte, bool) {
	i := 0
	for i < len(b) && b[i]-'0' <= 9 {
		i++
	}
	if i == 0 || i > 18 {
		return nil, false
	}
	if i < len(b) {
		if b[i] != '.' || i+1 == len(b) {
			return nil, false
		}
		for _, c := range b[i+1:] {
			if c-'0' > 9 {
				return nil, false
			}
		}
	}
	z := 0
	for z < i-1 && b[z] == '0' {
		z++
	}
	return b[z:], true
}

// millis converts a validated decimal number of seconds to whole
// milliseconds, rounding half up as the Node processor's Math.round did.
func millis(b []byte) uint64 {
	var ms uint64
	i := 0
	for i < len(b) && b[i] != '.' {
		ms = ms*10 + uint64(b[i]-'0')
		i++
	}
	ms *= 1000
	if i < len(b) {
		frac := b[i+1:]
		scale := uint64(100)
		for k := 0; k < 3; k++ {
			if k < len(frac) {
				ms += uint64(frac[k]-'0') * scale
			}
			scale /= 10
		}
		if len(frac) > 3 && frac[3] >= '5' {
			ms++
		}
	}
	return ms
}

// splitHostPort splits "ip:port" at the last colon, so an IPv6 client
// (2001:db8::1:51234) keeps its address whole; "[2001:db8::1]:51234" is
// accepted too. The address must be a valid IPv4 or IPv6 address and the port
// a number from 0 to 65535.
func splitHostPort(b []byte) (ip []byte, port uint64, ok bool) {
	if n, p, ok := ipv4Port(b); ok {
		return b[:n], p, true
	}
	i := len(b) - 1
	for i >= 0 && b[i] != ':' {
		i--
	}
	if i <= 0 {
		return nil, 0, false
	}
	ip, p := b[:i], b[i+1:]
	if len(p) > 5 {
		return nil, 0, false
	}
	port, ok = parseUint(p)
	if !ok || port > 65535 {
		return nil, 0, false
	}
	if len(ip) > 2 && ip[0] == '[' && ip[len(ip)-1] == ']' {
		ip = ip[1 : len(ip)-1]
	}
	if !isIP(ip) {
		return nil, 0, false
	}
	return ip, port, true
}

// ipv4Port parses "a.b.c.d:port", by far the most common form, in one
// forward pass (the address as ipv4End reads it). ok is false for anything
// else (which the general path then decides on).
func ipv4Port(b []byte) (ipLen int, port uint64, ok bool) {
	colon, ok := ipv4End(b, 0, ':')
	if !ok {
		return 0, 0, false
	}
	p := b[colon+1:]
	if len(p) == 0 || len(p) > 5 {
		return 0, 0, false
	}
	for _, c := range p {
		d := c - '0'
		if d > 9 {
			return 0, 0, false
		}
		port = port*10 + uint64(d)
	}
	return colon, port, port <= 65535
}

// isPort reports whether b is a port number (0-65535).
func isPort(b []byte) (uint64, bool) {
	if len(b) > 5 {
		return 0, false
	}
	n, ok := parseUint(b)
	return n, ok && n <= 65535
}

// isIP reports whether b is an IPv4 address in dotted decimal (no leading
// zeros) or an IPv6 address (RFC 4291 text form, with :: and an embedded
// IPv4 tail, without a zone).
func isIP(b []byte) bool {
	for _, c := range b {
		if c == ':' {
			return isIPv6(b)
		}
	}
	return isIPv4(b)
}

func isIPv4(b []byte) bool {
	parts := 0
	for len(b) > 0 {
		n, v := 0, 0
		for n < len(b) && b[n]-'0' <= 9 {
			v = v*10 + int(b[n]-'0')
			n++
			if n > 3 {
				return false
			}
		}
		if n == 0 || v > 255 || (n > 1 && b[0] == '0') {
			return false
		}
		parts++
		b = b[n:]
		if len(b) > 0 {
			if b[0] != '.' || parts == 4 {
				return false
			}
			b = b[1:]
			if len(b) == 0 {
				return false
			}
		}
	}
	return parts == 4
}

func isIPv6(b []byte) bool {
	groups := 0       // 16-bit groups seen, an embedded IPv4 counts 2
	ellipsis := false // "::" seen
	if len(b) >= 2 && b[0] == ':' && b[1] == ':' {
		ellipsis = true
		b = b[2:]
		if len(b) == 0 {
			return true
		}
	}
	for len(b) > 0 {
		n := 0
		for n < len(b) && n < 5 && isHex(b[n]) {
			n++
		}
		if n < len(b) && b[n] == '.' { // embedded IPv4: must be last
			if !isIPv4(b) {
				return false
			}
			groups += 2
			b = nil
			break
		}
		if n == 0 || n > 4 {
			return false
		}
		groups++
		b = b[n:]
		if len(b) == 0 {
			break
		}
		if b[0] != ':' {
			return false
		}
		b = b[1:]
		if len(b) > 0 && b[0] == ':' {
			if ellipsis {
				return false
			}
			ellipsis = true
			b = b[1:]
			if len(b) == 0 {
				break
			}
		} else if len(b) == 0 {
			return false
		}
	}
	if ellipsis {
		return groups < 8
	}
	return groups == 8
}

func isHex(c byte) bool {
	return c-'0' <= 9 || (c|0x20)-'a' <= 5
}

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return (c | 0x20) - 'a' + 10
}

// tlsVersion maps AWS's protocol names to ECS tls.version and
// tls.version_protocol: TLSv1.2 and tlsv12 are "1.2" and "tls", TLSv1 is
// "1.0", SSLv3 is "3.0" and "ssl". ok is false for anything else.
func tlsVersion(b []byte) (version, protocol string, ok bool) {
	switch string(b) { // what ALB, CLB and NLB write nearly always
	case "TLSv1.2", "tlsv12":
		return "1.2", "tls", true
	case "TLSv1.3", "tlsv13":
		return "1.3", "tls", true
	}
	if len(b) < 5 || (b[3]|0x20) != 'v' {
		return "", "", false
	}
	switch {
	case (b[0]|0x20) == 't' && (b[1]|0x20) == 'l' && (b[2]|0x20) == 's':
		protocol = "tls"
	case (b[0]|0x20) == 's' && (b[1]|0x20) == 's' && (b[2]|0x20) == 'l':
		protocol = "ssl"
	default:
		return "", "", false
	}
	switch string(b[4:]) {
	case "1", "1.0", "10":
		version = "1.0"
	case "1.1", "11":
		version = "1.1"
	case "1.2", "12":
		version = "1.2"
	case "1.3", "13":
		version = "1.3"
	case "2", "2.0", "20":
		version = "2.0"
	case "3", "3.0", "30":
		version = "3.0"
	default:
		return "", "", false
	}
	if (protocol == "tls") != (version[0] == '1') {
		return "", "", false
	}
	return version, protocol, true
}
