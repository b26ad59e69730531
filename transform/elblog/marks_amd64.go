//go:build !purego

package elblog

import "golang.org/x/sys/cpu"

// haveMarksArch: this build has a vector implementation (whether the CPU
// can run it is haveMarks).
const haveMarksArch = true

var haveMarks = cpu.X86.HasAVX2 && cpu.X86.HasBMI2 && cpu.X86.HasPOPCNT

// marksVec, with AVX2, fills sp and qt with the space and quote bitmaps of the n
// bytes at p (n >= 64; ceil(n/64) words each, bits past n zero), counts
// the quotes, and reports whether any byte is outside 0x20-0x7E or is a
// backslash (marks_amd64.s).
//
//go:noescape
func marksVec(p *byte, n int, sp, qt *uint64) (quotes int, dirty bool)
