package forward

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/elbstream/elbstream/forward/output"
)

// TestForwardFailsOnAnUntrustedCertificate: a receiver whose certificate
// the TLS configuration rejects fails the run at once, naming the cause,
// instead of being retried for as long as the process lives (which kept
// --drain from ever ending).
func TestForwardFailsOnAnUntrustedCertificate(t *testing.T) {
	srv := httptest.NewTLSServer(nil) // a certificate nobody here trusts
	certs := srv.TLS.Certificates
	srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tl := tls.NewListener(ln, &tls.Config{Certificates: certs})
	t.Cleanup(func() { tl.Close() })
	go func() {
		for {
			c, err := tl.Accept()
			if err != nil {
				return
			}
			go func() { c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()

	es := newEventsStream(t, 1, 3, 2)
	out := openOutput(t, "beats+tls://"+ln.Addr().String(), output.Config{})
	m := new(Metrics)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = es.run(ctx, out, Config{}, "c", true, m)
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) || ctx.Err() != nil {
		t.Fatalf("Run = %v (ctx %v), want the x509 error, before the context ends", err, ctx.Err())
	}
	if s := m.Snapshot(); s.Retries != 0 || s.EventsAcked != 0 {
		t.Errorf("metrics %+v: want no retry, nothing acknowledged", s)
	}
	if cps, err := es.store.List(context.Background(), "c"); err != nil || len(cps) != 0 && cps[0].Sequence != "" {
		t.Errorf("checkpoints %+v (%v) after nothing was delivered", cps, err)
	}
}
