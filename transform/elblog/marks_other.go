//go:build (!amd64 && !arm64) || purego

package elblog

// haveMarksArch: this build has no vector implementation; being a
// constant, it compiles the bitmap lookups away.
const haveMarksArch = false

var haveMarks = false

func marksVec(p *byte, n int, sp, qt *uint64) (int, bool) {
	panic("elblog: no vector implementation of marks")
}
