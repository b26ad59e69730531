package output

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// issueCert signs a server certificate with p's CA, valid from nb to na.
func issueCert(t *testing.T, p *testPKI, tmpl *x509.Certificate, nb, na time.Time) tls.Certificate {
	t.Helper()
	key := newKey(t)
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	tmpl.NotBefore, tmpl.NotAfter = nb, na
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	if tmpl.ExtKeyUsage == nil {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func localhostTemplate() *x509.Certificate {
	return &x509.Certificate{
		Subject:     pkix.Name{CommonName: "localhost"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
}

// startTLSReceiver starts a TLS receiver of kind with cfg and returns its +tls URL.
func startTLSReceiver(t *testing.T, kind string, cfg *tls.Config) (string, *ledger, *trackingListener) {
	if kind == "beats" {
		r := startBeats(t, cfg, nil)
		return r.url("beats+tls"), r.ledger, r.ln
	}
	r := startTCP(t, cfg)
	return r.url("tcp+tls"), r.ledger, r.ln
}

// permanentFast sends one event and wants a permanent error, at once (well
// before ctx's 10s), matching want.
func permanentFast(t *testing.T, o Output, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	err := o.Send(ctx, events(t.Name(), 1))
	if err == nil || ctx.Err() != nil || !Permanent(err) || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %v (permanent %v), want a permanent error at once", err, time.Since(start), Permanent(err))
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want it to say %q", err, want)
	}
}

// Server certificates the configuration must reject, for both schemes.
func TestTLSServerCertificateRejected(t *testing.T) {
	pki := newPKI(t)
	now := time.Now()
	for _, kind := range []string{"beats", "tcp"} {
		t.Run(kind+"/expired", func(t *testing.T) {
			c := issueCert(t, pki, localhostTemplate(), now.Add(-2*time.Hour), now.Add(-time.Hour))
			url, _, _ := startTLSReceiver(t, kind, &tls.Config{Certificates: []tls.Certificate{c}})
			permanentFast(t, open(t, url, Config{TLS: TLSConfig{CAFile: pki.CAFile}}), "expired")
		})
		t.Run(kind+"/not-yet-valid", func(t *testing.T) {
			c := issueCert(t, pki, localhostTemplate(), now.Add(time.Hour), now.Add(2*time.Hour))
			url, _, _ := startTLSReceiver(t, kind, &tls.Config{Certificates: []tls.Certificate{c}})
			permanentFast(t, open(t, url, Config{TLS: TLSConfig{CAFile: pki.CAFile}}), "not yet valid")
		})
		t.Run(kind+"/no-IP-SAN", func(t *testing.T) {
			c := issueCert(t, pki, &x509.Certificate{Subject: pkix.Name{CommonName: "127.0.0.1"}, DNSNames: []string{"localhost"}}, now.Add(-time.Hour), now.Add(time.Hour))
			url, _, _ := startTLSReceiver(t, kind, &tls.Config{Certificates: []tls.Certificate{c}})
			permanentFast(t, open(t, url, Config{TLS: TLSConfig{CAFile: pki.CAFile}}), "127.0.0.1")
		})
		t.Run(kind+"/self-signed-without-CA", func(t *testing.T) {
			// The receiver's certificate is its own CA: without --tls-ca
			// the system pool does not know it.
			url, _, _ := startTLSReceiver(t, kind, pki.serverTLS(false))
			permanentFast(t, open(t, url, Config{TLS: TLSConfig{}}), "unknown authority")
		})
		t.Run(kind+"/client-auth-tls12-missing", func(t *testing.T) {
			cfg := pki.serverTLS(true)
			cfg.MaxVersion = tls.VersionTLS12
			url, l, _ := startTLSReceiver(t, kind, cfg)
			o := open(t, url, Config{TLS: TLSConfig{CAFile: pki.CAFile}})
			permanentFast(t, o, "remote error")
			if l.total() != 0 {
				t.Errorf("events arrived")
			}
		})
		t.Run(kind+"/client-cert-from-other-CA", func(t *testing.T) {
			other := newPKI(t)
			url, l, _ := startTLSReceiver(t, kind, pki.serverTLS(true))
			o := open(t, url, Config{TLS: TLSConfig{CAFile: pki.CAFile, CertFile: other.ClientCert, KeyFile: other.ClientKey}})
			permanentFast(t, o, "remote error")
			if l.total() != 0 || o.Stats().EventsSent != 0 {
				t.Errorf("events sent: %+v", o.Stats())
			}
		})
		t.Run(kind+"/tls11-only-server", func(t *testing.T) {
			cfg := pki.serverTLS(false)
			cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
			url, _, _ := startTLSReceiver(t, kind, cfg)
			permanentFast(t, open(t, url, Config{TLS: TLSConfig{CAFile: pki.CAFile}}), "protocol version")
		})
		t.Run(kind+"/rc4-only-server", func(t *testing.T) {
			cfg := pki.serverTLS(false)
			cfg.MaxVersion = tls.VersionTLS12
			cfg.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA}
			url, _, _ := startTLSReceiver(t, kind, cfg)
			permanentFast(t, open(t, url, Config{TLS: TLSConfig{CAFile: pki.CAFile}}), "handshake failure")
		})
	}
}

// What the client offers: TLS 1.2 at least, no broken ciphers, SNI is the
// --tls-server-name, and no SNI for an IP.
func TestTLSClientHello(t *testing.T) {
	pki := newPKI(t)
	var mu sync.Mutex
	var hellos []*tls.ClientHelloInfo
	cfg := &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		mu.Lock()
		hellos = append(hellos, h)
		mu.Unlock()
		return nil, nil
	}}
	named := issueCert(t, pki, &x509.Certificate{DNSNames: []string{"logstash.internal"}}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	cfg.Certificates = []tls.Certificate{named}
	url, l, _ := startTLSReceiver(t, "beats", cfg)
	o := open(t, url, Config{TLS: TLSConfig{CAFile: pki.CAFile, ServerName: "logstash.internal"}})
	evs := events(t.Name(), 3)
	send(t, o, evs)
	l.waitAll(t, evs)
	mu.Lock()
	h := hellos[0]
	mu.Unlock()
	if h.ServerName != "logstash.internal" {
		t.Errorf("SNI = %q, want logstash.internal", h.ServerName)
	}
	for _, v := range h.SupportedVersions {
		if v < tls.VersionTLS12 {
			t.Errorf("offers TLS version %x", v)
		}
	}
	for _, c := range h.CipherSuites {
		for _, bad := range tls.InsecureCipherSuites() {
			if c == bad.ID {
				t.Errorf("offers insecure cipher %s", bad.Name)
			}
		}
	}
	// Without --tls-server-name against a cert for the name only: the IP
	// URL fails the name check, and no SNI carries the IP.
	o2 := open(t, url, Config{TLS: TLSConfig{CAFile: pki.CAFile}})
	permanentFast(t, o2, "127.0.0.1")
	mu.Lock()
	defer mu.Unlock()
	if last := hellos[len(hellos)-1]; last.ServerName != "" {
		t.Errorf("SNI %q sent for an IP", last.ServerName)
	}
}

// The receiver's certificate is rotated (same CA) during a long run and
// its connections are dropped: the redial verifies the new certificate and
// delivery goes on. Then the receiver moves to another CA: Send fails at
// once with the unknown-authority error.
func TestTLSServerCertificateRotation(t *testing.T) {
	for _, kind := range []string{"beats", "tcp"} {
		t.Run(kind, func(t *testing.T) {
			pki := newPKI(t)
			var cur atomic.Pointer[tls.Certificate]
			first := pki.server
			cur.Store(&first)
			cfg := &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return cur.Load(), nil }}
			url, l, ln := startTLSReceiver(t, kind, cfg)
			o := open(t, url, Config{Connections: 1, TLS: TLSConfig{CAFile: pki.CAFile}, MaxBackoff: 50 * time.Millisecond})
			a := events(t.Name()+"-a", 50)
			send(t, o, a)
			l.waitAll(t, a)

			rotated := issueCert(t, pki, localhostTemplate(), time.Now().Add(-time.Minute), time.Now().Add(time.Hour))
			cur.Store(&rotated)
			ln.reset(false)
			time.Sleep(20 * time.Millisecond)
			b := events(t.Name()+"-b", 50)
			send(t, o, b)
			l.waitAll(t, b)
			if st := o.Stats(); st.ConnectionsCreated != 2 {
				t.Errorf("stats %+v, want one redial", st)
			}

			other := newPKI(t)
			cur.Store(&other.server)
			ln.reset(false)
			time.Sleep(20 * time.Millisecond)
			permanentFast(t, o, "unknown authority")
		})
	}
}

