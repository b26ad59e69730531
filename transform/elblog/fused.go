package elblog

import (
	"encoding/binary"
	"math/bits"
)

// The fused path: split and validate in one pass, for the common shape of
// CLB, ALB and ALB connection log lines (IPv4 addresses, AWS's 27-byte timestamps, numbers
// without surprises). Each typed field is checked where it stands, and
// the check finds its end; a separate split would first search for the
// space that ends it, then validate would walk it again, through a table
// of kinds. Untyped fields are found as split finds them.
//
// The fused path fills fieldsOf exactly as split followed by validate
// would (TestFusedMatchesSplit holds it to that). Whenever a line is not of
// the common shape — an IPv6 client, a field out of place, anything that
// would fail — it gives up, and AppendJSON splits and validates the line
// the general way, which then also says what is wrong.

// fused splits and validates line as format fm (CLB, ALB or ALB
// connection; not NLB) and reports whether it could; if not, f.v and the
// rest are in an unspecified state.
func (f *fieldsOf) fused(line []byte, fm Format) bool {
	switch fm {
	case ALBConnection:
		return f.fusedConn(line)
	case NLB:
		return false // the caller does not ask
	}
	o, pos := 0, 0
	f.quoted, f.present, f.extra = 0, 0, nil
	if fm == ALB {
		// 0: the request type, a lower-case word (detect checked it when
		// the format is detected; split accepts any unquoted text).
		j := f.m.end(0, ' ')
		if j < 0 && haveMarksArch && f.m.on {
			j = f.m.endSlow(line, 0, ' ')
		} else if j < 0 {
			j = fieldEnd(line, 0, ' ') // inlined: no bitmaps
		}
		if j == 0 || j+1 >= len(line) || line[0] == '"' {
			return false
		}
		f.v[0] = line[:j]
		if !isDash(f.v[0]) {
			f.present = 1
		}
		o, pos = 1, j+1
	}
	pos, ok := f.fusedHTTP(line, pos, o)
	if !ok {
		return false
	}
	if fm == CLB {
		f.n, f.quotes = 15, 4
		if pos < len(line) {
			f.extra = line[pos:]
		}
		return true
	}
	return f.fusedALBTail(line, pos)
}

