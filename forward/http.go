package forward

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/elbstream/elbstream/forward/output"
	"github.com/elbstream/elbstream/stream/checkpoint"
)

// Health serves the forwarder's --listen endpoints:
//
//	/healthz  200 while the process runs and the checkpoint store answers
//	/readyz   200 while the receiver accepts connections, 503 once Stopping
//	/metrics  Prometheus metrics from Gatherer
type Health struct {
	// Checkpoints and Consumer are probed by /healthz with a List call.
	// Nil Checkpoints: /healthz checks only that the process answers.
	Checkpoints checkpoint.Store
	Consumer    string
	// Ready reports whether a receiver is reachable. Nil: always ready.
	Ready func(ctx context.Context) error
	// Gatherer serves /metrics. Nil: /metrics is not served.
	Gatherer prometheus.Gatherer
	// Timeout bounds each probe. Default: 2s.
	Timeout time.Duration
	// Stopping, when closed, makes /readyz answer 503: the process is
	// shutting down (finishing the windows in hand), so that a load
	// balancer or orchestrator stops counting on it. Nil: never.
	Stopping <-chan struct{}
}

// Handler returns the HTTP handler serving the endpoints.
func (h *Health) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		h.probe(w, r, func(ctx context.Context) error {
			if h.Checkpoints == nil {
				return nil
			}
			if _, err := h.Checkpoints.List(ctx, h.Consumer); err != nil {
				return fmt.Errorf("checkpoint store: %w", err)
			}
			return nil
		})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		h.probe(w, r, func(ctx context.Context) error {
			select {
			case <-h.Stopping:
				return errShuttingDown
			default:
			}
			if h.Ready == nil {
				return nil
			}
			return h.Ready(ctx)
		})
	})
	if h.Gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(h.Gatherer, promhttp.HandlerOpts{}))
	}
	return mux
}

var errShuttingDown = errors.New("shutting down")

func (h *Health) probe(w http.ResponseWriter, r *http.Request, check func(context.Context) error) {
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := check(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, err)
		return
	}
	fmt.Fprintln(w, "ok")
}

// ReadyWhenReachable is a Health.Ready for an output: ready when a TCP
// connection to its receiver can be opened now. The output's own
// connections cannot tell: an idle one whose peer went away looks open
// until it is next used. Outputs without a receiver (stdout, file) are
// always ready.
func ReadyWhenReachable(o output.Output) func(context.Context) error {
	return func(ctx context.Context) error {
		_, hostport, ok := strings.Cut(o.String(), "://")
		if !ok {
			return nil
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", hostport)
		if err != nil {
			return fmt.Errorf("receiver %s unreachable: %w", o, err)
		}
		c.Close()
		return nil
	}
}
