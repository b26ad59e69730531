package main

// The CLI's S3 side with awkward keys, big listings and archived
// objects.

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Keys named on the command line are used as typed (not URL-decoded), and
// listed keys as S3 lists them.
func TestS3CLIAwkwardKeys(t *testing.T) {
	const bucket = "elb-logs"
	st := startS3(t, bucket)
	keys := []string{
		"imports/a b.log",
		"imports/a+b.log",
		"imports/100%.log",
		"imports/100%25.log",
		"imports/ünïcødé/日本語 ログ.log",
		"imports/x=y&z;~!*'()[]{}@$,#?.log",
		"imports/" + strings.Repeat("l", 1024-len("imports/")-len(".log")) + ".log",
	}
	srcs := map[string]string{}
	for i, k := range keys {
		srcs[k] = st.put(k, logLines(3+i, fmt.Sprint(i)))
	}
	streamDir := filepath.Join(t.TempDir(), "stream")
	args := []string{"ingest", "--stream", "local://" + streamDir}
	for _, k := range keys {
		args = append(args, "s3://"+bucket+"/"+k)
	}
	var out, errb bytes.Buffer
	if code := run(args, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("named: exit %d:\n%s", code, errb.String())
	}
	listDir := filepath.Join(t.TempDir(), "listed")
	if code := run([]string{"ingest", "--stream", "local://" + listDir, "s3://" + bucket + "/imports/"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("listed: exit %d:\n%s", code, errb.String())
	}
	for _, dir := range []string{streamDir, listDir} {
		got := streamLines(t, dir)
		for i, k := range keys {
			if n := countSource(t, got, srcs[k]); n != 3+i {
				t.Errorf("%s: %q: %d lines, want %d", filepath.Base(dir), k, n, 3+i)
			}
		}
	}
}

// A prefix of more than 1000 objects in AWS's layout, with a folder
// marker, the test file and filtered keys: every object read once, the
// others skipped by reason.
func TestS3CLIListingPagesAndFilters(t *testing.T) {
	const bucket = "elb-logs"
	st := startS3(t, bucket)
	ctx := context.Background()
	const day = "AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/05/01/"
	if _, err := st.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(day), Body: bytes.NewReader(nil)}); err != nil {
		t.Fatal(err)
	}
	const n = 1203
	body := logLines(1, "x")
	for i := range n {
		k := fmt.Sprintf("%s123456789012_elasticloadbalancing_us-east-1_app.my-alb.50dc6c495c0c9188_20240501T%04dZ_203.0.113.7_%08x.log", day, i, i)
		st.put(k, body)
	}
	st.put("AWSLogs/123456789012/ELBAccessLogTestFile", []byte("Enable AccessLog for ELB: x\n"))
	st.put("AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/05/01/notes.txt", []byte("hello\n"))
	st.put("AWSLogs/999999999999/elasticloadbalancing/us-east-1/2024/05/01/other.log", body)
	streamDir := filepath.Join(t.TempDir(), "stream")
	var out, errb bytes.Buffer
	code := run([]string{"ingest", "--stream", "local://" + streamDir, "--include-prefix", "AWSLogs/123456789012/", "--include-suffix", ".log",
		"s3://" + bucket + "/AWSLogs/"}, strings.NewReader(""), &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errb.String())
	}
	for _, want := range []string{fmt.Sprintf("ingest: %d objects, %d lines", n, n), "elb-test-file 1", "folder 1", "prefix 1", "suffix 1"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, errb.String())
		}
	}
}

// Objects archived to S3 Glacier Flexible Retrieval or Deep Archive answer
// GetObject with 403 InvalidObjectState. In a listing each is failed by
// name; the others are read.
func TestS3CLIArchivedObjectsInAListing(t *testing.T) {
	const bucket = "elb-logs"
	st := startS3(t, bucket)
	u, _ := url.Parse(st.url)
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "archived") {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidObjectState</Code><Message>The operation is not valid for the object's storage class</Message><StorageClass>GLACIER</StorageClass><RequestId>R</RequestId><HostId>H</HostId></Error>`)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.URL)
	st.put("AWSLogs/a.log", logLines(4, "a"))
	st.put("AWSLogs/archived-1.log", logLines(4, "b"))
	st.put("AWSLogs/archived-2.log", logLines(4, "c"))
	st.put("AWSLogs/z.log", logLines(4, "z"))
	streamDir := filepath.Join(t.TempDir(), "stream")
	var out, errb bytes.Buffer
	code := run([]string{"ingest", "--stream", "local://" + streamDir, "s3://" + bucket + "/AWSLogs/"}, strings.NewReader(""), &out, &errb)
	t.Logf("exit %d:\n%s", code, errb.String())
	if code != 1 || !strings.Contains(errb.String(), "2 objects, 8 lines") || !strings.Contains(errb.String(), "2 objects FAILED") ||
		!strings.Contains(errb.String(), "archived-1.log") || !strings.Contains(errb.String(), "InvalidObjectState") {
		t.Errorf("want exit 1, 2 read, the 2 archived failed by name with InvalidObjectState")
	}
}