// fusedHTTP reads the fields CLB and ALB share (CLB's 15; ALB's 1-15 with
// o = 1) from pos, and returns where the text after them starts (after the
// space that follows the last, or len(line)).
func (f *fieldsOf) fusedHTTP(line []byte, pos, o int) (int, bool) {
	n := len(line)
	// time: AWS writes it with microseconds, 27 bytes.
	const tsLen = 27
	if pos+tsLen+1 >= n || line[pos+tsLen] != ' ' {
		return 0, false
	}
	ts := line[pos : pos+tsLen]
	if !isTimestampMicros(ts) {
		return 0, false
	}
	f.v[o] = ts
	present := uint64(1) << (o & 1)
	pos += tsLen + 1

	// elb: the load balancer's name.
	j := f.m.end(pos, ' ')
	if j < 0 && haveMarksArch && f.m.on {
		j = f.m.endSlow(line, pos, ' ')
	} else if j < 0 {
		j = fieldEnd(line, pos, ' ') // inlined: no bitmaps
	}
	if j == pos || j+1 >= n || line[pos] == '"' {
		return 0, false
	}
	f.v[1+o] = line[pos:j]
	if !isDash(line[pos:j]) {
		present |= 1 << (1 + o)
	}
	pos = j + 1

	// client:port and target:port (or -).
	for k := 2; k <= 3; k++ {
		i := k + o
		if k == 3 && line[pos] == '-' {
			if !dashAt(line, pos) {
				return 0, false
			}
			f.v[i], f.aux[i], f.num[i], f.dig[i] = line[pos:pos+1], nil, 0, line[pos:pos+1]
			pos += 2
			continue
		}
		ipEnd, ok := ipv4End(line, pos, ':')
		if !ok {
			return 0, false
		}
		var port uint64
		end := ipEnd + 1
		for end < n && line[end]-'0' <= 9 {
			port = port*10 + uint64(line[end]-'0')
			end++
		}
		if d := end - ipEnd - 1; d == 0 || d > 5 || port > 65535 || end+1 >= n || line[end] != ' ' {
			return 0, false
		}
		f.v[i], f.aux[i], f.num[i], f.dig[i] = line[pos:end], line[pos:ipEnd], port, trimZeros(line[ipEnd+1:end])
		present |= 1 << i
		pos = end + 1
	}

	// Three processing times: decimal seconds, -1 or - (fusedSeconds,
	// written out: a call for each costs 1.5% of a CLB line).
	for k := 4; k <= 6; k++ {
		i := k + o
		if line[pos] == '-' {
			switch {
			case pos+3 < n && line[pos+1] == '1' && line[pos+2] == ' ':
				f.v[i] = line[pos : pos+2] // not available: not present
				pos += 3
				continue
			case dashAt(line, pos):
				f.v[i], f.aux[i] = line[pos:pos+1], nil
				pos += 2
				continue
			}
			return 0, false
		}
		j := digitsEnd(line, pos)
		if d := j - pos; d == 0 || d > 18 {
			return 0, false
		}
		z := pos
		for z < j-1 && line[z] == '0' {
			z++
		}
		if j < n && line[j] == '.' {
			k := digitsEnd(line, j+1)
			if k == j+1 {
				return 0, false
			}
			j = k
		}
		if j+1 >= n || line[j] != ' ' {
			return 0, false
		}
		f.v[i], f.aux[i] = line[pos:j], line[z:j]
		present |= 1 << i
		pos = j + 1
	}

	// Two status codes (at most three digits here), then two byte counts
	// (at most 18), each or -.
	for k := 7; k <= 10; k++ {
		i := k + o
		if line[pos] == '-' {
			if !dashAt(line, pos) {
				return 0, false
			}
			f.v[i], f.num[i], f.dig[i] = line[pos:pos+1], 0, line[pos:pos+1]
			pos += 2
			continue
		}
		max := 18
		if k <= 8 {
			max = 3
		}
		var v uint64
		j := pos
		for j < n && line[j]-'0' <= 9 {
			v = v*10 + uint64(line[j]-'0')
			j++
		}
		if d := j - pos; d == 0 || d > max || j+1 >= n || line[j] != ' ' {
			return 0, false
		}
		f.v[i], f.num[i], f.dig[i] = line[pos:j], v, trimZeros(line[pos:j])
		present |= 1 << i
		pos = j + 1
	}

	// The request and the user agent, quoted.
	for k := 11; k <= 12; k++ {
		i := k + o
		if line[pos] != '"' {
			return 0, false
		}
		j := f.m.end(pos+1, '"')
		if j < 0 && haveMarksArch && f.m.on {
			j = f.m.endSlow(line, pos+1, '"')
		} else if j < 0 {
			j = fieldEnd(line, pos+1, '"') // inlined: no bitmaps
		}
		if j+2 >= n || line[j+1] != ' ' {
			return 0, false
		}
		v := line[pos+1 : j]
		f.v[i] = v
		if len(v) > 1 || (len(v) == 1 && v[0] != '-') {
			present |= 1 << i
		}
		pos = j + 2
	}
	f.quoted = 3 << (11 + o)

	// The cipher and the protocol; the protocol may end the line.
	for k := 13; k <= 14; k++ {
		i := k + o
		if line[pos] == '"' {
			return 0, false
		}
		j := f.m.end(pos, ' ')
		if j < 0 && haveMarksArch && f.m.on {
			j = f.m.endSlow(line, pos, ' ')
		} else if j < 0 {
			j = fieldEnd(line, pos, ' ') // inlined: no bitmaps
		}
		if j == pos {
			return 0, false
		}
		f.v[i] = line[pos:j]
		if !isDash(line[pos:j]) {
			present |= 1 << i
		}
		if j == n {
			if k == 13 {
				return 0, false
			}
			pos = n
			break
		}
		if j+1 >= n {
			return 0, false // the line ends with a space
		}
		pos = j + 1
	}
	f.present |= present
	return pos, true
}