// A receiver that accepts TCP and never answers the ClientHello (a
// Logstash tcp input without ssl reads it as a line): each dial is bounded
// by Timeout, and the retry names the TLS handshake.
func TestTLSHandshakeNeverCompletes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
			go io.Copy(io.Discard, c)
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	for _, scheme := range []string{"beats+tls", "tcp+tls"} {
		t.Run(scheme, func(t *testing.T) {
			retried := make(chan error, 10)
			o := open(t, scheme+"://"+ln.Addr().String(), Config{Timeout: 500 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
				TLS: TLSConfig{InsecureSkipVerify: true},
				OnRetry: func(err error, _ time.Duration) {
					select {
					case retried <- err:
					default:
					}
				}})
			start := time.Now()
			if err := o.Connect(context.Background()); err == nil || !strings.Contains(err.Error(), "tls handshake") || time.Since(start) > 3*time.Second {
				t.Errorf("Connect = %v after %v, want a handshake error bounded by Timeout", err, time.Since(start))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			go o.Send(ctx, events(t.Name(), 1))
			select {
			case err := <-retried:
				if !strings.Contains(err.Error(), "tls handshake") {
					t.Errorf("retry error %v does not name the handshake", err)
				}
			case <-time.After(3 * time.Second):
				t.Fatal("no retry within 3s: the dial is not bounded by Timeout")
			}
		})
	}
}

