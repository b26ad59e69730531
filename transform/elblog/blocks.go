package elblog

import "unsafe"

// The block moves of the writers, the package's only unsafe code. Every
// key and nearly every value of an event goes through one of these two
// functions. Both check that the whole block fits in the
// capacity of the slices they read and write, then move it with plain
// loads and stores at an offset from the slices' data pointers: written as
// slice expressions, each move also carried bounds checks the compiler
// could not prove away, and a 32-byte array assignment compiled to a call
// to memmove.
//
// Measured against the same moves as slice expressions: instructions per
// 50,000 lines (callgrind, BenchmarkFormat) ALB 541.9M -> 524.4M (-3.2%),
// CLB 363.4M -> 351.2M (-3.4%); CPU time, BenchmarkParser, 10 interleaved
// runs, median MB/cpu-s: ALB 851 -> 884 (+3.9%), CLB 531 -> 554 (+4.3%);
// benchstat of another 8 interleaved runs: ALB +7.2% (p=0.021), ALB
// connection +9.5% (p=0.05), CLB and NLB within the machine's noise.

// appendValue appends v, a value of the line. Values of up to 32 bytes —
// most of them: times, codes, counts, addresses, ciphers — are moved as one
// 32-byte block instead of through a call to memmove: the block is read
// within v's capacity (the line's buffer, so nothing outside it is read)
// and lands in dst's spare capacity, which AppendJSON reserved; the bytes
// past len(v) are overwritten by what follows or cut off by the returned
// length.
func appendValue(dst, v []byte) []byte {
	n := len(dst)
	if cap(dst)-n >= 32 && len(v) <= 32 && cap(v) >= 32 {
		d := unsafe.Add(unsafe.Pointer(unsafe.SliceData(dst)), n)
		s := unsafe.Pointer(unsafe.SliceData(v))
		*(*[16]byte)(d) = *(*[16]byte)(s)
		*(*[16]byte)(unsafe.Add(d, 16)) = *(*[16]byte)(unsafe.Add(s, 16))
		return dst[:n+len(v)]
	}
	return append(dst, v...)
}

// put appends k to dst.
func (k *key) put(dst []byte) []byte {
	n := len(dst)
	if cap(dst)-n >= len(k.b) {
		*(*[48]byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(dst)), n)) = k.b
		return dst[:n+k.n]
	}
	return append(dst, k.b[:k.n]...)
}
