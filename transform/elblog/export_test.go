package elblog

// The request and URL splitters, for the tests in package elblog_test that
// compare them with the reference parser (reference_test.go).

func SplitRequest(r []byte) (method, url, version []byte) { return splitRequest(r) }

// SplitURL returns splitURL's scheme, domain, port, path, query and
// fragment.
func SplitURL(u []byte) [6][]byte {
	p := splitURL(u)
	return [6][]byte{p.scheme, p.domain, p.port, p.path, p.query, p.fragment}
}
