package kinesis_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/elbstream/elbstream/stream/kinesis"
)

// fakeService is a Kinesis endpoint speaking the service's JSON protocol
// (awsJson1_1), with one function field per operation. It answers what
// kinesalite cannot: throttling and server faults, pagination, ChildShards,
// large-record streams, and StreamARN addressing. The SDK client talking to
// it is the real one, so the tests check the requests it sends and the
// typed errors it decodes.
type fakeService struct {
	t   *testing.T
	srv *httptest.Server
	// Ops answers one operation ("PutRecords", …): a status and a body
	// marshalled as JSON. An operation without a function fails the test.
	Ops map[string]func(req map[string]any) (status int, body any)

	mu       sync.Mutex
	requests []fakeRequest
}

type fakeRequest struct {
	Op            string
	Body          map[string]any
	Authorization string // the SigV4 header: credential scope and signed headers
}

func newFakeService(t *testing.T) *fakeService {
	f := &fakeService{t: t, Ops: map[string]func(map[string]any) (int, any){}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeService) serve(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "Kinesis_20131202.")
	if !ok {
		f.t.Errorf("request without a Kinesis X-Amz-Target: %v", r.Header)
		http.Error(w, "bad target", http.StatusBadRequest)
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		f.t.Errorf("%s: decode request: %v", op, err)
	}
	f.mu.Lock()
	f.requests = append(f.requests, fakeRequest{Op: op, Body: body, Authorization: r.Header.Get("Authorization")})
	answer := f.Ops[op]
	f.mu.Unlock()
	if answer == nil {
		f.t.Errorf("unexpected call to %s", op)
		http.Error(w, "unexpected", http.StatusNotImplemented)
		return
	}
	status, resp := answer(body)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", "fake-request")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(resp); err != nil {
		f.t.Errorf("%s: encode response: %v", op, err)
	}
}

// calls returns the requests made so far.
func (f *fakeService) calls() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeRequest(nil), f.requests...)
}

// client is an SDK client for the fake service that does not retry, so
// that each answer reaches the caller.
func (f *fakeService) client() *sdk.Client {
	return sdk.New(sdk.Options{
		BaseEndpoint: aws.String(f.srv.URL),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("fake", "fake", ""),
		Retryer:      aws.NopRetryer{},
	})
}

// stream opens nameOrARN on the fake service.
func (f *fakeService) stream(nameOrARN string) *kinesis.Stream {
	s, err := kinesis.New(f.client(), nameOrARN)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// apiErr is a Kinesis error response body.
func apiErr(code, msg string) map[string]any {
	return map[string]any{"__type": code, "message": msg}
}

func ok(body any) func(map[string]any) (int, any) {
	return func(map[string]any) (int, any) { return http.StatusOK, body }
}

func fail(status int, code string) func(map[string]any) (int, any) {
	return func(map[string]any) (int, any) { return status, apiErr(code, "fake "+code) }
}

func shardJSON(id, parent, adjacent, start, end, endSeq string) map[string]any {
	sh := map[string]any{
		"ShardId":             id,
		"HashKeyRange":        map[string]any{"StartingHashKey": start, "EndingHashKey": end},
		"SequenceNumberRange": map[string]any{"StartingSequenceNumber": "100"},
	}
	if parent != "" {
		sh["ParentShardId"] = parent
	}
	if adjacent != "" {
		sh["AdjacentParentShardId"] = adjacent
	}
	if endSeq != "" {
		sh["SequenceNumberRange"].(map[string]any)["EndingSequenceNumber"] = endSeq
	}
	return sh
}
