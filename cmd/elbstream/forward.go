package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/elbstream/elbstream/forward"
	"github.com/elbstream/elbstream/forward/output"
	"github.com/elbstream/elbstream/stream/consumer"
)

func init() {
	register(&command{
		name:    "forward",
		summary: "deliver an events stream to Logstash, checkpointing what was acknowledged",
		run:     runForward,
	})
	registerLambda("forward", buildForwardLambda)
}

const forwardAbout = `
Reads every shard of the events stream in order (children after parents),
deaggregates the KPL records, sends the JSON events to OUTPUT over
long-lived connections and checkpoints each shard's position once every
event up to it was acknowledged.

OUTPUT is one of:
  beats://HOST[:PORT]       Logstash beats input (Lumberjack v2): events are
                            acknowledged by Logstash; at-least-once delivery
  beats+tls://HOST[:PORT]   the same over TLS (--tls-* flags)
  tcp://HOST:PORT           Logstash tcp input, json_lines codec. WEAKER: tcp
                            has no acknowledgement, so "delivered" means written
                            and flushed; events in transit when Logstash or the
                            connection dies are lost. Prefer beats://.
  tcp+tls://HOST:PORT       the same over TLS
  stdout                    one JSON event per line
  file:PATH                 one JSON event per line, appended and fsynced

--start-at applies to shards that have no checkpoint yet for --consumer:
checkpoint and trim-horizon start at the oldest record, latest after the
newest, timestamp:RFC3339 at the first record that arrived at or after the
time. Under a new --consumer name this replays a range without touching
the live consumer's checkpoints.

SIGINT/SIGTERM: the window in flight finishes, is checkpointed, and the
process exits 0. A summary goes to stderr at the end.`

// outputFlags are the flags that configure an output; `run` can share them.
type outputFlags struct {
	connections, window, compression int
	timeout, idleTimeout             time.Duration
	tls                              output.TLSConfig
}

func (o *outputFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&o.connections, "connections", 0, "connections to the receiver, at most (default 2)")
	fs.IntVar(&o.window, "window", 0, "events per beats window (one ACK) or tcp write (default 2048)")
	fs.IntVar(&o.compression, "compression", 0, "zlib level 0-9 of beats windows (0: none)")
	fs.DurationVar(&o.timeout, "timeout", 0, "bound on each dial, write and wait for an ACK (default 30s)")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", 0, "redial a connection idle longer than this instead of trusting it; negative: never (default 60s)")
	fs.StringVar(&o.tls.CAFile, "tls-ca", "", "PEM bundle of the CAs that sign the receiver's certificate (default: system roots)")
	fs.StringVar(&o.tls.CertFile, "tls-cert", "", "PEM client certificate, for receivers that verify clients")
	fs.StringVar(&o.tls.KeyFile, "tls-key", "", "PEM key of --tls-cert")
	fs.StringVar(&o.tls.ServerName, "tls-server-name", "", "name the receiver's certificate must carry (default: the host of OUTPUT)")
	fs.BoolVar(&o.tls.InsecureSkipVerify, "tls-insecure-skip-verify", false, "accept any receiver certificate (tests and emergencies only)")
}

// config is the output's configuration; its retries are logged to log, the
// command's own logger, so that stderr has one format.
func (o *outputFlags) config(log *slog.Logger) output.Config {
	if o.tls.InsecureSkipVerify {
		log.Warn("output: the receiver's TLS certificate is NOT verified (--tls-insecure-skip-verify): anyone on the path can read and change the events")
	}
	return output.Config{
		Connections: o.connections,
		WindowSize:  o.window,
		Compression: o.compression,
		Timeout:     o.timeout,
		IdleTimeout: o.idleTimeout,
		TLS:         o.tls,
		// Without this, a receiver that is down (or a misspelt host) is
		// retried in silence until the command's deadline.
		OnRetry: func(err error, wait time.Duration) {
			log.Warn("output: retrying", "in", wait, "err", err)
		},
	}
}

