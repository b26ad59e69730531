package elblog

import (
	"bytes"
	"encoding/binary"
	"runtime"

	"github.com/segmentio/encoding/ascii"
)

// isClean reports whether every byte of line is printable ASCII (0x20-0x7E)
// and none is a backslash. Nearly every real log line is clean, and in a
// clean line no field needs JSON escaping or \xHH decoding: quoted fields end
// at the first quote, so only the delimiters are quotes, which the caller
// checks by comparing quotes with the delimiters split consumed. Fields of a
// clean line are then copied to the output as they are.
//
// It serves the lines the structural bitmaps do not (see marks.go): every
// line where there is no vector kernel (-tags purego, architectures other
// than amd64 and arm64), lines over 8 KiB, and on amd64 a CPU without AVX2.
// On amd64 it calls segmentio's ascii.ValidPrint, 32 bytes per step with
// AVX2. Elsewhere (arm64 too) that function's portable version takes two
// branches per 8 bytes; printable, 32 bytes a step with one branch, takes
// 55% of its instructions on generated ALB lines (callgrind, -tags purego).
// bytes.IndexByte and bytes.Count are vectorized on both architectures.
// Three vector passes over a 670-byte ALB line take 35 ns, one scalar pass
// doing all three checks 380 ns (BenchmarkClean in stage_bench_test.go).
func isClean(line []byte) (clean bool, quotes int) {
	if haveMarksArch && runtime.GOARCH == "amd64" {
		if !ascii.ValidPrint(line) {
			return false, 0
		}
	} else if !printable(line) {
		return false, 0
	}
	if bytes.IndexByte(line, '\\') >= 0 {
		return false, 0
	}
	return true, bytes.Count(line, quote)
}

// printable reports whether every byte of b is printable ASCII (0x20-0x7E),
// reading b 32 bytes a step as four words, then 8 bytes a step, and its last
// 8 bytes as one word overlapping the step before. The four words' tests
// share one mask and one branch.
func printable(b []byte) bool {
	const hi = 0x8080808080808080
	n := len(b)
	if n < 8 {
		w := [8]byte{' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '}
		copy(w[:], b)
		return notPrintable(binary.LittleEndian.Uint64(w[:]))&hi == 0
	}
	i := 0
	for ; i+32 <= n; i += 32 {
		w := b[i : i+32 : i+32]
		if (notPrintable(binary.LittleEndian.Uint64(w[0:8]))|notPrintable(binary.LittleEndian.Uint64(w[8:16]))|
			notPrintable(binary.LittleEndian.Uint64(w[16:24]))|notPrintable(binary.LittleEndian.Uint64(w[24:32])))&hi != 0 {
			return false
		}
	}
	for ; i+8 <= n; i += 8 {
		if notPrintable(binary.LittleEndian.Uint64(b[i:i+8]))&hi != 0 {
			return false
		}
	}
	return notPrintable(binary.LittleEndian.Uint64(b[n-8:]))&hi == 0
}

// notPrintable has a high bit (0x80 in a byte; the other bits are noise)
// set when a byte of x is below 0x20, is 0x7F, or has its own high bit set.
// In a word of printable bytes, b-0x20 and b+1 stay below 0x80 and neither
// borrows nor carries; the lowest byte below 0x20 has no borrow coming in,
// so b-0x20 wraps to 0xE0 or more; 0x7F+1 is 0x80; and bytes of 0x80 and
// more show their own high bit. So the word's answer is exact, though not
// which byte. (Bit Twiddling Hacks' hasless and hasmore, without the
// "&^x" that makes their answer exact per byte.) The caller masks the high
// bits.
func notPrintable(x uint64) uint64 {
	const lo = 0x0101010101010101
	return (x - lo*0x20) | (x + lo) | x
}
