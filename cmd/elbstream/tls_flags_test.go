package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	lumber "github.com/elastic/go-lumber/server/v2"
)

// reviewSelfSigned is a self-signed ECDSA certificate for 127.0.0.1.
func reviewSelfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "review"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// --tls-insecure-skip-verify turns off server authentication: an operator
// expects the run to say so loudly (on stderr), not to look like a
// verified TLS run.
func TestTLSInsecureSkipVerifyIsWarned(t *testing.T) {
	dir := t.TempDir()
	ids := writeEvents(t, dir+"/events", 1, 5, 4)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// go-lumber's TLS option applies only to ListenAndServe: wrap ourselves.
	srv, err := lumber.NewWithListener(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{reviewSelfSigned(t)}}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	go func() {
		for b := range srv.ReceiveChan() {
			b.ACK()
		}
	}()
	code, _, stderr := runCLI(t, "forward", "--from", "local://"+dir+"/events", "--to", "beats+tls://"+ln.Addr().String(),
		"--tls-insecure-skip-verify", "--drain", "--checkpoints", "local://"+dir+"/cp.db")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "20 acknowledged") || len(ids) != 20 {
		t.Fatalf("not delivered:\n%s", stderr)
	}
	low := strings.ToLower(stderr)
	if !strings.Contains(low, "insecure") && !strings.Contains(low, "not verified") && !strings.Contains(low, "skip-verify") {
		t.Errorf("no warning that the receiver's certificate is not verified; stderr:\n%s", stderr)
	}
}
