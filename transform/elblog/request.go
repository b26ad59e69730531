package elblog

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// splitRequest splits a request field as AWS logs it — METHOD URL
// HTTP/VERSION — into its parts; the URL may contain spaces, so the method
// ends at the first space and the version starts after the last one. "-"
// parts and the "- - - " of TCP listeners are left out (nil). A request
// without a recognizable version is method and URL only. The parts alias r.
func splitRequest(r []byte) (method, url, version []byte) {
	if string(r) == "- - - " {
		return nil, nil, nil
	}
	sp := -1
	if len(r) >= 8 { // the method is usually in the first word
		if m := bytesEq(binary.LittleEndian.Uint64(r), ' '); m != 0 {
			sp = bits.TrailingZeros64(m) >> 3
		}
	}
	if sp < 0 {
		if sp = bytes.IndexByte(r, ' '); sp < 0 {
			return nil, dashNil(r), nil
		}
	}
	method, rest := dashNil(r[:sp]), r[sp+1:]
	// The version is usually HTTP/ and three bytes: then the last space is
	// nine bytes from the end.
	last := len(rest) - 9
	if last < 0 || string(rest[last:last+6]) != " HTTP/" || hasSpace3(rest[last+6:]) {
		last = bytes.LastIndexByte(rest, ' ')
	}
	if last >= 0 {
		v := rest[last+1:]
		switch {
		case bytes.HasPrefix(v, []byte("HTTP/")):
			return method, dashNil(rest[:last]), dashNil(v[5:])
		case isDash(v):
			return method, dashNil(rest[:last]), nil
		}
	}
	return method, dashNil(rest), nil
}

func hasSpace3(b []byte) bool { return b[0] == ' ' || b[1] == ' ' || b[2] == ' ' }

func dashNil(b []byte) []byte {
	if len(b) == 0 || isDash(b) {
		return nil
	}
	return b
}

// urlParts are the cheap parts of a URL (RFC 3986 appendix B, with the
// scheme required to be followed by "//"). Slices alias the URL.
type urlParts struct {
	scheme, domain, path, query, fragment []byte
	port                                  []byte // digits of a port from 0 to 65535, or nil
}

func splitURL(u []byte) (p urlParts) {
	if a := schemeEnd(u); a > 0 {
		p.scheme = u[:a-3]
		end := authorityEnd(u, a)
		if end < len(u) && (u[end] == '@' || u[end] == '[') {
			// User info or an IPv6 literal: the general path.
			for end < len(u) && u[end] != '/' && u[end] != '?' && u[end] != '#' {
				end++
			}
			p.domain, p.port = splitAuthority(u[a:end])
		} else {
			// host[:port], split at the last colon (usually three to five
			// bytes from the end).
			c := end - 1
			for c >= a && u[c] != ':' {
				c--
			}
			if c >= a {
				p.domain, p.port = u[a:c], portDigits(u[c+1:end])
			} else {
				p.domain = u[a:end]
			}
		}
		u = u[end:]
	}
	// path ["?" query] ["#" fragment]. Browsers do not send fragments, so
	// after the query the usual case is one search for '#' that finds none.
	q := pathEnd(u)
	p.path = u[:q]
	if q == len(u) {
		return p
	}
	if u[q] == '#' {
		p.fragment = u[q+1:]
		return p
	}
	p.query = u[q+1:]
	if h := bytes.IndexByte(p.query, '#'); h >= 0 {
		p.query, p.fragment = p.query[:h], p.query[h+1:]
	}
	return p
}

