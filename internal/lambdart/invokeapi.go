package lambdart

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"
)

// AsyncInvoker is the Lambda Invoke API (POST
// /2015-03-31/functions/{name}/invocations) for InvocationType Event,
// delivering each event to the same function through the Runtime API, as
// Lambda's async queue does. Point the function's Lambda client at it with
// AWS_ENDPOINT_URL_LAMBDA so a function that invokes itself (ingest's
// deadline continuation) is tested end to end.
type AsyncInvoker struct {
	Runtime *Server
	// Timeout is each queued invocation's run time. Default: 1s.
	Timeout time.Duration

	mu      sync.Mutex
	wg      sync.WaitGroup
	results []Result
	errs    []error
}

// ServeHTTP accepts an asynchronous invocation and queues it.
func (a *AsyncInvoker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if t := r.Header.Get("X-Amz-Invocation-Type"); t != "Event" {
		// Synchronous invocations are not what the pipeline uses; refuse
		// them loudly rather than pretend.
		http.Error(w, `{"Type":"User","message":"lambdart: only InvocationType Event is supported, got `+t+`"}`, http.StatusBadRequest)
		return
	}
	payload, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	timeout := a.Timeout
	if timeout <= 0 {
		timeout = time.Second
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*timeout+30*time.Second)
		defer cancel()
		res, err := a.Runtime.Invoke(ctx, payload, timeout)
		a.mu.Lock()
		defer a.mu.Unlock()
		if err != nil {
			a.errs = append(a.errs, err)
			return
		}
		a.results = append(a.results, res)
	}()
	w.WriteHeader(http.StatusAccepted)
}

// Wait waits until every queued invocation, and every invocation those
// queued in turn, has been answered, and returns their results in the
// order they finished and the errors of those that got no answer. An
// invocation queues its successor before it answers, so the wait group
// never drops to zero in between.
func (a *AsyncInvoker) Wait() ([]Result, []error) {
	a.wg.Wait()
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Result(nil), a.results...), append([]error(nil), a.errs...)
}
