package output

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestTLS(t *testing.T) {
	pki := newPKI(t)
	other := newPKI(t)
	start := func(kind string, t *testing.T, cfg *tls.Config) (url string, l *ledger) {
		if kind == "beats" {
			r := startBeats(t, cfg, nil)
			return r.url("beats+tls"), r.ledger
		}
		r := startTCP(t, cfg)
		return r.url("tcp+tls"), r.ledger
	}
	for _, kind := range []string{"beats", "tcp"} {

		t.Run(kind+"/trusted", func(t *testing.T) {
			url, l := start(kind, t, pki.serverTLS(false))
			o := open(t, url, Config{TLS: TLSConfig{CAFile: pki.CAFile}})
			evs := events(t.Name(), 300)
			send(t, o, evs)
			l.waitAll(t, evs)
			// The second Send reuses the connection: TLS 1.3 session
			// tickets waiting unread are not mistaken for a dead peer.
			more := events(t.Name()+"-2", 300)
			send(t, o, more)
			l.waitAll(t, more)
			if st := o.Stats(); st.ConnectionsCreated != 1 {
				t.Errorf("stats = %+v, want one connection reused", st)
			}
		})

		t.Run(kind+"/client-certificate", func(t *testing.T) {
			url, l := start(kind, t, pki.serverTLS(true))
			o := open(t, url, Config{TLS: TLSConfig{CAFile: pki.CAFile, CertFile: pki.ClientCert, KeyFile: pki.ClientKey, ServerName: "localhost"}})
			evs := events(t.Name(), 10)
			send(t, o, evs)
			l.waitAll(t, evs)
		})

		t.Run(kind+"/wrong-CA", func(t *testing.T) {
			url, _ := start(kind, t, pki.serverTLS(false))
			o := open(t, url, Config{TLS: TLSConfig{CAFile: other.CAFile}})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := o.Send(ctx, events(t.Name(), 10))
			// Permanent: Send gives up at once instead of retrying until
			// the deadline.
			var unknown x509.UnknownAuthorityError
			if !errors.As(err, &unknown) || ctx.Err() != nil {
				t.Fatalf("err = %v, want an unknown authority error before the deadline", err)
			}
			if err := o.Connect(ctx); !errors.As(err, &unknown) {
				t.Errorf("Connect: %v, want an unknown authority error", err)
			}
		})

		t.Run(kind+"/wrong-name", func(t *testing.T) {
			url, _ := start(kind, t, pki.serverTLS(false))
			o := open(t, url, Config{TLS: TLSConfig{CAFile: pki.CAFile, ServerName: "logstash.example"}})
			var hostname x509.HostnameError
			if err := o.Send(t.Context(), events(t.Name(), 1)); !errors.As(err, &hostname) {
				t.Fatalf("err = %v, want a hostname error", err)
			}
		})

		t.Run(kind+"/insecure-skip-verify", func(t *testing.T) {
			url, l := start(kind, t, pki.serverTLS(false))
			o := open(t, url, Config{TLS: TLSConfig{InsecureSkipVerify: true}})
			evs := events(t.Name(), 10)
			send(t, o, evs)
			l.waitAll(t, evs)
		})
	}

	// A TLS 1.3 receiver rejects a missing client certificate only after
	// the client's handshake is done; the dial waits for that verdict, so
	// even tcp, which never reads, fails before writing anything.
	for _, kind := range []string{"beats", "tcp"} {
		t.Run(kind+"/client-certificate-missing", func(t *testing.T) {
			url, l := start(kind, t, pki.serverTLS(true))
			o := open(t, url, Config{TLS: TLSConfig{CAFile: pki.CAFile}})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := o.Send(ctx, events(t.Name(), 1))
			if !strings.Contains(fmt.Sprint(err), "certificate required") || ctx.Err() != nil {
				t.Fatalf("err = %v, want a TLS alert before the deadline", err)
			}
			if st := o.Stats(); st.EventsSent != 0 || l.total() != 0 {
				t.Errorf("stats = %+v, want nothing written", st)
			}
		})
	}

	// A receiver without TLS drops the handshake, as a restarting one
	// might: that is retried, and the error says what failed.
	t.Run("beats/tls-to-clear-text", func(t *testing.T) {
		r := startBeats(t, nil, nil)
		o := open(t, r.url("beats+tls"), Config{TLS: TLSConfig{CAFile: pki.CAFile}, MaxBackoff: 50 * time.Millisecond})
		// Long enough for several failed handshakes even on a loaded
		// machine: with one second, the first dial was sometimes still
		// in progress when the deadline cut it, and nothing had failed
		// for a reason worth reporting yet.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		err := o.Send(ctx, events(t.Name(), 1))
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "tls handshake") {
			t.Fatalf("err = %v, want the deadline after failed handshakes", err)
		}
	})
}
