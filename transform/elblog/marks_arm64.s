//go:build !purego

#include "textflag.h"

// func marksVec(p *byte, n int, sp, qt *uint64) (quotes int, dirty bool)
//
// For the n bytes at p (n >= 64): bit k of sp[w] is set when byte 64w+k is
// a space, of qt[w] when it is a double quote; ceil(n/64) words of each are
// written, and bits past n are zero. quotes counts the double quotes;
// dirty reports whether any byte is outside 0x20-0x7E or is a backslash.
//
// The AVX2 kernel's algorithm (marks_amd64.s) in NEON, which has no
// movemask: a block's 64 compare results (0x00 or 0xff a byte, in four
// registers) are ANDed with each byte's weight within its 8-byte group
// (1, 2, 4, … 128), and four pairwise additions sum the groups into one
// 64-bit mask. The clean check keeps the smallest and largest byte seen
// and whether a backslash was, and tests them once, after the last block.
//
// A last partial block is read as the 64 bytes that end the line, which
// overlap the block before; its masks are shifted down past the overlap.
TEXT ·marksVec(SB), NOSPLIT, $0-41
	MOVD p+0(FP), R0
	MOVD n+8(FP), R1
	MOVD sp+16(FP), R2
	MOVD qt+24(FP), R3

	VMOVI $0x20, V16.B16 // ' '
	VMOVI $0x22, V17.B16 // '"'
	VMOVI $0x5c, V18.B16 // '\\'
	MOVD $0x8040201008040201, R4
	VMOV R4, V19.D[0]
	VMOV R4, V19.D[1]    // bit weights: byte i is 1<<(i%8)
	VMOVI $0xff, V20.B16 // the smallest byte seen
	VEOR V21.B16, V21.B16, V21.B16 // the largest byte seen
	VEOR V22.B16, V22.B16, V22.B16 // 0xff where a backslash was seen
	MOVD ZR, R5          // quotes

	LSR $6, R1, R6       // full blocks (at least one)
	ADD R0, R1, R7
	SUB $64, R7, R7      // the last 64 bytes
	AND $63, R1, R8      // bytes in the partial block
	MOVD ZR, R9          // shift of the masks: none for full blocks

loop:
	VLD1.P 64(R0), [V0.B16, V1.B16, V2.B16, V3.B16]

block:
	VCMEQ V16.B16, V0.B16, V4.B16
	VCMEQ V16.B16, V1.B16, V5.B16
	VCMEQ V16.B16, V2.B16, V6.B16
	VCMEQ V16.B16, V3.B16, V7.B16
	VAND V19.B16, V4.B16, V4.B16
	VAND V19.B16, V5.B16, V5.B16
	VAND V19.B16, V6.B16, V6.B16
	VAND V19.B16, V7.B16, V7.B16
	VADDP V5.B16, V4.B16, V4.B16
	VADDP V7.B16, V6.B16, V6.B16
	VADDP V6.B16, V4.B16, V4.B16
	VADDP V4.B16, V4.B16, V4.B16
	VMOV V4.D[0], R10
	LSR R9, R10, R10
	MOVD.P R10, 8(R2)

	VCMEQ V17.B16, V0.B16, V4.B16
	VCMEQ V17.B16, V1.B16, V5.B16
	VCMEQ V17.B16, V2.B16, V6.B16
	VCMEQ V17.B16, V3.B16, V7.B16
	VAND V19.B16, V4.B16, V4.B16
	VAND V19.B16, V5.B16, V5.B16
	VAND V19.B16, V6.B16, V6.B16
	VAND V19.B16, V7.B16, V7.B16
	VADDP V5.B16, V4.B16, V4.B16
	VADDP V7.B16, V6.B16, V6.B16
	VADDP V6.B16, V4.B16, V4.B16
	VADDP V4.B16, V4.B16, V4.B16
	VMOV V4.D[0], R10
	LSR R9, R10, R10
	MOVD.P R10, 8(R3)
	FMOVD R10, F4
	VCNT V4.B8, V4.B8
	VUADDLV V4.B8, V4
	FMOVD F4, R10
	ADD R10, R5, R5

	VUMIN V1.B16, V0.B16, V4.B16
	VUMIN V3.B16, V2.B16, V5.B16
	VUMIN V5.B16, V4.B16, V4.B16
	VUMIN V4.B16, V20.B16, V20.B16
	VUMAX V1.B16, V0.B16, V4.B16
	VUMAX V3.B16, V2.B16, V5.B16
	VUMAX V5.B16, V4.B16, V4.B16
	VUMAX V4.B16, V21.B16, V21.B16
	VCMEQ V18.B16, V0.B16, V4.B16
	VCMEQ V18.B16, V1.B16, V5.B16
	VCMEQ V18.B16, V2.B16, V6.B16
	VCMEQ V18.B16, V3.B16, V7.B16
	VORR V5.B16, V4.B16, V4.B16
	VORR V7.B16, V6.B16, V6.B16
	VORR V6.B16, V4.B16, V4.B16
	VORR V4.B16, V22.B16, V22.B16

	SUBS $1, R6, R6
	BGT loop
	BEQ tail // the full blocks are done (R6 was 1)
	B done   // the partial block is done (R6 was 0)

tail:
	CBZ R8, done
	// The partial block: the last 64 bytes, masks shifted down by the
	// 64-R8 bytes already seen.
	VLD1 (R7), [V0.B16, V1.B16, V2.B16, V3.B16]
	MOVD $64, R9
	SUB R8, R9, R9
	B block

done:
	MOVD R5, quotes+32(FP)
	// Clean: the smallest byte at least ' ', the largest at most '~', no
	// backslash. Per lane: max(min, 0x20) == min, min(max, 0x7e) == max.
	VUMAX V16.B16, V20.B16, V4.B16
	VCMEQ V4.B16, V20.B16, V4.B16
	VMOVI $0x7e, V5.B16
	VUMIN V5.B16, V21.B16, V5.B16
	VCMEQ V5.B16, V21.B16, V5.B16
	VAND V5.B16, V4.B16, V4.B16  // 0xff where the lane's bytes are printable
	VMOVI $0xff, V5.B16
	VEOR V5.B16, V4.B16, V4.B16  // 0xff where they are not
	VORR V22.B16, V4.B16, V4.B16 // or a backslash was seen
	VMOV V4.D[0], R10
	VMOV V4.D[1], R11
	ORR R11, R10, R10
	CMP ZR, R10
	CSET NE, R10
	MOVB R10, dirty+40(FP)
	RET
