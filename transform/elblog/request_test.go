package elblog_test

import (
	"bytes"
	"reflect"
	"strconv"
	"testing"

	"github.com/elbstream/elbstream/testdata/gen"
	"github.com/elbstream/elbstream/transform/elblog"
)

// TestSplitURL compares the URL split with the reference parser's on URLs
// of every shape, their cuts and one-byte changes, each in a buffer whose
// bytes past the URL hold delimiters (the word reads must not see them) or
// end it exactly.
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
	for _, u := range generatedRequests(t) {
		if _, u, _ := elblog.SplitRequest(u); u != nil {
			urls = append(urls, string(u))
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
	names := [6]string{"url.scheme", "url.domain", "url.port", "url.path", "url.query", "url.fragment"}
	for _, u := range all {
		want := map[string]any{}
		refURLParts(u, func(k string, v any) { want[k] = v })
		for _, tail := range []string{"", "/?#@[/?#@[", ` HTTP/1.1" "curl"`} {
			buf := []byte(u + tail)
			got := map[string]any{"url.original": u}
			for i, part := range elblog.SplitURL(buf[:len(u):len(buf)]) {
				switch {
				case len(part) == 0:
				case i == 2:
					got[names[i]], _ = strconv.Atoi(string(part))
				default:
					got[names[i]] = string(part)
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("split of %q (then %q) = %v; want %v", u, tail, got, want)
			}
		}
	}
}

// TestSplitRequest compares the request split with the reference parser's
// on requests, their cuts and their one-byte changes.
func TestSplitRequest(t *testing.T) {
	reqs := []string{
		"GET http://www.example.com:80/ HTTP/1.1", "OPTIONS https://x/ HTTP/2.0", "PROPFIND /x HTTP/1.1",
		"- - - ", "- - -", "GET", "GET ", " HTTP/1.1", "GET /a b/c d HTTP/1.1", "GET /x HTTP/1.1 ", "GET /x -",
		"GET /x HTTP/10.11", "GET /x HTTP/", "VERYLONGMETHOD /x HTTP/1.1", "- http://x/ -", "GET /x  HTTP/1.1",
	}
	for _, r := range generatedRequests(t)[:50] {
		reqs = append(reqs, string(r))
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
		m, u, v := elblog.SplitRequest([]byte(r))
		wm, wu, wv := refSplitRequest(r)
		if string(m) != wm || string(u) != wu || string(v) != wv {
			t.Fatalf("SplitRequest(%q) = %q %q %q; want %q %q %q", r, m, u, v, wm, wu, wv)
		}
		if (m == nil) != (wm == "") || (u == nil) != (wu == "") || (v == nil) != (wv == "") {
			t.Fatalf("SplitRequest(%q) = %q %q %q: empty parts must be nil", r, m, u, v)
		}
	}
}

// generatedRequests returns the request fields (between the first two
// double quotes) of generated ALB lines, clean and messy.
func generatedRequests(t *testing.T) [][]byte {
	var out [][]byte
	for _, l := range gen.New(gen.ALB, 3, gen.Options{Messy: 0.3}).Lines(300) {
		_, rest, _ := bytes.Cut(l, []byte{'"'})
		r, _, ok := bytes.Cut(rest, []byte{'"'})
		if !ok {
			t.Fatalf("no quoted request in %q", l)
		}
		out = append(out, r)
	}
	return out
}
