package elblog

import "bytes"

// splitRequest splits a request field as AWS logs it — METHOD URL
// HTTP/VERSION — into its parts; the URL may contain spaces, so the method
// ends at the first space and the version starts after the last one. "-"
// parts and the "- - - " of TCP listeners are left out (nil). A request
// without a recognizable version is method and URL only. The parts alias r.
func splitRequest(r []byte) (method, url, version []byte) {
	if string(r) == "- - - " {
		return nil, nil, nil
	}
	sp := bytes.IndexByte(r, ' ')
	if sp < 0 {
		return nil, dashNil(r), nil
	}
	method, rest := dashNil(r[:sp]), r[sp+1:]
	if last := bytes.LastIndexByte(rest, ' '); last >= 0 {
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
	// scheme "://" authority
	i := 0
	for i < len(u) && isSchemeByte(u[i], i) {
		i++
	}
	if i > 0 && i+3 <= len(u) && u[i] == ':' && u[i+1] == '/' && u[i+2] == '/' {
		p.scheme = u[:i]
		a := i + 3
		end := a
		for end < len(u) && !inAuthority[u[end]] {
			end++
		}
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
	// the usual case is one search for '#' that finds none.
	if h := bytes.IndexByte(u, '#'); h >= 0 {
		p.fragment = u[h+1:]
		u = u[:h]
	}
	if q := bytes.IndexByte(u, '?'); q >= 0 {
		p.path, p.query = u[:q], u[q+1:]
		return p
	}
	p.path = u
	return p
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