// fusedSeconds reads field i at pos, decimal seconds, -1 or -, as
// validate's kSeconds, and returns where the next field starts. fusedHTTP
// has the same written out.
func (f *fieldsOf) fusedSeconds(line []byte, pos, i int) (int, bool) {
	n := len(line)
	if line[pos] == '-' {
		switch {
		case pos+3 < n && line[pos+1] == '1' && line[pos+2] == ' ':
			f.v[i] = line[pos : pos+2] // not available: not present
			return pos + 3, true
		case dashAt(line, pos):
			f.v[i], f.aux[i] = line[pos:pos+1], nil
			return pos + 2, true
		}
		return 0, false
	}
	j := digitsEnd(line, pos)
	if d := j - pos; d == 0 || d > 18 {
		return 0, false
	}
	z := pos
	for z < j-1 && line[z] == '0' {
		z++
	}
	if j < n && line[j] == '.' {
		k := digitsEnd(line, j+1)
		if k == j+1 {
			return 0, false
		}
		j = k
	}
	if j+1 >= n || line[j] != ' ' {
		return 0, false
	}
	f.v[i], f.aux[i] = line[pos:j], line[z:j]
	f.present |= 1 << (uint(i) & 63)
	return j + 1, true
}

// fusedALBTail reads ALB's fields from 16 on, as many as the line has (at
// least 16 in all), from pos, where field 16 starts (or len(line)).
//
// Its loop is fusedTail's with constant bounds, written out: the compiler
// then keeps the loop's state in registers (fusedTail itself: +2%
// instructions per ALB line).
func (f *fieldsOf) fusedALBTail(line []byte, pos int) bool {
	n := len(line)
	i := 16
	quoted, present := f.quoted, f.present // in registers, stored once
	for ; i < 33 && pos < n; i++ {
		c, start := byte(' '), pos
		if line[pos] == '"' {
			c, start = '"', pos+1
		}
		j := f.m.end(start, c)
		if j < 0 && haveMarksArch && f.m.on {
			j = f.m.endSlow(line, start, c)
		} else if j < 0 {
			j = fieldEnd(line, start, c) // inlined: no bitmaps
		}
		v := line[start:j]
		if c == '"' {
			if j == n {
				return false
			}
			j++
			quoted |= 1 << (uint(i) & 63)
			if j < n && line[j] != ' ' {
				return false
			}
		} else if j == start {
			return false
		}
		f.v[i] = v
		if len(v) > 1 || (len(v) == 1 && v[0] != '-') {
			present |= 1 << (uint(i) & 63)
		}
		pos = j
		if pos < n {
			pos++
			if pos == n {
				return false
			}
		}
	}
	f.quoted, f.present = quoted, present
	f.n = i
	f.quotes = 2 * bits.OnesCount64(f.quoted)
	if pos < n {
		f.extra = line[pos:]
	}
	if i > 20 { // matched_rule_priority: a number, -1 or -
		v := f.v[20]
		if isMinusOne(v) {
			f.present &^= 1 << 20
		} else {
			p, ok := parseUint(v)
			if !ok && !isDash(v) {
				return false
			}
			f.num[20], f.dig[20] = p, trimZeros(v)
		}
	}
	if i > 21 { // request_creation_time, or -
		if v := f.v[21]; !isTimestampMicros(v) && !isDash(v) {
			return false // or another form: the general path decides
		}
	}
	return true
}