// schemeEnd returns the length of u's `scheme://` prefix, or 0 if it has
// none. http:// and https:// are recognized as one word each.
func schemeEnd(u []byte) int {
	const (
		http  = 'h' | 't'<<8 | 't'<<16 | 'p'<<24 | ':'<<32 | '/'<<40 | '/'<<48
		https = 'h' | 't'<<8 | 't'<<16 | 'p'<<24 | 's'<<32 | ':'<<40 | '/'<<48 | '/'<<56
	)
	if len(u) >= 8 {
		switch w := binary.LittleEndian.Uint64(u); {
		case w == https:
			return 8
		case w&(1<<56-1) == http:
			return 7
		}
	}
	i := 0
	for i < len(u) && isSchemeByte(u[i], i) {
		i++
	}
	if i > 0 && i+3 <= len(u) && u[i] == ':' && u[i+1] == '/' && u[i+2] == '/' {
		return i + 3
	}
	return 0
}

// The two searches below read u eight bytes at a time, as far as u's
// capacity allows: bytes past len(u) belong to the same buffer (the rest of
// the line), and a match there is cut back to len(u).

// authorityEnd returns the index of the first byte of u from j on that is
// in inAuthority ('/', '?', '#', '@' or '['), or len(u).
func authorityEnd(u []byte, j int) int {
	for full := u[:cap(u)]; j < len(u) && j+8 <= len(full); j += 8 {
		w := binary.LittleEndian.Uint64(full[j:])
		// '/' | 0x10 == '?', and no other byte but '?' maps there.
		if m := bytesEq(w|0x1010101010101010, '?') | bytesEq(w, '#') | bytesEq(w, '@') | bytesEq(w, '['); m != 0 {
			return min(j+bits.TrailingZeros64(m)>>3, len(u))
		}
	}
	for j < len(u) && !inAuthority[u[j]] {
		j++
	}
	return min(j, len(u))
}

// pathEnd returns the index of the first '?' or '#' in u, or len(u).
func pathEnd(u []byte) int {
	j := 0
	for full := u[:cap(u)]; j < len(u) && j+8 <= len(full); j += 8 {
		w := binary.LittleEndian.Uint64(full[j:])
		if m := bytesEq(w, '?') | bytesEq(w, '#'); m != 0 {
			return min(j+bits.TrailingZeros64(m)>>3, len(u))
		}
	}
	for j < len(u) && u[j] != '?' && u[j] != '#' {
		j++
	}
	return min(j, len(u))
}

// bytesEq sets the high bit of the bytes of w that equal c. The lowest
// set bit is exact; bits above a match may be false (a borrow), so only
// the first match is to be taken from it.
func bytesEq(w uint64, c byte) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	x := w ^ lo*uint64(c)
	return (x - lo) &^ x & hi
}

// inAuthority marks the bytes that end the simple form of a URL's
// authority (host[:port]): its end ('/', '?', '#'), and '@' and '[', which
// call for the general form.
var inAuthority = [256]bool{'/': true, '?': true, '#': true, '@': true, '[': true}

// isSchemeByte reports whether c may be byte i of a URL scheme: a letter,
// then letters, digits, '+', '-' and '.'.
func isSchemeByte(c byte, i int) bool {
	if (c|0x20)-'a' <= 25 {
		return true
	}
	return i > 0 && (c-'0' <= 9 || c == '+' || c == '-' || c == '.')
}

// splitAuthority drops user info and splits host and port; a port is kept
// only if it is a number from 0 to 65535. IPv6 hosts lose their brackets.
func splitAuthority(a []byte) (host, port []byte) {
	if at := bytes.LastIndexByte(a, '@'); at >= 0 {
		a = a[at+1:]
	}
	var p []byte
	if len(a) > 0 && a[0] == '[' {
		end := bytes.IndexByte(a, ']')
		if end < 0 {
			return a, nil
		}
		host = a[1:end]
		if rest := a[end+1:]; len(rest) > 0 && rest[0] == ':' {
			p = rest[1:]
		}
	} else if c := bytes.LastIndexByte(a, ':'); c >= 0 {
		host, p = a[:c], a[c+1:]
	} else {
		host = a
	}
	return host, portDigits(p)
}

// portDigits returns p if it is a port number (0-65535), else nil.
func portDigits(p []byte) []byte {
	if len(p) == 0 {
		return nil
	}
	if _, ok := isPort(p); !ok {
		return nil
	}
	return p
}
