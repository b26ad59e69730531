package elblog

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// maxKnown is the most fields any format defines today (ALB: 33).
const maxKnown = 33

// fieldsOf is a line split into fields. Every slice aliases the line.
type fieldsOf struct {
	v        [maxKnown][]byte
	off      [maxKnown]int32 // byte offset of each field in the line (at its quote, if quoted)
	quoted   uint64          // bit i: field i was enclosed in double quotes
	present  uint64          // bit i: field i holds a value (not "-", "" or a -1 time)
	n        int             // fields found, at most the format's known count
	extra    []byte          // everything after the known fields: fields AWS added later
	extraOff int
	quotes   int // quote bytes used as field delimiters

	// Filled by validate for typed fields:
	num [maxKnown]uint64 // counts, status codes, ports
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
	f.n, f.quoted, f.present, f.quotes, f.extra, f.extraOff = 0, 0, 0, 0, nil, 0
	rest := line
	pos := 0
	for i := 0; i < known; i++ {
		if len(rest) == 0 {
			break
		}
		f.off[i] = int32(pos)
		if rest[0] == '"' && bare&(1<<i) == 0 {
			end := indexQuote(rest[1:])
			if end < 0 {
				return i, pos, "unterminated quoted field"
			}
			f.v[i] = rest[1 : 1+end]
			f.quoted |= 1 << i
			f.quotes += 2
			n := end + 2
			if n < len(rest) && rest[n] != ' ' {
				return i, pos + n, "want a space after the closing quote"
			}
			rest, pos = rest[n:], pos+n
		} else {
			end := indexSpace(rest)
			if end < 0 {
				end = len(rest)
			}
			if end == 0 {
				return i, pos, "empty field (two spaces in a row?)"
			}
			f.v[i] = rest[:end]
			rest, pos = rest[end:], pos+end
		}
		f.n = i + 1
		if v := f.v[i]; len(v) > 1 || (len(v) == 1 && v[0] != '-') {
			f.present |= 1 << i
		}
		if len(rest) > 0 { // rest[0] == ' '
			rest, pos = rest[1:], pos+1
			if len(rest) == 0 {
				return i + 1, pos, "line ends with a space"
			}
		}
	}
	if len(rest) > 0 {
		f.extra, f.extraOff = rest, pos
	}
	return 0, 0, ""
}

// isQuoted reports whether field i was quoted.
func (f *fieldsOf) isQuoted(i int) bool { return f.quoted&(1<<i) != 0 }

// indexSpace and indexQuote are bytes.IndexByte for the short fields that
// make up most of a line, where calling the vectorized search costs more than
// it saves. They test eight bytes per step for the first 32 bytes (a
// zero-byte test on the word XOR the wanted byte; the lowest flagged byte is
// exact), then hand longer fields to bytes.IndexByte.
func indexSpace(b []byte) int { return indexByte(b, ' ', 0x2020202020202020) }
func indexQuote(b []byte) int { return indexByte(b, '"', 0x2222222222222222) }

func indexByte(b []byte, c byte, pattern uint64) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(b) && i < 32; i += 8 {
		w := binary.LittleEndian.Uint64(b[i:]) ^ pattern
		if t := (w - ones) &^ w & highs; t != 0 {
			return i + bits.TrailingZeros64(t)>>3
		}
	}
	if i == 32 {
		if j := bytes.IndexByte(b[i:], c); j >= 0 {
			return i + j
		}
		return -1
	}
	for ; i < len(b); i++ {
		if b[i] == c {
			return i
		}
	}
	return -1
}