// deliveryFlags are the forward.Config flags.
type deliveryFlags struct {
	maxInFlight        int
	checkpointInterval time.Duration
}

func (d *deliveryFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&d.maxInFlight, "max-in-flight", 0, "events sent and not yet acknowledged, across all shards, at most (default 4 × connections × window)")
	fs.DurationVar(&d.checkpointInterval, "checkpoint-interval", 0, "least time between checkpoints of a shard inside a batch; 0: after every acknowledged window; negative: whole batches only (default 0)")
}

// forwardConfig sizes a forward window so that one Send keeps every
// connection of the pool busy: the pool splits a Send into windows of
// WindowSize events and sends them on its connections at once.
func forwardConfig(oc output.Config, d deliveryFlags) forward.Config {
	conns, win := oc.Connections, oc.WindowSize
	if conns <= 0 {
		conns = 2
	}
	if win <= 0 {
		win = 2048
	}
	return forward.Config{
		Window:             conns * win,
		MaxInFlight:        d.maxInFlight,
		CheckpointInterval: d.checkpointInterval,
	}
}

func runForward(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("forward", "--from URL --to OUTPUT [flags]", forwardAbout, io)
	from := fs.String("from", "", "events stream URL: kinesis://NAME, a stream ARN, or local://DIR (required)")
	to := fs.String("to", "", "output: beats://, beats+tls://, tcp://, tcp+tls://, stdout or file:PATH (required)")
	consumerName := fs.String("consumer", "forward", "consumer name: checkpoints are kept per consumer")
	checkpoints := fs.String("checkpoints", "", "checkpoint store URL: local://PATH or dynamodb://TABLE (default for a local:// stream: local://DIR/forward-checkpoints.db)")
	startAt := fs.String("start-at", "checkpoint", "for shards without a checkpoint: checkpoint, trim-horizon, latest or timestamp:RFC3339")
	drain := fs.Bool("drain", false, "exit 0 once every shard is delivered and checkpointed up to its current end")
	listen := fs.String("listen", "", "serve /healthz, /readyz and /metrics on this address, e.g. :9108")
	shutdownGrace := fs.Duration("shutdown-grace", 0, "after SIGTERM, how long the window in flight may take (default 30s)")
	leaseTTL := fs.Duration("lease-ttl", 0, "how long a shard's lease outlives its holder; after a crash, a restarted forwarder waits this long for the dead one's leases (default 30s)")
	maxRecords := fs.Int("max-records", 0, "records per read from a shard, at most; a crash re-delivers at most one such batch per shard (default 10000)")
	var of outputFlags
	of.register(fs)
	var df deliveryFlags
	df.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		return usageError(fs, "--from and --to are required")
	}
	start, err := parseStartAt(*startAt)
	if err != nil {
		return usageError(fs, "--start-at "+err.Error())
	}
	if *checkpoints == "" {
		if *checkpoints, err = defaultCheckpoints(*from, "forward"); err != nil {
			return usageError(fs, err.Error())
		}
	}

	s, err := openExistingStream(ctx, *from)
	if err != nil {
		return err
	}
	defer s.Close()
	store, err := openCheckpoints(ctx, *checkpoints)
	if err != nil {
		return err
	}
	defer store.Close()
	log := slog.New(slog.NewTextHandler(io.err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	oc := of.config(log)
	out, err := output.Open(*to, oc)
	if err != nil {
		return err
	}
	defer out.Close()

	if err := connectOnce(ctx, out); err != nil {
		if output.Permanent(err) {
			return fmt.Errorf("%s: %w", out, err) // a TLS configuration that cannot work
		}
		log.Warn("receiver not reachable yet; retrying while delivering", "output", out.String(), "err", err)
	}
	m := &forward.Metrics{Output: out.Stats, Guarantee: out.Guarantee()}
	f := forward.New(out, forwardConfig(oc, df), m, log)

	if *listen != "" {
		stopServer, err := serveHealth(*listen, &forward.Health{
			Checkpoints: store,
			Consumer:    *consumerName,
			Ready:       forward.ReadyWhenReachable(out),
			Gatherer:    metricsRegistry(m),
			Stopping:    ctx.Done(), // SIGTERM: not ready while the windows in hand finish
		}, log)
		if err != nil {
			return err
		}
		defer stopServer()
	}

	var listInterval time.Duration
	if *leaseTTL > 0 {
		// Shards whose lease a dead process left are taken at the first
		// listing after it expires: list at least that often.
		listInterval = min(consumer.DefaultListInterval, *leaseTTL)
	}
	began := time.Now()
	stopProgress := showProgress(io.err, m, began)
	err = f.Run(ctx, consumer.Config{
		Stream:        s,
		Checkpoints:   store,
		Consumer:      *consumerName,
		StartAt:       start,
		Drain:         *drain,
		ShutdownGrace: *shutdownGrace,
		MaxRecords:    *maxRecords,
		LeaseTTL:      *leaseTTL,
		ListInterval:  listInterval,
		Logger:        log,
	})
	stopProgress()
	m.Snapshot().WriteSummary(io.err, time.Since(began))
	return err
}

// defaultCheckpoints returns the checkpoint store next to a local stream;
// other streams need --checkpoints. Its error is a usage error's text.
func defaultCheckpoints(streamURL, stage string) (string, error) {
	u, err := parseURL(streamURL)
	switch {
	case err != nil:
		return "", fmt.Errorf("--from %w", err) // a local:dir, say: not the checkpoints' fault
	case u.Scheme != "local":
		return "", errors.New("--checkpoints is required for a stream that is not local://")
	}
	return "local://" + strings.TrimSuffix(u.Opaque, "/") + "/" + stage + "-checkpoints.db", nil
}

// connectOnce tries one connection, so that a wrong address shows at once.
func connectOnce(ctx context.Context, out output.Output) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return out.Connect(ctx)
}

