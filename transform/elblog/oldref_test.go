package elblog

import "encoding/binary"

// The byte-by-byte range checks that isTimestamp and isTimestampMicros had
// before stampBad, kept as references for TestStampMatchesOld.

func oldIsTimestamp(b []byte) (ok, hasZ bool) {
	if len(b) < 19 {
		return false, false
	}
	const (
		sepMask1 = 0xff<<32 | 0xff<<56 // "YYYY-MM-"
		sep1     = '-'<<32 | '-'<<56   //
		sepMask2 = 0xff<<16 | 0xff<<40 // "DDTHH:MM"
		sep2     = 'T'<<16 | ':'<<40   //
		zeros    = 0x3030303030303030  // '0' in every byte
		sepMask3 = 0xff                // ":SS" (three bytes)
		sep3     = ':'                 //
		three    = 0xffffff            // w3's bytes
	)
	w1 := binary.LittleEndian.Uint64(b)
	w2 := binary.LittleEndian.Uint64(b[8:])
	w3 := uint64(b[16]) | uint64(b[17])<<8 | uint64(b[18])<<16
	if w1&sepMask1 != sep1 || w2&sepMask2 != sep2 || w3&sepMask3 != sep3 {
		return false, false
	}
	w1 = w1&^sepMask1 | zeros&sepMask1
	w2 = w2&^sepMask2 | zeros&sepMask2
	w3 = w3&^sepMask3 | '0' | (zeros &^ three)
	if oldNonDigits(w1)|oldNonDigits(w2)|oldNonDigits(w3) != 0 {
		return false, false
	}
	month := 10*(b[5]-'0') + b[6] - '0'
	day := 10*(b[8]-'0') + b[9] - '0'
	hour := 10*(b[11]-'0') + b[12] - '0'
	minute := 10*(b[14]-'0') + b[15] - '0'
	second := 10*(b[17]-'0') + b[18] - '0'
	if month-1 > 11 || day-1 > 30 || hour > 23 || minute > 59 || second > 60 {
		return false, false
	}
	rest := b[19:]
	if len(rest) > 0 && rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n]-'0' <= 9 {
			n++
		}
		if n == 1 || n > 10 {
			return false, false
		}
		rest = rest[n:]
	}
	if len(rest) == 1 && rest[0] == 'Z' {
		return true, true
	}
	return len(rest) == 0, false
}

func oldIsTimestampMicros(b []byte) bool {
	if len(b) != 27 {
		return false
	}
	const (
		zeros    = 0x3030303030303030
		sepMask1 = 0xff<<32 | 0xff<<56 // "YYYY-MM-"
		sep1     = '-'<<32 | '-'<<56
		sepMask2 = 0xff<<16 | 0xff<<40 // "DDTHH:MM"
		sep2     = 'T'<<16 | ':'<<40
		sepMask3 = 0xff | 0xff<<24 // ":SS.ffff"
		sep3     = ':' | '.'<<24
		sepMask4 = 0xff | 0xff<<56 // ".ffffffZ"
		sep4     = '.' | 'Z'<<56
	)
	w1 := binary.LittleEndian.Uint64(b)
	w2 := binary.LittleEndian.Uint64(b[8:])
	w3 := binary.LittleEndian.Uint64(b[16:])
	w4 := binary.LittleEndian.Uint64(b[19:])
	if w1&sepMask1 != sep1 || w2&sepMask2 != sep2 || w3&sepMask3 != sep3 || w4&sepMask4 != sep4 {
		return false
	}
	if oldNonDigits(w1&^sepMask1|zeros&sepMask1)|oldNonDigits(w2&^sepMask2|zeros&sepMask2)|
		oldNonDigits(w3&^sepMask3|zeros&sepMask3)|oldNonDigits(w4&^sepMask4|zeros&sepMask4) != 0 {
		return false
	}
	month := 10*(b[5]-'0') + b[6] - '0'
	day := 10*(b[8]-'0') + b[9] - '0'
	hour := 10*(b[11]-'0') + b[12] - '0'
	minute := 10*(b[14]-'0') + b[15] - '0'
	second := 10*(b[17]-'0') + b[18] - '0'
	return month-1 <= 11 && day-1 <= 30 && hour <= 23 && minute <= 59 && second <= 60
}

func oldNonDigits(x uint64) uint64 {
	const high, low7 = 0x8080808080808080, 0x7f7f7f7f7f7f7f7f
	lt0 := ^((x | high) - 0x3030303030303030) & high
	gt9 := ((x & low7) + 0x4646464646464646) & high
	return x&high | lt0 | gt9
}

// The byte-by-byte ipv4End, kept as the reference for TestIPv4EndMatchesOld.
func oldIPv4End(line []byte, pos int, sep byte) (int, bool) {
	b := line[pos:]
	i := 0
	for part := range 4 {
		if i+1 >= len(b) { // a digit and a separator at least
			return 0, false
		}
		v := uint(b[i]) - '0'
		if v > 9 {
			return 0, false
		}
		i++
		if d := uint(b[i]) - '0'; d <= 9 {
			if v == 0 { // a leading zero
				return 0, false
			}
			v = v*10 + d
			i++
			if i < len(b) {
				if d := uint(b[i]) - '0'; d <= 9 {
					v = v*10 + d
					i++
				}
			}
			if v > 255 || i >= len(b) {
				return 0, false
			}
		}
		want := byte('.')
		if part == 3 {
			want = sep
		}
		if b[i] != want {
			return 0, false
		}
		i++
	}
	return pos + i - 1, true
}
