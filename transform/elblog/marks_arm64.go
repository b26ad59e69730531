//go:build !purego

package elblog

// haveMarksArch: this build has a vector implementation (whether the CPU
// can run it is haveMarks).
const haveMarksArch = true

// haveMarks: every arm64 CPU has Advanced SIMD (NEON), which ARMv8-A
// requires and Go's arm64 port assumes (internal/bytealg uses it
// unconditionally).
var haveMarks = true

// marksVec, with NEON, fills sp and qt with the space and quote bitmaps of
// the n bytes at p (n >= 64; ceil(n/64) words each, bits past n zero),
// counts the quotes, and reports whether any byte is outside 0x20-0x7E or
// is a backslash (marks_arm64.s).
//
//go:noescape
func marksVec(p *byte, n int, sp, qt *uint64) (quotes int, dirty bool)
