package elblog

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
)

// Outcome says what AppendJSON did with a line.
type Outcome int

const (
	// Parsed: the line's event was appended.
	Parsed Outcome = iota
	// Failed: the line did not parse; an event with event.original,
	// error.message and tags ["_elbparsefailure"] was appended and the error
	// says what was wrong and where.
	Failed
	// Skipped: an AWS control line ("Enable AccessLog for ELB: …") or a blank
	// line; nothing was appended.
	Skipped
)

func (o Outcome) String() string {
	switch o {
	case Parsed:
		return "parsed"
	case Failed:
		return "failed"
	case Skipped:
		return "skipped"
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}

// ErrConfig is wrapped by the errors Init returns for an invalid Encoder.
var ErrConfig = errors.New("elblog: invalid encoder configuration")

// configError is a configuration error: its message is the one line saying
// what is wrong, and it is ErrConfig to errors.Is.
type configError struct{ err error }

func (e configError) Error() string   { return e.err.Error() }
func (e configError) Unwrap() []error { return []error{ErrConfig, e.err} }

// Encoder turns log lines into JSON events. The zero value parses every
// format (detected per line) into ECS events. Set the exported fields before
// the first call and do not change them afterwards.
//
// An Encoder keeps scratch space between calls and is not safe for
// concurrent use; use one per goroutine.
type Encoder struct {
	Format Format  // Default: Auto (detect every line's format on its own)
	Schema Schema  // Default: ECS
	Fields []Field // static fields added to every event. Default: none

	ready   bool
	initErr error
	static  staticFields

	f       fieldsOf
	clean   bool // the line needs no escaping (see isClean)
	ids     eventIDs
	line    []byte // the line being written (for event ids without a position)
	scratch []byte // a decoded quoted field
	req     []byte // the decoded request field
}

// Init checks the configuration and compiles the static fields. AppendJSON
// calls it on first use; call it first to report a bad configuration early.
func (e *Encoder) Init() error {
	if e.ready {
		return e.initErr
	}
	e.ready = true
	if int(e.Format) >= len(formatNames) {
		e.initErr = configError{errors.New("elblog: unknown format " + e.Format.String())}
		return e.initErr
	}
	if int(e.Schema) >= len(schemaNames) {
		e.initErr = configError{errors.New("elblog: unknown schema " + e.Schema.String())}
		return e.initErr
	}
	s, err := compileStatic(e.Schema, e.Fields)
	if err != nil {
		e.initErr = configError{err}
		return e.initErr
	}
	e.static = s
	return nil
}

// AppendJSON parses one line and appends its event to dst: one JSON object,
// valid UTF-8, without a trailing newline. A trailing "\n" or "\r\n" on line
// is ignored. p gives the event its event.id (see AppendEventID).
//
// For a line that does not parse, AppendJSON appends a failure event
// (Outcome Failed) and returns the *ParseError; nothing is ever dropped.
// Control and blank lines append nothing (Outcome Skipped). An invalid
// configuration (ErrConfig) appends nothing and returns Failed.
//
// AppendJSON does not retain line or dst. It allocates nothing once dst has
// room and the Encoder's scratch space has grown to the longest line seen,
// except a *ParseError for each line that fails.
func (e *Encoder) AppendJSON(dst, line []byte, p Provenance) ([]byte, Outcome, error) {
	if !e.ready || e.initErr != nil {
		if err := e.Init(); err != nil {
			return dst, Failed, err
		}
	}
	line = trimEOL(line)
	if isControl(line) {
		return dst, Skipped, nil
	}
	// Room for the event, so that appendValue's wide copies fit; this
	// allocates only while dst is still growing to the largest event.
	if need := 4*len(line) + 2048; cap(dst)-len(dst) < need {
		dst = slices.Grow(dst, need)
	}
	start := len(dst)
	e.line = line
	f := e.Format
	if f == Auto {
		f = detect(line)
	}
	var err *ParseError
	if f == Auto {
		err = newParseError(Auto, -1, 0, "not a load-balancer log line (want an ALB type, \"tls\" or a timestamp first)", firstField(line))
	} else {
		dst, err = e.appendEvent(dst, line, f, p)
		e.f.m.off()
	}
	if err != nil {
		dst = e.appendFailure(dst[:start], line, p, err)
	}
	e.line = nil
	if err != nil {
		return dst, Failed, err
	}
	return dst, Parsed, nil
}

func trimEOL(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line
}

func firstField(line []byte) []byte {
	if i := bytes.IndexByte(line, ' '); i >= 0 {
		return line[:i]
	}
	return line
}

var quote = []byte{'"'}

// appendEvent splits line as format f and writes its event.
func (e *Encoder) appendEvent(dst, line []byte, f Format, p Provenance) ([]byte, *ParseError) {
	marked, clean, quotes := e.f.m.mark(line)
	if f == NLB || !e.f.fused(line, f) { // no fused path for NLB (yet)
		if err := e.splitValidate(line, f); err != nil {
			return dst, err
		}
	}
	if !marked {
		clean, quotes = isClean(line)
	}
	if clean {
		want := e.f.quotes
		if f == NLB && e.f.n > 20 {
			want += bytes.Count(e.f.v[20], quote)
		}
		want += bytes.Count(e.f.extra, quote)
		clean = quotes == want
	}
	e.clean = clean
	if e.Schema == Classic {
		return e.classic(dst, f, p), nil
	}
	switch f {
	case CLB:
		dst = e.ecsHTTP(dst, p, CLB, 0)
	case ALB:
		dst = e.ecsHTTP(dst, p, ALB, 1)
	case ALBConnection:
		dst = e.ecsConn(dst, p)
	case NLB:
		dst = e.ecsNLB(dst, p)
	}
	return dst, nil
}

// splitValidate splits line as format f and validates its fields: the
// general path, for every line the fused one (fused.go) does not take.
func (e *Encoder) splitValidate(line []byte, f Format) *ParseError {
	known := len(fieldNames[f])
	if i, at, reason := e.f.split(line, known, bareFields[f]); reason != "" {
		return newParseError(f, i, at, reason, nil)
	}
	if e.f.n < minFields[f] {
		return newParseError(f, -1, len(line),
			reasonf("want at least %d fields, got %d", minFields[f], e.f.n), nil)
	}
	if i := e.validate(f); i >= 0 {
		return newParseError(f, i, e.f.offset(line, i), kindReasons[kinds[f][i]], e.f.v[i])
	}
	return nil
}

// Building blocks of the writers. Fields were validated (validate.go), so
// the writers only convert. Every member they write ends with a comma;
// closing an object replaces the last comma with '}' (or drops the object if
// it stayed empty), and the event's final comma becomes its closing brace.

// open appends key (`"name":{`) and returns where the object starts.
func open(dst []byte, key string) ([]byte, int) {
	return append(dst, key...), len(dst)
}

// closeTop appends the static members for top-level object k, then closes
// the object that starts at start, or removes it if it is empty.
func (e *Encoder) closeTop(dst []byte, start int, k topKey) []byte {
	if e.static.mask&(1<<k) != 0 {
		dst = append(dst, e.static.in[k]...)
	}
	return closeObj(dst, start)
}

func closeObj(dst []byte, start int) []byte {
	if dst[len(dst)-1] == '{' {
		return dst[:start]
	}
	dst[len(dst)-1] = '}'
	return append(dst, ',')
}

// closeArray closes the array whose key starts at mark (`…,` → `…],`),
// or removes it, key and all, if it stayed empty.
func closeArray(dst []byte, mark int) []byte {
	if dst[len(dst)-1] == '[' {
		return dst[:mark]
	}
	dst[len(dst)-1] = ']'
	return append(dst, ',')
}

// wrap closes an object whose one member was just written: `…,` → `…},`.
func wrap(dst []byte) []byte {
	dst[len(dst)-1] = '}'
	return append(dst, ',')
}

// endEvent appends the top-level static members of shape sh and closes the
// event.
func (e *Encoder) endEvent(dst []byte, sh shape) []byte {
	dst = append(dst, e.static.root[sh]...)
	dst[len(dst)-1] = '}'
	return dst
}

// str appends field value v as the rest of a JSON string (after the opening
// quote), then `",`. Quoted fields have AWS's \xHH escapes decoded.
//
// The writers call it for values that may need escaping; optStr and raw
// repeat its clean-line branch in their own body, which saves a call per
// value (about 25 of the ~60 per ALB line).
func (e *Encoder) str(dst, v []byte, quoted bool) []byte {
	if e.clean {
		dst = appendValue(dst, v)
	} else {
		dst = e.escape(dst, v, quoted)
	}
	return append(dst, '"', ',')
}

func (e *Encoder) escape(dst, v []byte, quoted bool) []byte {
	if quoted && hasAWSEscape(v) {
		e.scratch = decodeAWS(e.scratch[:0], v)
		v = e.scratch
	}
	return appendEscaped(dst, v)
}

// has reports whether field i is present and holds a value ("-", "" and
// -1 times are AWS's empty values).
func (e *Encoder) has(i int) bool { return e.f.present&(1<<(uint(i)&63)) != 0 }

// optStr appends key (`"name":"`) and field i as a string, if it has a value.
func (e *Encoder) optStr(dst []byte, k *key, i int) []byte {
	if !e.has(i) {
		return dst
	}
	dst = k.put(dst)
	if e.clean {
		return append(appendValue(dst, e.f.v[i]), '"', ',')
	}
	return e.str(dst, e.f.v[i], e.f.isQuoted(i))
}

// optUint appends key and field i as an integer, if it has a value (not -
// nor -1).
func (e *Encoder) optUint(dst []byte, k *key, i int) []byte {
	if !e.has(i) {
		return dst
	}
	dst = k.put(dst)
	return append(e.num(dst, i), ',')
}

// num appends the number field i holds: its digits without leading zeros,
// copied (validate kept them; a copy is cheaper than formatting).
func (e *Encoder) num(dst []byte, i int) []byte { return appendValue(dst, e.f.dig[i]) }

// timestamp appends timestamp v with the Z that NLB leaves out, then `",`.
func timestamp(dst, v []byte) []byte {
	dst = append(dst, v...)
	if v[len(v)-1] != 'Z' {
		dst = append(dst, 'Z')
	}
	return append(dst, '"', ',')
}

// optTimestamp appends key and field i as a timestamp, if it has a value.
func (e *Encoder) optTimestamp(dst []byte, key string, i int) []byte {
	if !e.has(i) {
		return dst
	}
	return timestamp(append(dst, key...), e.f.v[i])
}

// ipPort appends `"ip":"…","port":N,` for field i, if it has a value.
func (e *Encoder) ipPort(dst []byte, i int) []byte {
	if !e.has(i) {
		return dst
	}
	dst = append(dst, `"ip":"`...)
	dst = appendValue(dst, e.f.aux[i]) // validated: hex digits, dots and colons only
	dst = append(dst, `","port":`...)
	return append(e.num(dst, i), ',')
}

// list appends key (`"name":[`) and field i split at sep as an array of
// strings, if it has a value.
func (e *Encoder) list(dst []byte, k *key, i int, sep byte) []byte {
	if !e.has(i) {
		return dst
	}
	v, quoted := e.f.v[i], e.f.isQuoted(i)
	if !e.clean && quoted && hasAWSEscape(v) {
		e.req = decodeAWS(e.req[:0], v) // the request is written by now
		v, quoted = e.req, false
	}
	mark := len(dst)
	dst = k.put(dst)
	for {
		j := bytes.IndexByte(v, sep)
		if j < 0 {
			j = len(v)
		}
		if j > 0 {
			dst = append(dst, '"')
			if e.clean {
				dst = append(appendValue(dst, v[:j]), '"', ',')
			} else {
				dst = e.str(dst, v[:j], quoted)
			}
		}
		if j == len(v) {
			break
		}
		v = v[j+1:]
	}
	return closeArray(dst, mark)
}

// extra appends the text after the known fields, if any.
func (e *Encoder) extra(dst []byte, key string) []byte {
	if len(e.f.extra) == 0 {
		return dst
	}
	dst = append(dst, key...)
	dst = appendEscaped(dst, e.f.extra)
	return append(dst, '"', ',')
}

// eventID appends the event id and `",`.
func (e *Encoder) eventID(dst []byte, p Provenance) []byte {
	dst = e.ids.append(dst, p, e.line)
	return append(dst, '"', ',')
}

// request returns the parts of request field i, decoded if it holds AWS
// escapes (then they alias e.req and are no longer quoted).
func (e *Encoder) request(i int) (method, url, version []byte) {
	if i >= e.f.n {
		return nil, nil, nil
	}
	r := e.f.v[i]
	if !e.clean && e.f.isQuoted(i) && hasAWSEscape(r) {
		e.req = decodeAWS(e.req[:0], r)
		r = e.req
	}
	return splitRequest(r)
}

// raw appends a value that was decoded already (or is clean), then `",`.
func (e *Encoder) raw(dst, v []byte) []byte {
	if e.clean {
		return append(appendValue(dst, v), '"', ',')
	}
	return e.str(dst, v, false)
}