// metricsRegistry is the process's own Prometheus registry (never the
// global one): the forwarder's counters, Go runtime and process metrics.
func metricsRegistry(m *forward.Metrics) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.Collector(), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// serveHealth serves h on addr until the returned function is called.
func serveHealth(addr string, h *forward.Health, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("health server stopped", "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

// showProgress rewrites one progress line on w every second while w is a
// terminal; the returned function stops it and clears the line.
func showProgress(w io.Writer, m *forward.Metrics, began time.Time) (stop func()) {
	return progressLine(w, isTerminal(w), time.Second, func(w io.Writer) {
		m.Snapshot().WriteProgress(w, time.Since(began))
	})
}

func buildForwardLambda(ctx context.Context) (any, error) {
	fs := newFlags("forward", "", "", stdio{err: os.Stderr})
	to := fs.String("to", "", "output URL")
	margin := fs.Duration("safety-margin", 0, "stop sending this long before the invocation's deadline (default 1s)")
	var of outputFlags
	of.register(fs)
	var df deliveryFlags
	df.register(fs)
	if err := parseFlags(fs, nil); err != nil {
		return nil, err
	}
	if *to == "" {
		return nil, errors.New("ELBSTREAM_TO is not set: name the output, e.g. beats://logstash.internal:5044")
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	oc := of.config(log)
	// The output is built once per execution environment (cold start) and
	// held by the handler, so warm invocations reuse its connections (one
	// reset while the environment was frozen is detected and redialed
	// before use).
	out, err := output.Open(*to, oc)
	if err != nil {
		return nil, err
	}
	cfg := forwardConfig(oc, df)
	cfg.SafetyMargin = *margin
	h := forward.NewHandler(out, cfg, &forward.Metrics{Output: out.Stats, Guarantee: out.Guarantee()}, log)
	return h.Handle, nil
}
