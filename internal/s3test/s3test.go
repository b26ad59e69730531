// Package s3test runs an S3-compatible server for tests: gofakes3, in
// memory, in the test process, with the one check of S3's that the tests
// rely on and gofakes3 lacks (If-Match on GET).
package s3test

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Credentials the server accepts (it checks none).
const (
	AccessKeyID     = "AKIDEXAMPLE"
	SecretAccessKey = "secret"
	Region          = "us-east-1"
)

// Start starts a server for t's lifetime. It returns the server's URL and
// a path-style client with static credentials pointed at it.
func Start(t testing.TB) (url string, client *s3.Client) {
	t.Helper()
	srv := httptest.NewUnstartedServer(enforceIfMatch(gofakes3.New(s3mem.New()).Server()))
	// gofakes3 writes a second header when a client hangs up early (a
	// reader that stops at a deadline does): net/http's complaint is
	// noise here.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	client = s3.New(s3.Options{
		Region:       Region,
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
	})
	return srv.URL, client
}

// enforceIfMatch answers a GET whose If-Match names another ETag than the
// object's as S3 does, 412 PreconditionFailed; gofakes3 checks If-Match
// only on PUT.
func enforceIfMatch(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if want := r.Header.Get("If-Match"); want != "" && r.Method == http.MethodGet {
			head := r.Clone(r.Context())
			head.Method = http.MethodHead
			head.Header.Del("If-Match")
			head.Header.Del("Range")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, head)
			if rec.Code == http.StatusOK && strings.Trim(rec.Header().Get("ETag"), `"`) != strings.Trim(want, `"`) {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusPreconditionFailed)
				io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+
					`<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-Match</Condition></Error>`)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}
