package elblog

// kind is what a field must hold. Lines are validated field by field
// against their format's table before anything is written, so whether a line
// parses never depends on the schema, and the writers need not check again.
type kind uint8

const (
	kAny        kind = iota // any text
	kTime                   // ISO 8601 timestamp
	kTimeOrDash             // ISO 8601 timestamp or -
	kHostPort               // ip:port
	kHostPortOr             // ip:port or -
	kIP                     // ip
	kPort                   // 0-65535
	kStatus                 // HTTP status code (0-999) or -
	kCount                  // a count (at most 18 digits) or -
	kSeconds                // decimal seconds, -1 or -
	kPriority               // rule priority: a count, -1 or -
)

var kindReasons = [...]string{
	kTime:       "want an ISO 8601 timestamp",
	kTimeOrDash: "want an ISO 8601 timestamp or -",
	kHostPort:   "want ip:port",
	kHostPortOr: "want ip:port or -",
	kIP:         "want an IP address",
	kPort:       "want a port number",
	kStatus:     "want a status code or -",
	kCount:      "want a number or -",
	kSeconds:    "want seconds, -1 or -",
	kPriority:   "want a number, -1 or -",
}

var kinds = [...][maxKnown]kind{
	CLB: {kTime, kAny, kHostPort, kHostPortOr, kSeconds, kSeconds, kSeconds, kStatus, kStatus,
		kCount, kCount, kAny, kAny, kAny, kAny},
	ALB: {kAny, kTime, kAny, kHostPort, kHostPortOr, kSeconds, kSeconds, kSeconds, kStatus, kStatus,
		kCount, kCount, kAny, kAny, kAny, kAny, kAny, kAny, kAny, kAny, kPriority, kTimeOrDash,
		kAny, kAny, kAny, kAny, kAny, kAny, kAny, kAny, kAny, kAny, kAny},
	ALBConnection: {kTime, kIP, kPort, kPort, kAny, kAny, kSeconds, kAny, kAny, kAny, kAny, kAny},
	NLB: {kAny, kAny, kTime, kAny, kAny, kHostPort, kHostPort, kCount, kCount, kCount, kCount,
		kAny, kAny, kAny, kAny, kAny, kAny, kAny, kAny, kAny, kAny, kTimeOrDash},
}

// typedFields lists, per format, the fields whose kind is not kAny.
var typedFields = func() (t [len(kinds)][]uint8) {
	for f, ks := range kinds {
		for i, k := range ks {
			if k != kAny {
				t[f] = append(t[f], uint8(i))
			}
		}
	}
	return t
}()

// validate checks every field of the split line against format f's table,
// keeps what it parsed (num, aux) for the writers, and returns the first
// field that does not fit (-1 if all do). A -1 time or priority is cleared
// from present: it means "not available".
func (e *Encoder) validate(f Format) int {
	t := &e.f
	for _, i := range typedFields[f] {
		if int(i) >= t.n {
			break
		}
		k, v := kinds[f][i], t.v[i]
		dash := len(v) == 1 && v[0] == '-'
		switch k {
		case kTime:
			if ok, _ := isTimestamp(v); !ok {
				return int(i)
			}
		case kTimeOrDash:
			if ok, _ := isTimestamp(v); !ok && !dash {
				return int(i)
			}
		case kHostPort, kHostPortOr:
			ip, port, ok := splitHostPort(v)
			if !ok && !(dash && k == kHostPortOr) {
				return int(i)
			}
			t.aux[i], t.num[i], t.dig[i] = ip, port, v[len(v)-digits(port):]
		case kIP:
			if !isIP(v) {
				return int(i)
			}
		case kPort:
			n, ok := isPort(v)
			if !ok {
				return int(i)
			}
			t.num[i], t.dig[i] = n, trimZeros(v)
		case kStatus:
			n, ok := parseUint(v)
			if (!ok || n > 999) && !dash {
				return int(i)
			}
			t.num[i], t.dig[i] = n, trimZeros(v)
		case kCount:
			n, ok := parseUint(v)
			if !ok && !dash {
				return int(i)
			}
			t.num[i], t.dig[i] = n, trimZeros(v)
		case kSeconds:
			if isMinusOne(v) {
				t.present &^= 1 << i
				continue
			}
			d, ok := decimal(v)
			if !ok && !dash {
				return int(i)
			}
			t.aux[i] = d
		case kPriority:
			if isMinusOne(v) {
				t.present &^= 1 << i
				continue
			}
			n, ok := parseUint(v)
			if !ok && !dash {
				return int(i)
			}
			t.num[i], t.dig[i] = n, trimZeros(v)
		}
	}
	return -1
}

// trimZeros returns the digits d without leading zeros (keeping the last
// digit): the number as JSON writes it, so the writers copy it instead of
// formatting it.
func trimZeros(d []byte) []byte {
	for len(d) > 1 && d[0] == '0' {
		d = d[1:]
	}
	return d
}

// digits returns how many decimal digits n has as the line wrote it: the
// length of the port after the last colon. Only the count matters for
// slicing, and ports have at most five.
func digits(n uint64) int {
	switch {
	case n < 10:
		return 1
	case n < 100:
		return 2
	case n < 1000:
		return 3
	case n < 10000:
		return 4
	}
	return 5
}
