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
	// o is 0 or 1: said so, the compiler proves every f.v[k+o] in bounds
	// (−38 instructions an ALB line).
	o &= 1
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
		if ipEnd+9 > n {
			return 0, false // fails anyway: what must follow is longer
		}
		d, t := digitRun(binary.LittleEndian.Uint64(line[ipEnd+1 : ipEnd+9 : ipEnd+9]))
		end, port := ipEnd+1+d, digitsValue(t, d)
		if d == 0 || d > 5 || port > 65535 || end+1 >= n || line[end] != ' ' {
			return 0, false
		}
		dig := line[ipEnd+1 : end]
		if byte(t) == 0 { // a leading '0'
			dig = trimZeros(dig)
		}
		f.v[i], f.aux[i], f.num[i], f.dig[i] = line[pos:end], line[pos:ipEnd], port, dig
		present |= 1 << i
		pos = end + 1
	}

	// Three processing times: decimal seconds, -1 or - (fusedSeconds,
	// written out: a call for each costs 1.5% of a CLB line).
	for k := 4; k <= 6; k++ {
		i := k + o
		if line[pos]-'0' > 9 {
			switch {
			case line[pos] == '-' && pos+3 < n && line[pos+1] == '1' && line[pos+2] == ' ':
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
		if pos+9 > n {
			return 0, false // fails anyway: what must follow is longer
		}
		e, z := secondsIn(binary.LittleEndian.Uint64(line[pos : pos+8 : pos+8]))
		// One branch for 0 and 8: the call's spills then stay off the
		// common path (−20 instructions an ALB line).
		if e&7 == 0 {
			if e == 0 || line[pos+8] != ' ' {
				e, z = secondsLong(line[pos:])
			}
		}
		j := pos + e
		if e == 0 || j+1 >= n || line[j] != ' ' {
			return 0, false
		}
		f.v[i], f.aux[i] = line[pos:j], line[pos+z:j]
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
		most := 18
		if k <= 8 {
			most = 3
		}
		if pos+8 > n {
			return 0, false // fails anyway: what must follow is longer
		}
		d, t := digitRun(binary.LittleEndian.Uint64(line[pos : pos+8 : pos+8]))
		j := pos + d
		v := digitsValue(t, d)
		if d == 8 { // maybe more: the byte loop
			v = 0
			for j = pos; j < n && line[j]-'0' <= 9; j++ {
				v = v*10 + uint64(line[j]-'0')
			}
			d = j - pos
		}
		if d == 0 || d > most || j+1 >= n || line[j] != ' ' {
			return 0, false
		}
		dig := line[pos:j]
		if byte(t) == 0 { // a leading '0'
			dig = trimZeros(dig)
		}
		f.v[i], f.num[i], f.dig[i] = line[pos:j], v, dig
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
	if line[pos]-'0' > 9 {
		switch {
		case line[pos] == '-' && pos+3 < n && line[pos+1] == '1' && line[pos+2] == ' ':
			f.v[i] = line[pos : pos+2] // not available: not present
			return pos + 3, true
		case dashAt(line, pos):
			f.v[i], f.aux[i] = line[pos:pos+1], nil
			return pos + 2, true
		}
		return 0, false
	}
	if pos+9 > n {
		return 0, false // fails anyway: what must follow is longer
	}
	e, z := secondsIn(binary.LittleEndian.Uint64(line[pos : pos+8 : pos+8]))
	if e == 0 || e == 8 && line[pos+8] != ' ' {
		e, z = secondsLong(line[pos:])
	}
	j := pos + e
	if e == 0 || j+1 >= n || line[j] != ' ' {
		return 0, false
	}
	f.v[i], f.aux[i] = line[pos:j], line[pos+z:j]
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
		if pos+8 > n {
			return false // fails anyway: what must follow is longer
		}
		d, t := digitRun(binary.LittleEndian.Uint64(line[pos : pos+8 : pos+8]))
		j, p := pos+d, digitsValue(t, d)
		if d == 0 || d > 5 || p > 65535 || j+1 >= n || line[j] != ' ' {
			return false
		}
		dig := line[pos:j]
		if byte(t) == 0 { // a leading '0'
			dig = trimZeros(dig)
		}
		f.v[i], f.num[i], f.dig[i] = line[pos:j], p, dig
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

// digitRun reads w, 8 bytes of a line (the first in the lowest byte), and
// returns how many of them are ASCII digits before the first that is not
// (8: all are), and w with each digit's byte turned into its value, for
// digitsValue. With digitsValue, instead of a byte loop, for the ports, the
// status codes and the byte counts: −130 instructions an ALB line.
func digitRun(w uint64) (d int, t uint64) {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	t = w ^ '0'*lo // a digit becomes 0-9; any other byte is above 9
	// A byte's top bit is set in m if it is above 9: adding 0x76 reaches
	// 0x80, or it had the bit. A carry only starts at such a byte and only
	// moves up: the lowest set bit is the first byte that is not a digit.
	m := ((t + 0x76*lo) | t) & hi
	return bits.TrailingZeros64(m) >> 3, t // 64>>3 when m is 0
}

// digitsValue returns the value of the first d (1-8) digits of t, from
// digitRun: three multiplies add up pairs of digits, pairs of pairs, and
// the two halves. For d = 0 it returns a number of no meaning (callers
// then give up on the field).
func digitsValue(t uint64, d int) uint64 {
	// The digits, moved to the top bytes: the bytes below them are zeros,
	// leading zeros of an 8-digit number whose first digit is the lowest.
	x := t << ((64 - 8*d) & 63)
	x = (x * (10<<8 + 1)) >> 8 & 0x00ff00ff00ff00ff    // byte pairs: 10*a + b
	x = (x * (100<<16 + 1)) >> 16 & 0x0000ffff0000ffff // pairs of pairs
	return (x * (10000<<32 + 1)) >> 32                 // the two halves
}

// secondsIn reads w, the first 8 bytes of a field that starts with a digit
// (the first byte in the lowest), as validate's kSeconds reads decimal
// seconds: digits (at most 18), then optionally a point and more digits.
// It returns the length e of the decimal within w, 8 if it fills w (it
// ends there if the 9th byte is a space), and z, how many leading zeros of
// the integer part to drop (all but its last digit). e is 0 when w holds a
// point with no digits after it: the field is not a decimal, or its
// digits are past w. secondsLong reads those and the decimals that go on
// past w. One word instead of two byte loops and one for the zeros: −18
// instructions an ALB line (three "0.012"), −56 a CLB line ("0.000086").
func secondsIn(w uint64) (e, z int) {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	t := w ^ '0'*lo // a digit becomes 0-9; any other byte is above 9
	// A byte's top bit is set in m if it is above 9: adding 0x76 reaches
	// 0x80, or it had the bit. A carry only starts at such a byte and only
	// moves up: the lowest set bit is the first byte that is not a digit.
	m := ((t + 0x76*lo) | t) & hi
	e = bits.TrailingZeros64(m) >> 3 // 8: none
	// t's zero bytes were '0's; m>>15 marks the last digit (1<<56 when
	// all 8 are): z counts the zeros before, at most that many.
	z = bits.TrailingZeros64(t|m>>15|1<<56) >> 3
	if byte(t>>(8*e&63)) == '.'^'0' {
		d := e // the point, then the next byte that is not a digit
		if e = bits.TrailingZeros64(m&(m-1)) >> 3; e == d+1 {
			e = 0 // no digits after the point, or not in w
		}
	}
	return e, z
}

// secondsLong is secondsIn for any field, the decimal's length and zeros,
// or 0 if the field does not start with one: byte by byte, for decimals
// that go on past 8 bytes.
func secondsLong(b []byte) (e, z int) {
	j := digitsEnd(b, 0)
	if j == 0 || j > 18 {
		return 0, 0
	}
	for z < j-1 && b[z] == '0' {
		z++
	}
	if j < len(b) && b[j] == '.' {
		k := digitsEnd(b, j+1)
		if k == j+1 {
			return 0, 0
		}
		j = k
	}
	return j, z
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
		copy(a[:], b)
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
