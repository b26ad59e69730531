package elblog

import "math/bits"

// Structural bitmaps. Where the CPU has vector instructions (AVX2 on
// amd64, NEON on arm64), one pass over the line marks every space and every double quote
// in two bitmaps, 64 bytes a step, and checks on the way that the line is
// clean (see isClean). Finding the end of a field is then a shift and a
// trailing-zero count in one word of a bitmap, instead of a byte search
// through the field: that search, mostly through long untyped fields
// (ARNs, trace ids, user agents), was about a quarter of the parse.
//
// Elsewhere (other architectures, the purego build tag, amd64 without
// AVX2, lines longer than maxMarked) the fields are found with the SWAR search (fieldEnd) and the
// line is checked by isClean. TestMarksMatchScalar holds the bitmaps to a
// byte-by-byte reference, and TestFusedMatchesSplit runs every line both
// ways.

const (
	markWords = 128              // bitmap words: lines of up to 8 KiB
	maxMarked = markWords*64 - 1 // the longest line marked: any index 0..len(line) has a word
	padByte   = 'a'              // fills the last block: not a space, a quote nor dirty
)

// useMarks is false where there is no vector implementation, or the CPU
// lacks what it needs.
var useMarks = haveMarks

// marks are the bitmaps of the line being split.
type marks struct {
	bm    [2][markWords]uint64 // bit k of word w: byte 64w+k is a space (bm[0]), a quote (bm[1])
	words int                  // words in use: ceil(len(line)/64)
	on    bool                 // the bitmaps describe the current line
	pad   [64]byte             // a line under 64 bytes, padded to a block
}

var padding = func() (p [64]byte) {
	for i := range p {
		p[i] = padByte
	}
	return p
}()

// mark builds the bitmaps of line, if it can, and then reports whether
// line is clean and how many double quotes it holds (isClean's answer).
func (m *marks) mark(line []byte) (ok, clean bool, quotes int) {
	m.off()
	n := len(line)
	if !useMarks || n > maxMarked || n == 0 {
		return false, false, 0
	}
	var dirty bool
	if n >= 64 {
		quotes, dirty = marksVec(&line[0], n, &m.bm[0][0], &m.bm[1][0])
	} else { // a short line: padded to one block
		m.pad = padding
		copy(m.pad[:], line)
		quotes, dirty = marksVec(&m.pad[0], 64, &m.bm[0][0], &m.bm[1][0])
	}
	// Bits past the line are zero in its last word; when len(line) starts
	// a word, that word is zeroed too, so that end finds nothing there.
	m.words, m.on = (n+63)>>6, true
	if w := n >> 6; w == m.words {
		m.bm[0][w%markWords], m.bm[1][w%markWords] = 0, 0
	}
	return true, !dirty, quotes
}

// end returns the index of the first c (' ' or '"') in line at or after
// j, if the bitmaps describe line and it is in j's word; otherwise -1, and
// the caller asks endSlow (or, without bitmaps, searches with fieldEnd).
// j is at most len(line): words past its word may hold the bits of an
// earlier, longer line. In the usual case, a field that ends in the word
// it starts in, this is a load, a shift and a trailing-zero count,
// inlined: the two steps keep the call to endSlow out of end, which would
// otherwise be too large to inline.
func (m *marks) end(j int, c byte) int {
	if !haveMarksArch {
		return -1
	}
	// c>>1&1 is 0 for ' ' (0x20) and 1 for '"' (0x22).
	x := m.bm[c>>1&1][uint(j)>>6%markWords] >> (uint(j) & 63)
	if !m.on || x == 0 {
		return -1
	}
	return j + bits.TrailingZeros64(x)
}

// endSlow is end for a field that runs past the word it starts in. The
// callers search lines without bitmaps with fieldEnd, inlined: a call per
// field instead costs 6% of an ALB line.
func (m *marks) endSlow(line []byte, j int, c byte) int {
	b := &m.bm[c>>1&1]
	for w := uint(j)>>6 + 1; w < uint(m.words); w++ {
		if x := b[w%markWords]; x != 0 {
			return int(w)<<6 + bits.TrailingZeros64(x)
		}
	}
	return len(line)
}

// off forgets the line: the bitmaps describe no line until the next mark.
// Their words are left as they are: mark writes every word a line's
// lookups read (clearing them instead cost two calls to memclr a line).
func (m *marks) off() { m.on = false }
