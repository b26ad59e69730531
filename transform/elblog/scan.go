package elblog

import (
	"bytes"
	"math/bits"
)

// maxKnown is the most fields any format defines today (ALB: 33).
const maxKnown = 33

// fieldsOf is a line split into fields. Every slice aliases the line.
type fieldsOf struct {
	v       [maxKnown][]byte
	quoted  uint64 // bit i: field i was enclosed in double quotes
	present uint64 // bit i: field i holds a value (not "-", "" or a -1 time)
	n       int    // fields found, at most the format's known count
	extra   []byte // everything after the known fields: fields AWS added later
	quotes  int    // quote bytes used as field delimiters

	// Filled by validate for typed fields:
	num [maxKnown]uint64 // counts, status codes, ports
	dig [maxKnown][]byte // num's digits as the line has them, if canonical (no leading zero); else nil
	aux [maxKnown][]byte // the address of ip:port; a decimal without leading zeros
}

// split splits line into at most known fields, separated by single spaces. A
// field that starts with '"' runs to the next '"' (AWS writes quotes inside
// values as \x22), which must be followed by a space or the end of the line.
// Fields whose bit is set in bare are read up to the next space even when they
// start with a quote (NLB's alpn_client_preference_list: "h2","http/1.1").
// The text after the known fields is kept whole in extra.
//
// On malformed input split returns the 0-based index of the field at fault,
// its offset, and a reason; otherwise reason is "".
func (f *fieldsOf) split(line []byte, known int, bare uint64) (field, at int, reason string) {
	f.quoted, f.present, f.extra = 0, 0, nil
	rest := line
	i := 0
	for ; i < known && len(rest) > 0; i++ {
		var v []byte
		if rest[0] == '"' && bare&(1<<i) == 0 {
			end := bytes.IndexByte(rest[1:], '"')
			if end < 0 {
				return i, len(line) - len(rest), "unterminated quoted field"
			}
			v, rest = rest[1:1+end], rest[2+end:]
			f.quoted |= 1 << i
			if len(rest) > 0 && rest[0] != ' ' {
				return i, len(line) - len(rest), "want a space after the closing quote"
			}
		} else {
			end := bytes.IndexByte(rest, ' ')
			if end < 0 {
				end = len(rest)
			} else if end == 0 {
				return i, len(line) - len(rest), "empty field (two spaces in a row?)"
			}
			v, rest = rest[:end], rest[end:]
		}
		f.v[i] = v
		if len(v) > 1 || (len(v) == 1 && v[0] != '-') {
			f.present |= 1 << i
		}
		if len(rest) > 0 { // rest[0] == ' '
			rest = rest[1:]
			if len(rest) == 0 {
				return i + 1, len(line), "line ends with a space"
			}
		}
	}
	f.n = i
	f.quotes = 2 * bits.OnesCount64(f.quoted)
	if len(rest) > 0 {
		f.extra = rest
	}
	return 0, 0, ""
}

// offset returns the byte offset of field i in line (of its opening quote,
// if quoted). Fields are subslices of line that keep its capacity, so the
// offset is the difference of capacities.
func (f *fieldsOf) offset(line []byte, i int) int {
	off := cap(line) - cap(f.v[i])
	if f.isQuoted(i) {
		off--
	}
	return off
}

// isQuoted reports whether field i was quoted.
func (f *fieldsOf) isQuoted(i int) bool { return f.quoted&(1<<i) != 0 }