// A plain-TCP peer that answers with something that is not TLS (an HTTP
// server, say): a clear, permanent error.
func TestTLSToNonTLSPeer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.Read(make([]byte, 512))
				c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			}()
		}
	}()
	o := open(t, "tcp+tls://"+ln.Addr().String(), Config{TLS: TLSConfig{InsecureSkipVerify: true}})
	permanentFast(t, o, "does not look like a TLS handshake")
}

// The TLS receiver closes the connection between windows (close_notify,
// then FIN; and an RST): the next Send redials and nothing is lost.
func TestTLSClosedBetweenWindows(t *testing.T) {
	pki := newPKI(t)
	for _, kind := range []string{"beats", "tcp"} {
		for _, rst := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/rst=%v", kind, rst), func(t *testing.T) {
				url, l, ln := startTLSReceiver(t, kind, pki.serverTLS(false))
				o := open(t, url, Config{Connections: 1, TLS: TLSConfig{CAFile: pki.CAFile}})
				var all [][]byte
				for i := range 4 {
					evs := events(fmt.Sprintf("%s-%d", t.Name(), i), 20)
					all = append(all, evs...)
					send(t, o, evs)
					l.waitAll(t, evs)
					ln.reset(rst)
					time.Sleep(30 * time.Millisecond)
				}
				l.waitAll(t, all)
				if st := o.Stats(); st.ConnectionsCreated != 4 || st.Failures != 0 {
					t.Errorf("stats %+v, want a quiet redial before each Send", st)
				}
			})
		}
	}
}

