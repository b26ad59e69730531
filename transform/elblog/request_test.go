package elblog

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/elbstream/elbstream/testdata/gen"
)

// refSplitURL is splitURL as RFC 3986's appendix B regular expression (with
// "//" required after the scheme) and string functions.
func refSplitURL(u string) (scheme, domain, port, path, query, fragment string) {
	re := regexp.MustCompile(`(?s)^(?:([A-Za-z][A-Za-z0-9+.\-]*)://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$`)
	m := re.FindStringSubmatch(u)
	scheme, path, query, fragment = m[1], m[3], m[4], m[5]
	a := m[2]
	if i := strings.LastIndex(a, "@"); i >= 0 {
		a = a[i+1:]
	}
	switch c := strings.LastIndex(a, ":"); {
	case strings.HasPrefix(a, "["):
		end := strings.Index(a, "]")
		if end < 0 {
			domain = a
			break
		}
		domain = a[1:end]
		port, _ = strings.CutPrefix(a[end+1:], ":")
	case c >= 0:
		domain, port = a[:c], a[c+1:]
	default:
		domain = a
	}
	if n, err := strconv.Atoi(port); err != nil || n > 65535 || len(port) > 5 || strings.ContainsAny(port, "+-") {
		port = ""
	}
	return
}

// TestSplitURL compares splitURL with refSplitURL on URLs of every shape,
// their cuts and one-byte changes, each in a buffer whose bytes past the URL
// hold delimiters (the word reads must not see them) or end it exactly.
func TestSplitURL(t *testing.T) {
	urls := []string{
		"", "/", "/a?b#c", "?q", "#f", "/p#f?q", "*", "//x/y",
		"http://www.example.com:80/", "https://www.example.com:443/a/b.c?q=1&r=2",
		"https://example.com", "https://example.com:8443", "HTTP://EXAMPLE.COM/X",
		"h2c://host:1/x", "git+ssh://u:p@host:22/r", "http://[2001:db8::1]:8080/p?q#f",
		"http://[::1]/", "http://[::1", "http://user@host/", "http://host:99999/", "http://host:/",
		"http://host:-1/", "https://a.very.long.host.name.example.com:443/and/a/long/path/to/something.html?with=a&long=query#and-fragment",
		"1http://x/", "ht tp://x/", "http:/x/", "http:", "https://", "http://h?q", "http://h#f", "http://h@",
	}
	for _, l := range gen.New(gen.ALB, 3, gen.Options{Messy: 0.3}).Lines(300) {
		var f fieldsOf
		if _, _, reason := f.split(l, 33, 0); reason == "" {
			if _, u, _ := splitRequest(f.v[12]); u != nil {
				urls = append(urls, string(u))
			}
		}
	}
	var all []string
	for _, u := range urls {
		all = append(all, u)
		for i := range len(u) {
			all = append(all, u[:i])
			for _, c := range []byte{'/', '?', '#', '@', '[', ':', 'o', 0x80 | '/'} {
				all = append(all, u[:i]+string(c)+u[i+1:])
			}
		}
	}
	for _, u := range all {
		ws, wd, wp, wpath, wq, wf := refSplitURL(u)
		for _, tail := range []string{"", "/?#@[/?#@[", " HTTP/1.1\" \"curl\""} {
			buf := []byte(u + tail)
			p := splitURL(buf[:len(u):len(buf)])
			if string(p.scheme) != ws || string(p.domain) != wd || string(p.port) != wp ||
				string(p.path) != wpath || string(p.query) != wq || string(p.fragment) != wf {
				t.Fatalf("splitURL(%q) (then %q) = %q %q %q %q %q %q; want %q %q %q %q %q %q", u, tail,
					p.scheme, p.domain, p.port, p.path, p.query, p.fragment, ws, wd, wp, wpath, wq, wf)
			}
		}
	}
}

// refSplitRequest is splitRequest with string functions.
func refSplitRequest(r string) (method, url, version string) {
	if r == "- - - " {
		return "", "", ""
	}
	undash := func(s string) string {
		if s == "-" {
			return ""
		}
		return s
	}
	method, rest, ok := strings.Cut(r, " ")
	if !ok {
		return "", undash(r), ""
	}
	if last := strings.LastIndex(rest, " "); last >= 0 {
		if v, ok := strings.CutPrefix(rest[last+1:], "HTTP/"); ok {
			return undash(method), undash(rest[:last]), undash(v)
		}
		if rest[last+1:] == "-" {
			return undash(method), undash(rest[:last]), ""
		}
	}
	return undash(method), undash(rest), ""
}

// TestSplitRequest compares splitRequest with refSplitRequest on requests,
// their cuts and their one-byte changes.
func TestSplitRequest(t *testing.T) {
	reqs := []string{
		"GET http://www.example.com:80/ HTTP/1.1", "OPTIONS https://x/ HTTP/2.0", "PROPFIND /x HTTP/1.1",
		"- - - ", "- - -", "GET", "GET ", " HTTP/1.1", "GET /a b/c d HTTP/1.1", "GET /x HTTP/1.1 ", "GET /x -",
		"GET /x HTTP/10.11", "GET /x HTTP/", "VERYLONGMETHOD /x HTTP/1.1", "- http://x/ -", "GET /x  HTTP/1.1",
	}
	var all []string
	for _, r := range reqs {
		all = append(all, r)
		for i := range len(r) {
			all = append(all, r[:i], r[i:])
			for _, c := range []byte{' ', '-', 'H', '/', 'x'} {
				all = append(all, r[:i]+string(c)+r[i+1:])
			}
		}
	}
	for _, r := range all {
		m, u, v := splitRequest([]byte(r))
		wm, wu, wv := refSplitRequest(r)
		if string(m) != wm || string(u) != wu || string(v) != wv {
			t.Fatalf("splitRequest(%q) = %q %q %q; want %q %q %q", r, m, u, v, wm, wu, wv)
		}
		if (m == nil) != (wm == "") || (u == nil) != (wu == "") || (v == nil) != (wv == "") {
			t.Fatalf("splitRequest(%q) = %q %q %q: empty parts must be nil", r, m, u, v)
		}
	}
}
