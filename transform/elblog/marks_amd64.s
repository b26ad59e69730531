//go:build !purego

#include "textflag.h"

// func marksVec(p *byte, n int, sp, qt *uint64) (quotes int, dirty bool)
//
// For the n bytes at p (n >= 64): bit k of sp[w] is set when byte 64w+k is
// a space, of qt[w] when it is a double quote; ceil(n/64) words of each are
// written, and bits past n are zero. quotes counts the double quotes;
// dirty reports whether any byte is outside 0x20-0x7E or is a backslash.
//
// A last partial block is read as the 64 bytes that end the line, which
// overlap the block before; its masks are shifted down past the overlap.
//
// Every instruction that touches an X or Y register is VEX-encoded (VMOVD,
// not MOVQ, to move a byte into X1-X4). A legacy-SSE MOVQ AX, X2 after
// VPBROADCASTB had dirtied the upper half of Y1 cost about 350 ns a call
// on an AMD EPYC family 25 model 1 (Zen 3) host: 380 ns for 640 bytes,
// 28 ns with VMOVD, and the same 350 ns for 64 bytes, a fixed cost of the
// SSE/AVX transition, not of the work (BenchmarkMarks). On the Zen 4 host
// of earlier runs adding the kernel made lines faster, so it paid far less
// there. TestMarksAsmIsVEXOnly keeps the kernel VEX-only.
TEXT ·marksVec(SB), NOSPLIT, $0-41
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), DX
	MOVQ sp+16(FP), DI
	MOVQ qt+24(FP), R8

	MOVL $0x20, AX
	VMOVD AX, X1
	VPBROADCASTB X1, Y1 // ' ', and the bound of the control bytes
	MOVL $0x22, AX
	VMOVD AX, X2
	VPBROADCASTB X2, Y2 // '"'
	MOVL $0x7f, AX
	VMOVD AX, X3
	VPBROADCASTB X3, Y3 // DEL
	MOVL $0x5c, AX
	VMOVD AX, X4
	VPBROADCASTB X4, Y4 // '\\'
	VPXOR Y15, Y15, Y15 // dirty bytes seen
	XORQ R9, R9         // quotes

	MOVQ DX, CX
	SHRQ $6, CX         // full blocks
	LEAQ -64(SI)(DX*1), R10 // the last 64 bytes
	ANDQ $63, DX        // bytes in the partial block
	MOVQ $0, R11        // shift of the masks: none for full blocks

loop:
	VMOVDQU (SI), Y5
	VMOVDQU 32(SI), Y6

block:
	VPCMPEQB Y5, Y1, Y7
	VPCMPEQB Y6, Y1, Y8
	VPMOVMSKB Y7, AX
	VPMOVMSKB Y8, BX
	SHLQ $32, BX
	ORQ BX, AX
	SHRXQ R11, AX, AX
	MOVQ AX, (DI)

	VPCMPEQB Y5, Y2, Y7
	VPCMPEQB Y6, Y2, Y8
	VPMOVMSKB Y7, AX
	VPMOVMSKB Y8, BX
	SHLQ $32, BX
	ORQ BX, AX
	SHRXQ R11, AX, AX
	MOVQ AX, (R8)
	POPCNTQ AX, AX
	ADDQ AX, R9

	// Signed compare: bytes below 0x20 and from 0x80 up are less than ' '.
	VPCMPGTB Y5, Y1, Y7
	VPCMPGTB Y6, Y1, Y8
	VPOR Y7, Y15, Y15
	VPOR Y8, Y15, Y15
	VPCMPEQB Y5, Y3, Y7
	VPCMPEQB Y6, Y3, Y8
	VPOR Y7, Y15, Y15
	VPOR Y8, Y15, Y15
	VPCMPEQB Y5, Y4, Y7
	VPCMPEQB Y6, Y4, Y8
	VPOR Y7, Y15, Y15
	VPOR Y8, Y15, Y15

	ADDQ $64, SI
	ADDQ $8, DI
	ADDQ $8, R8
	DECQ CX
	JG loop
	JZ tail  // the full blocks are done (CX was 1)
	JMP done // the partial block is done (CX was 0)

tail:
	TESTQ DX, DX
	JZ done
	// The partial block: the last 64 bytes, masks shifted down by the
	// 64-DX bytes already seen.
	VMOVDQU (R10), Y5
	VMOVDQU 32(R10), Y6
	MOVQ $64, R11
	SUBQ DX, R11
	JMP block

done:
	MOVQ R9, quotes+32(FP)
	VPTEST Y15, Y15
	SETNE dirty+40(FP)
	VZEROUPPER
	RET