// Client certificate and key files that cannot be used fail Open, and the
// error names the file at fault, so the operator knows which flag to fix.
func TestTLSClientKeyErrorsNameTheFile(t *testing.T) {
	pki := newPKI(t)
	other := newPKI(t)
	dir := t.TempDir()

	// An encrypted (passphrase-protected) key, as openssl writes it.
	keyPEM, err := os.ReadFile(pki.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(keyPEM)
	//lint:ignore SA1019 the legacy format is what "openssl ... -des3" style tools produce
	enc, err := x509.EncryptPEMBlock(rand.Reader, "EC PRIVATE KEY", blk.Bytes, []byte("secret"), x509.PEMCipherAES256)
	if err != nil {
		t.Fatal(err)
	}
	encrypted := filepath.Join(dir, "encrypted-key.pem")
	if err := os.WriteFile(encrypted, pem.EncodeToMemory(enc), 0o600); err != nil {
		t.Fatal(err)
	}
	// PKCS#8 "ENCRYPTED PRIVATE KEY" (openssl pkcs8 -topk8 with a passphrase).
	pkcs8 := writePEM(t, dir, "pkcs8-encrypted.pem", "ENCRYPTED PRIVATE KEY", []byte("\x30\x03\x02\x01\x00"))

	cases := []struct {
		name, cert, key, want string
	}{
		{"missing-key", pki.ClientCert, filepath.Join(dir, "nope.pem"), filepath.Join(dir, "nope.pem")},
		{"missing-cert", filepath.Join(dir, "nope-cert.pem"), pki.ClientKey, filepath.Join(dir, "nope-cert.pem")},
		{"mismatched-pair", pki.ClientCert, other.ClientKey, other.ClientKey},
		{"encrypted-key", pki.ClientCert, encrypted, encrypted},
		{"pkcs8-encrypted-key", pki.ClientCert, pkcs8, pkcs8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Open("beats+tls://127.0.0.1:5044", Config{TLS: TLSConfig{CAFile: pki.CAFile, CertFile: c.cert, KeyFile: c.key}})
			if err == nil {
				t.Fatal("Open accepted an unusable client certificate")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %q, want it to name %s", err, c.want)
			}
			if strings.Contains(c.name, "encrypted") && !strings.Contains(strings.ToLower(err.Error()), "encrypt") {
				t.Errorf("err = %q, want it to say the key is encrypted", err)
			}
			if strings.Contains(err.Error(), "PRIVATE KEY") || strings.Contains(err.Error(), "BEGIN") {
				t.Errorf("err = %q shows key material", err)
			}
		})
	}
}

// A URL with credentials is refused; the refusal must not print the
// password into logs (Lambda's ELBSTREAM_TO ends up in CloudWatch).
func TestTLSURLPasswordNotEchoed(t *testing.T) {
	_, err := Open("beats+tls://elastic:hunter2pass@logstash.internal:5044", Config{})
	if err == nil {
		t.Fatal("Open accepted credentials in the URL")
	}
	if strings.Contains(err.Error(), "hunter2pass") {
		t.Errorf("err = %q prints the password", err)
	}
}

// A TLS 1.3 receiver that takes a moment to check the client certificate
// (CRL/OCSP lookups, a busy JVM) and then refuses it: the README says a
// TLS alert from the receiver fails forward at once. The tcp output must
// not report the window as written into a connection the receiver refused.
func TestTLSTCPSlowClientCertRejection(t *testing.T) {
	pki := newPKI(t)
	cfg := pki.serverTLS(true)
	cfg.VerifyPeerCertificate = func([][]byte, [][]*x509.Certificate) error {
		time.Sleep(300 * time.Millisecond)
		return errors.New("client certificate revoked")
	}
	url, l, _ := startTLSReceiver(t, "tcp", cfg)
	o := open(t, url, Config{TLS: TLSConfig{CAFile: pki.CAFile, CertFile: pki.ClientCert, KeyFile: pki.ClientKey}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	evs := events(t.Name(), 10)
	err := o.Send(ctx, evs)
	time.Sleep(500 * time.Millisecond)
	if err == nil {
		t.Fatalf("Send = nil (written: %d events counted, %d arrived): the window went into a connection the receiver refused", o.Stats().EventsAcked, l.total())
	}
	if !Permanent(err) {
		t.Errorf("err = %v, want the receiver's TLS alert", err)
	}
}

// TestTLSSkipVerifyWithCAIsRefused: a CA file beside skipping verification
// would be ignored in silence by crypto/tls; Open refuses the pair.
func TestTLSSkipVerifyWithCAIsRefused(t *testing.T) {
	pki := newPKI(t)
	_, err := Open("beats+tls://127.0.0.1:5044", Config{TLS: TLSConfig{CAFile: pki.CAFile, InsecureSkipVerify: true}})
	if err == nil || !strings.Contains(err.Error(), "contradict") {
		t.Errorf("Open = %v, want the CA file and skip-verify refused together", err)
	}
}
