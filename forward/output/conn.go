package output

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"
)

// session speaks a protocol over one established connection.
type session interface {
	// send writes events as one window and returns once they are
	// delivered as the protocol allows (ACKed, or written), or on error.
	// acked counts the leading events delivered before an error.
	send(events [][]byte) (acked int, err error)
}

// conn is one established connection to the receiver. It is used by one
// writer at a time: whoever holds the pool slot that holds it.
type conn struct {
	nc   net.Conn  // what the session writes to: counts bytes, TLS if configured
	tcp  net.Conn  // the TCP connection itself, for the liveness check
	tls  *tls.Conn // nil without TLS
	sess session
	used time.Time // when the last send on it ended
}

// dialer establishes confirmed connections: TCP connected and, with TLS,
// the handshake complete, before anything uses them.
type dialer struct {
	addr       string
	tls        *tls.Config // nil for clear text
	timeout    time.Duration
	keepAlive  time.Duration
	bytes      *atomic.Uint64
	newSession func(net.Conn) session
}

func (d *dialer) dial(ctx context.Context) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	nd := net.Dialer{KeepAliveConfig: net.KeepAliveConfig{
		Enable:   true,
		Idle:     d.keepAlive,
		Interval: d.keepAlive,
		Count:    3,
	}}
	raw, err := nd.DialContext(ctx, "tcp", d.addr)
	if err != nil {
		return nil, err // "dial tcp ADDR: connect: connection refused"
	}
	c := &conn{tcp: raw, nc: raw}
	if d.tls != nil {
		cfg, requested, tickets := withCertificateRequest(d.tls)
		tc := tls.Client(raw, cfg)
		start := time.Now()
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("tls handshake with %s: %w", d.addr, err)
		}
		if *requested {
			if err := confirmTLS13(tc, time.Since(start), min(d.timeout, clientCertWait), tickets); err != nil {
				raw.Close()
				return nil, fmt.Errorf("tls handshake with %s: %w", d.addr, err)
			}
		}
		c.tls, c.nc = tc, tc
	}
	c.nc = countingConn{Conn: c.nc, n: d.bytes}
	c.sess = d.newSession(c.nc)
	return c, nil
}

// check reports whether the connection is still usable before it is
// reused. A receiver that closed or reset the connection while it sat
// idle (Logstash's client_inactivity_timeout, a load balancer's idle
// timeout, a Lambda environment frozen between invocations) shows up as
// EOF or ECONNRESET here, before a window is written into a dead socket.
// Neither receiver sends anything unprompted, so pending bytes are an
// error too, except TLS post-handshake messages (session tickets), which
// a short TLS read consumes.
func (c *conn) check() error {
	pending, err := peek(c.tcp)
	if err != nil || !pending {
		return err
	}
	if c.tls == nil {
		return errUnexpectedData
	}
	return expectSilence(c.tls, time.Millisecond)
}

var errUnexpectedData = errors.New("receiver sent unexpected data")

// expectSilence reads from tc for up to wait (which lets TLS consume any
// post-handshake message or alert) and expects nothing: application data
// is errUnexpectedData, an alert or a closed connection its error, and
// silence until the deadline nil.
func expectSilence(tc *tls.Conn, wait time.Duration) error {
	var b [1]byte
	tc.SetReadDeadline(time.Now().Add(wait))
	n, err := tc.Read(b[:])
	tc.SetReadDeadline(time.Time{})
	switch {
	case n > 0:
		return errUnexpectedData
	case isTimeout(err):
		return nil
	}
	return err
}

// withCertificateRequest returns a copy of cfg for one dial, a flag the
// handshake sets if the server asks for a client certificate, and a watch
// on the server's session tickets.
func withCertificateRequest(cfg *tls.Config) (*tls.Config, *bool, *ticketWatch) {
	cfg = cfg.Clone()
	requested := new(bool)
	certs := cfg.Certificates
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		*requested = true
		if len(certs) > 0 {
			return &certs[0], nil
		}
		return &tls.Certificate{}, nil // none: the server decides
	}
	tickets := new(ticketWatch)
	if cfg.ClientSessionCache == nil {
		cfg.ClientSessionCache = tickets
	}
	return cfg, requested, tickets
}

// clientCertWait bounds how long a dial waits for a TLS 1.3 receiver's
// verdict on the client certificate it asked for, when the receiver sends
// no session ticket to say it took it (see confirmTLS13).
const clientCertWait = time.Second

// confirmTLS13 waits for the receiver's verdict on the client certificate
// it asked for. In TLS 1.3 the client's handshake completes before the
// server has checked the client's certificate; a server that rejects it
// (or its absence) answers with an alert once it has checked, which may
// take a while (a CRL or OCSP lookup, a busy JVM). The tcp output never
// reads, so without this wait it would write a window into a connection
// the receiver has refused and count it written. A session ticket is the
// server's yes (servers send them once they accepted the client's
// Finished, certificate included: Go's and Java's do), and ends the wait
// at once; a server that sends none is taken at its silence after at most
// wait (and twice the handshake's duration, at least). Paid once per dial,
// only with client authentication.
func confirmTLS13(tc *tls.Conn, handshake, wait time.Duration, tickets *ticketWatch) error {
	if tc.ConnectionState().Version != tls.VersionTLS13 {
		return nil // before 1.3 the server's Finished already confirmed it
	}
	yes := func() { tc.SetReadDeadline(time.Now()) } // from within the Read below
	tickets.onTicket.Store(&yes)
	defer tickets.onTicket.Store(nil)
	return expectSilence(tc, max(2*handshake, wait))
}

// ticketWatch is a ClientSessionCache that keeps nothing: it only calls
// onTicket when the server sends a session ticket.
type ticketWatch struct{ onTicket atomic.Pointer[func()] }

func (*ticketWatch) Get(string) (*tls.ClientSessionState, bool) { return nil, false }

func (w *ticketWatch) Put(_ string, cs *tls.ClientSessionState) {
	if f := w.onTicket.Load(); f != nil && cs != nil {
		(*f)()
	}
}

// abort makes any blocked read or write on the connection return now, and
// every later one fail: it closes the TCP connection under the session.
// (A deadline in the past is not enough: go-lumber sets its own write and
// read deadlines after serializing a window and before each ACK read, which
// would replace it, and a receiver's keepalives would then hold the Send
// for ever.) The connection is unusable afterwards; closing it again, as
// discarding it does, is harmless.
func (c *conn) abort() { c.tcp.Close() }

func (c *conn) close() error { return c.nc.Close() }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// countingConn counts the bytes written through it.
type countingConn struct {
	net.Conn
	n *atomic.Uint64
}

func (c countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.n.Add(uint64(n))
	return n, err
}
