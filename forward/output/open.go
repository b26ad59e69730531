package output

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// DefaultBeatsPort is the port of beats:// URLs that name none: the
// Logstash beats input's default.
const DefaultBeatsPort = "5044"

// Open returns the output rawURL names (see the package documentation).
// Network outputs dial lazily, on the first Send or Connect; TLS files are
// read now, so a wrong path fails here.
func Open(rawURL string, cfg Config) (Output, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	switch {
	case rawURL == "stdout":
		if !cfg.TLS.isZero() {
			return nil, fmt.Errorf("output %q: TLS options given for an output without TLS", rawURL)
		}
		return newStdout(cfg.Stdout), nil
	case strings.HasPrefix(rawURL, "file:"):
		path := strings.TrimPrefix(strings.TrimPrefix(rawURL, "file:"), "//")
		if path == "" {
			return nil, fmt.Errorf("output %q: file: names no path", rawURL)
		}
		if !cfg.TLS.isZero() {
			return nil, fmt.Errorf("output %q: TLS options given for an output without TLS", rawURL)
		}
		return openFile(path)
	}

	// Errors quote the URL without what could be a password: user:pass@
	// may come before a URL that does not parse.
	shown := redactUserinfo(rawURL)
	u, err := url.Parse(rawURL)
	if err == nil && u.User != nil {
		// Said without the password, which would otherwise reach logs
		// (and, in Lambda, the init error).
		return nil, fmt.Errorf("output %q: credentials in the URL are not supported (Logstash's beats and tcp inputs take none; use TLS client certificates)", shown)
	}
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("output %q: want beats://HOST:PORT, beats+tls://, tcp://HOST:PORT, tcp+tls://, stdout or file:PATH", shown)
	}
	kind, secure := strings.CutSuffix(u.Scheme, "+tls")
	host, port := u.Hostname(), u.Port()
	switch kind {
	case "beats":
		if port == "" {
			port = DefaultBeatsPort
		}
	case "tcp":
		if port == "" {
			return nil, fmt.Errorf("output %q: tcp needs a port", shown)
		}
	default:
		return nil, fmt.Errorf("output %q: unknown scheme %q (want beats, beats+tls, tcp, tcp+tls, stdout or file:PATH)", shown, u.Scheme)
	}
	d := dialer{
		addr:      net.JoinHostPort(host, port),
		timeout:   cfg.Timeout,
		keepAlive: cfg.KeepAlive,
	}
	switch {
	case secure:
		if d.tls, err = cfg.TLS.clientConfig(host); err != nil {
			return nil, fmt.Errorf("output %q: %w", shown, err)
		}
	case !cfg.TLS.isZero():
		return nil, fmt.Errorf("output %q: TLS options given but the scheme is %s:// (use %s+tls://)", shown, u.Scheme, u.Scheme)
	}
	name := u.Scheme + "://" + d.addr
	if kind == "beats" {
		d.newSession = newBeatsSession(cfg.Timeout, cfg.Compression)
		return newPool(name, Acknowledged, cfg, d, validObjects), nil
	}
	if cfg.Compression != 0 {
		return nil, fmt.Errorf("output %q: compression is a beats option", shown)
	}
	d.newSession = newTCPSession(cfg.Timeout)
	return newPool(name, Written, cfg, d, validLines), nil
}

// redactUserinfo replaces what stands between "://" and the last "@" with
// "REDACTED": a password may hold '/', '?' or '#', and none of the outputs
// takes an '@' anywhere else.
func redactUserinfo(raw string) string {
	_, after, ok := strings.Cut(raw, "://")
	at := strings.LastIndex(after, "@")
	if !ok || at < 0 {
		return raw
	}
	return raw[:len(raw)-len(after)] + "REDACTED" + after[at:]
}
