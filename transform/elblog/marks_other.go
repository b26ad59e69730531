//go:build !amd64 || purego

package elblog

var haveMarks = false

func marksAVX2(p *byte, n int, sp, qt *uint64) (int, bool) {
	panic("elblog: no vector implementation of marks")
}
