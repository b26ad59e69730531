// Package lambdart is a local implementation of the AWS Lambda Runtime API
// (the HTTP interface a custom runtime such as provided.al2023 polls), so
// tests can drive the built elbstream binary exactly as Lambda does: start it
// with AWS_LAMBDA_RUNTIME_API pointing here, Invoke, read the response.
//
// It implements the runtime side only (next, response, error, init error);
// it is not an emulator of Lambda's scaling or billing.
package lambdart

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Result is what the function answered to one invocation.
type Result struct {
	// Payload is the response body, or the error document when Error is set.
	Payload []byte
	// Error is true when the function reported an invocation error.
	Error bool
}

// Server is a Runtime API endpoint serving one function instance.
type Server struct {
	FunctionARN string // Default: arn:aws:lambda:us-east-1:000000000000:function:elbstream

	ln      net.Listener
	srv     *http.Server
	queue   chan *invocation
	mu      sync.Mutex
	pending map[string]*invocation
	seq     atomic.Int64
	initErr chan []byte
}

type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	done     chan Result
}

// Start listens on a free loopback port and serves until Close.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lambdart: listen: %w", err)
	}
	s := &Server{
		FunctionARN: "arn:aws:lambda:us-east-1:000000000000:function:elbstream",
		ln:          ln,
		queue:       make(chan *invocation),
		pending:     map[string]*invocation{},
		initErr:     make(chan []byte, 1),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", s.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", s.answer(false))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", s.answer(true))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", s.initError)
	s.srv = &http.Server{Handler: mux}
	go s.srv.Serve(ln)
	return s, nil
}

// Addr is the value for AWS_LAMBDA_RUNTIME_API.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops serving; a function blocked in next sees its connection close.
func (s *Server) Close() error { return s.srv.Close() }

// Invoke hands payload to the function and waits for its answer. timeout is
// the function's remaining time as the function sees it (its context
// deadline); Invoke itself waits until ctx is done.
func (s *Server) Invoke(ctx context.Context, payload []byte, timeout time.Duration) (Result, error) {
	inv := &invocation{
		id:       "req-" + strconv.FormatInt(s.seq.Add(1), 10),
		payload:  payload,
		deadline: time.Now().Add(timeout),
		done:     make(chan Result, 1),
	}
	s.mu.Lock()
	s.pending[inv.id] = inv
	s.mu.Unlock()
	select {
	case s.queue <- inv:
	case b := <-s.initErr:
		return Result{Payload: b, Error: true}, fmt.Errorf("lambdart: function failed to initialise: %s", b)
	case <-ctx.Done():
		return Result{}, fmt.Errorf("lambdart: no function polled for the invocation: %w", ctx.Err())
	}
	select {
	case r := <-inv.done:
		return r, nil
	case <-ctx.Done():
		return Result{}, fmt.Errorf("lambdart: invocation %s: no answer: %w", inv.id, ctx.Err())
	}
}

func (s *Server) next(w http.ResponseWriter, r *http.Request) {
	select {
	case inv := <-s.queue:
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", s.FunctionARN)
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
		h.Set("Content-Type", "application/json")
		w.Write(inv.payload)
	case <-r.Context().Done():
	}
}

func (s *Server) answer(isErr bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		inv, ok := s.pending[id]
		delete(s.pending, id)
		s.mu.Unlock()
		if !ok {
			http.Error(w, "unknown request id "+id, http.StatusBadRequest)
			return
		}
		inv.done <- Result{Payload: body, Error: isErr}
		w.WriteHeader(http.StatusAccepted)
	}
}

func (s *Server) initError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	select {
	case s.initErr <- body:
	default:
	}
	w.WriteHeader(http.StatusAccepted)
}

// Env returns the environment a Lambda function process sees, minus
// credentials: append it to os.Environ() for the child process.
func (s *Server) Env(functionName string) []string {
	return []string{
		"AWS_LAMBDA_RUNTIME_API=" + s.Addr(),
		"AWS_LAMBDA_FUNCTION_NAME=" + functionName,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512",
		"_HANDLER=bootstrap",
		"LAMBDA_TASK_ROOT=" + strings.TrimSpace("/var/task"),
	}
}
