package elblog

import (
	"encoding/binary"
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
	m       marks  // the line's bitmaps, when m.on (marks.go)

	// Filled by validate for typed fields:
	num [maxKnown]uint64 // counts, status codes, ports
	dig [maxKnown][]byte // num as JSON writes it: the line's digits without leading zeros
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
//
// The search for a field's end is written out in the loop, eight bytes a
// step in a general-purpose register (SWAR), rather than calling
// bytes.IndexByte per field: fields are short, and around a call every live
// value is spilled and reloaded. Measured on generated ALB lines
// (BenchmarkStage, CPU time, n=8): split −23%, AppendJSON −9%.
func (f *fieldsOf) split(line []byte, known int, bare uint64) (field, at int, reason string) {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	f.quoted, f.present, f.extra = 0, 0, nil
	n := len(line)
	pos := 0 // start of field i
	i := 0
	for ; i < known && i < maxKnown && pos < n; i++ {
		c, start := byte(' '), pos
		if line[pos] == '"' && bare&(1<<(uint(i)&63)) == 0 {
			c, start = '"', pos+1
		}
		// j: the first c at or after start, or n.
		pat := lo * uint64(c)
		j := start
		for {
			if haveMarksArch && f.m.on {
				if j = f.m.end(start, c); j < 0 {
					j = f.m.endSlow(line, start, c)
				}
				break
			}
			if j+8 > n {
				for j < n && line[j] != c {
					j++
				}
				break
			}
			w := binary.LittleEndian.Uint64(line[j:j+8]) ^ pat
			// The lowest high bit marks the first zero byte of w exactly (a
			// borrow only propagates above a zero byte).
			if m := (w - lo) &^ w & hi; m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				break
			}
			j += 8
		}
		v := line[start:j]
		if c == '"' {
			if j == n {
				return i, pos, "unterminated quoted field"
			}
			j++
			f.quoted |= 1 << (uint(i) & 63)
			if j < n && line[j] != ' ' {
				return i, j, "want a space after the closing quote"
			}
		} else if j == start {
			return i, pos, "empty field (two spaces in a row?)"
		}
		f.v[i] = v
		if len(v) > 1 || (len(v) == 1 && v[0] != '-') {
			f.present |= 1 << (uint(i) & 63)
		}
		pos = j
		if pos < n { // line[pos] == ' '
			pos++
			if pos == n {
				return i + 1, n, "line ends with a space"
			}
		}
	}
	f.n = i
	f.quotes = 2 * bits.OnesCount64(f.quoted)
	if pos < n {
		f.extra = line[pos:]
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
func (f *fieldsOf) isQuoted(i int) bool { return f.quoted&(1<<(uint(i)&63)) != 0 }
