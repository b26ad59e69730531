package elblog

import (
	"bytes"
	"unicode/utf8"
)

// jsonSafe marks the ASCII bytes that go into a JSON string as they are.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendEscaped appends s to dst as the inside of a JSON string: '"', '\\'
// and control bytes are escaped, and every byte that is not part of a valid
// UTF-8 sequence becomes U+FFFD, so the output is always valid UTF-8 JSON.
func appendEscaped(dst, s []byte) []byte {
	i := 0 // start of the run not yet copied
	for j := 0; j < len(s); {
		c := s[j]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				j++
				continue
			}
			dst = append(dst, s[i:j]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			j++
			i = j
			continue
		}
		r, size := utf8.DecodeRune(s[j:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[i:j]...)
			dst = append(dst, "\uFFFD"...)
			j++
			i = j
			continue
		}
		j += size
	}
	return append(dst, s[i:]...)
}

// decodeAWS appends s to dst with AWS's \xHH escapes decoded (AWS writes a
// double quote inside a quoted field as \x22 and a backslash as \x5C). Any
// other backslash is kept as it is.
func decodeAWS(dst, s []byte) []byte {
	for {
		i := bytes.IndexByte(s, '\\')
		if i < 0 || i+4 > len(s) {
			return append(dst, s...)
		}
		if s[i+1] == 'x' && isHex(s[i+2]) && isHex(s[i+3]) {
			dst = append(dst, s[:i]...)
			dst = append(dst, unhex(s[i+2])<<4|unhex(s[i+3]))
			s = s[i+4:]
			continue
		}
		dst = append(dst, s[:i+1]...)
		s = s[i+1:]
	}
}

// hasAWSEscape reports whether s holds a \xHH escape.
func hasAWSEscape(s []byte) bool {
	for {
		i := bytes.IndexByte(s, '\\')
		if i < 0 || i+4 > len(s) {
			return false
		}
		if s[i+1] == 'x' && isHex(s[i+2]) && isHex(s[i+3]) {
			return true
		}
		s = s[i+1:]
	}
}
