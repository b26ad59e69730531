// Package linecut marks a line cut to fit a size limit, the same way
// wherever elbstream has to cut one: ingest for lines over its line limit,
// transform for a line whose event cannot fit in a stream record.
package linecut

import (
	"strconv"
	"unicode/utf8"
)

// Marker starts the text appended to a cut line: the kept prefix is
// followed by
//
//	" [elbstream: line truncated from N bytes]"
//
// where N is the line's original length without its terminator.
const Marker = " [elbstream: line truncated from "

// Append appends to dst the first bytes of line, backed off to a UTF-8
// boundary, and the marker for a line of orig bytes, so that the result
// takes at most limit bytes (if limit leaves room for the marker). line
// may hold only a prefix of the original line, and dst may be line[:0]:
// the line is then cut in place.
func Append(dst, line []byte, limit, orig int) []byte {
	var buf [64]byte
	m := append(append(append(buf[:0], Marker...), strconv.Itoa(orig)...), " bytes]"...)
	keep := max(0, min(limit-len(m), len(line)))
	for keep > 0 && keep < len(line) && !utf8.RuneStart(line[keep]) {
		keep--
	}
	return append(append(dst, line[:keep]...), m...)
}