// fusedConn reads an ALB connection log line: its typed fields 0-6 where
// they stand, the rest as split does.
func (f *fieldsOf) fusedConn(line []byte) bool {
	n := len(line)
	f.quoted, f.present, f.extra = 0, 0, nil
	// time, 27 bytes.
	if n < 29 || line[27] != ' ' || !isTimestampMicros(line[:27]) {
		return false
	}
	f.v[0] = line[:27]
	// client_ip, IPv4 here.
	end, ok := ipv4End(line, 28, ' ')
	if !ok || end+1 >= n {
		return false
	}
	f.v[1] = line[28:end]
	pos := end + 1
	// client_port and listener_port.
	for i := 2; i <= 3; i++ {
		var p uint64
		j := pos
		for j < n && line[j]-'0' <= 9 {
			p = p*10 + uint64(line[j]-'0')
			j++
		}
		if d := j - pos; d == 0 || d > 5 || p > 65535 || j+1 >= n || line[j] != ' ' {
			return false
		}
		f.v[i], f.num[i], f.dig[i] = line[pos:j], p, trimZeros(line[pos:j])
		pos = j + 1
	}
	// tls_protocol and tls_cipher, unquoted.
	for i := 4; i <= 5; i++ {
		j := f.m.end(pos, ' ')
		if j < 0 && haveMarksArch && f.m.on {
			j = f.m.endSlow(line, pos, ' ')
		} else if j < 0 {
			j = fieldEnd(line, pos, ' ') // inlined: no bitmaps
		}
		if j == pos || j+1 >= n || line[pos] == '"' {
			return false
		}
		f.v[i] = line[pos:j]
		if !isDash(f.v[i]) {
			f.present |= 1 << i
		}
		pos = j + 1
	}
	f.present |= 0b1111
	// tls_handshake_latency.
	if pos, ok = f.fusedSeconds(line, pos, 6); !ok {
		return false
	}
	return f.fusedTail(line, pos, 7, 12) == 12
}

// fusedTail reads untyped fields i, i+1, … up to known at pos, as split
// does, and sets n, quotes and extra. It returns n, or -1 where split
// would fail.
func (f *fieldsOf) fusedTail(line []byte, pos, i, known int) int {
	n := len(line)
	quoted, present := f.quoted, f.present // in registers, stored once
	for ; i < known && i < maxKnown && pos < n; i++ {
		c, start := byte(' '), pos
		if line[pos] == '"' {
			c, start = '"', pos+1
		}
		j := f.m.end(start, c)
		if j < 0 && haveMarksArch && f.m.on {
			j = f.m.endSlow(line, start, c)
		} else if j < 0 {
			j = fieldEnd(line, start, c) // inlined: no bitmaps
		}
		v := line[start:j]
		if c == '"' {
			if j == n {
				return -1
			}
			j++
			quoted |= 1 << (uint(i) & 63)
			if j < n && line[j] != ' ' {
				return -1
			}
		} else if j == start {
			return -1
		}
		f.v[i] = v
		if len(v) > 1 || (len(v) == 1 && v[0] != '-') {
			present |= 1 << (uint(i) & 63)
		}
		pos = j
		if pos < n {
			pos++
			if pos == n {
				return -1
			}
		}
	}
	f.quoted, f.present = quoted, present
	f.n = i
	f.quotes = 2 * bits.OnesCount64(f.quoted)
	if pos < n {
		f.extra = line[pos:]
	}
	return i
}

// fieldEnd returns the index of the first c in line at or after j, or
// len(line): split's search, eight bytes a step in a register.
func fieldEnd(line []byte, j int, c byte) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	n := len(line)
	pat := lo * uint64(c)
	for j+8 <= n {
		w := binary.LittleEndian.Uint64(line[j:j+8]) ^ pat
		if m := (w - lo) &^ w & hi; m != 0 {
			return j + bits.TrailingZeros64(m)>>3
		}
		j += 8
	}
	for j < n && line[j] != c {
		j++
	}
	return j
}

