package output

import (
	"strings"
	"testing"
)

// An output URL with credentials that does not parse (a password holding
// '/', '?' or '#', or a bad port) must not echo the password either: the
// commit's promise is that URL credentials are not echoed.
func TestOpenUnparsableURLDoesNotEchoPassword(t *testing.T) {
	for _, raw := range []string{
		"beats://user:s3cretpw@host:notaport",
		"beats://user:s3cretpw/x@host:5044",
		"tcp+tls://user:s3cretpw?x@host:5044",
		"beats://user:s3cretpw#x@host:5044",
	} {
		_, err := Open(raw, Config{})
		if err == nil {
			t.Errorf("%s: no error", raw)
			continue
		}
		if strings.Contains(err.Error(), "s3cretpw") {
			t.Errorf("Open(%q) error echoes the password: %v", raw, err)
		}
	}
}