// dashAt reports whether line holds "-" at pos, followed by a space and
// more.
func dashAt(line []byte, pos int) bool {
	return pos+2 < len(line) && line[pos] == '-' && line[pos+1] == ' '
}

// digitsEnd returns the end of the run of ASCII digits at j.
func digitsEnd(line []byte, j int) int {
	for j < len(line) && line[j]-'0' <= 9 {
		j++
	}
	return j
}

// ipv4End reads an IPv4 address in dotted decimal at line[pos:], followed
// by sep, and returns the index of sep (isIPv4's rules: no leading zeros).
// ipv4Port uses it too. sep must not be 0.
//
// Each part is read as one 4-byte word (ipv4Part), at most 15 bytes from
// pos, so the 20 bytes from pos hold all four words. Where the line has
// fewer, they are copied to 20 zero bytes (zero is neither a digit, a dot
// nor sep). The parts are written out: a loop over them cost 40
// instructions more a call. Byte by byte, ipv4End was 225 instructions a
// call; by words, 132.
func ipv4End(line []byte, pos int, sep byte) (int, bool) {
	var a *[20]byte
	if b := line[pos:]; len(b) >= 20 {
		a = (*[20]byte)(b)
	} else {
		a = new([20]byte)
		for k, c := range b {
			a[k] = c
		}
	}
	n, d := ipv4Part(binary.LittleEndian.Uint32(a[0:]), '.')
	if d > ipv4Span[n] {
		return 0, false
	}
	i := n + 1
	n, d = ipv4Part(binary.LittleEndian.Uint32(a[i&15:]), '.')
	if d > ipv4Span[n] {
		return 0, false
	}
	i += n + 1
	n, d = ipv4Part(binary.LittleEndian.Uint32(a[i&15:]), '.')
	if d > ipv4Span[n] {
		return 0, false
	}
	i += n + 1
	n, d = ipv4Part(binary.LittleEndian.Uint32(a[i&15:]), sep)
	if d > ipv4Span[n] {
		return 0, false
	}
	return pos + i + n, true
}

// ipv4Part reads one part of an IPv4 address and the byte after it from
// the four bytes of w (in line order from its low byte): n digits (0 to 4)
// and d, which is at most ipv4Span[n] if and only if the part is 1 to 3
// digits without a leading zero, at most 255, and the byte after them is
// want.
//
// Read as a big-endian number, the n digits and the byte after them are
// y = digits<<8 | after; y - (ipv4Lo[n] | want), rotated right by a byte,
// is the digits minus ipv4Lo[n] if after is want, and at least 2^56 if not.
func ipv4Part(w uint32, want byte) (n int, d uint64) {
	v := w ^ 0x30303030                                  // a digit's value where it is ≤ 9
	nd := ((v&0x7f7f7f7f + 0x76767676) | v) & 0x80808080 // high bits: not a digit
	tz := bits.TrailingZeros32(nd)                       // 8n+7, or 32
	y := bits.ReverseBytes64(uint64(w) << (^tz & 63))    // bytes 0 to n, then zeros, reversed
	n = tz >> 3
	return n, bits.RotateLeft64(y-(ipv4Lo[n]|uint64(want)), -8)
}

// ipv4Lo and ipv4Span bound a part's digits by their number, as big-endian
// numbers: 0-9, 10-99, 100-255 (ipv4Lo shifted for the byte after them).
// No part has 0 or 4 digits: y is never 1<<63 | want (with 0 digits it is
// one byte; with 4, it is w<<31 reversed, and 0x80 never w<<31's low byte).
var (
	ipv4Lo   = [5]uint64{1 << 63, '0' << 8, ('1'<<8 | '0') << 8, ('1'<<16 | '0'<<8 | '0') << 8, 1 << 63}
	ipv4Span = [5]uint64{0, 9, ('9'<<8 | '9') - ('1'<<8 | '0'), ('2'<<16 | '5'<<8 | '5') - ('1'<<16 | '0'<<8 | '0'), 0}
)
