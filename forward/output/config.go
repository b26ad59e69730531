package output

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Config tunes an Output. The zero value works.
type Config struct {
	// Connections bounds the pool of long-lived connections to the
	// receiver. Default: 2
	Connections int

	// WindowSize is the most events in one beats window (one ACK) or one
	// tcp write. Default: 2048
	WindowSize int

	// Timeout bounds each dial (connect and TLS handshake), each write, and
	// each wait for an ACK frame (beats keepalive ACKs, which Logstash sends
	// while its pipeline is busy, restart the wait). Default: 30s
	Timeout time.Duration

	// KeepAlive is the TCP keepalive idle time and probe interval.
	// Default: 15s
	KeepAlive time.Duration

	// IdleTimeout retires a connection that sat unused longer than this:
	// it is closed and redialed before use instead of trusted. A NAT or load
	// balancer may have dropped it silently (an AWS NAT gateway forgets a
	// flow after 350s), and a tcp write into such a connection is lost
	// without an error. Logstash's beats input closes idle clients after
	// 60s anyway. Negative: no limit. Default: 60s
	IdleTimeout time.Duration

	// MaxBackoff caps the jittered wait between redials. Default: 5s
	MaxBackoff time.Duration

	// Compression is the zlib level (0-9) of beats windows. Logstash's beats
	// input accepts compressed windows; Filebeat uses 3. Default: 0 (none)
	Compression int

	// TLS configures beats+tls:// and tcp+tls://. Setting it for another
	// scheme is an error, so a forgotten "+tls" cannot send in clear text.
	TLS TLSConfig

	// OnRetry, when set, is called before each wait between attempts with
	// the error that failed the attempt and the wait. It must not block.
	OnRetry func(err error, wait time.Duration)

	// Stdout is where the stdout output writes. Default: os.Stdout
	Stdout io.Writer
}

// TLSConfig is the TLS client configuration of the +tls schemes.
type TLSConfig struct {
	// CAFile is a PEM bundle of the certificate authorities that sign the
	// receiver's certificate. Default: the system roots.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and its key, for
	// receivers that verify clients (Logstash ssl_client_authentication).
	// Both or neither.
	CertFile, KeyFile string
	// ServerName is the name the receiver's certificate must carry.
	// Default: the host of the URL.
	ServerName string
	// InsecureSkipVerify accepts any certificate. Only for tests and
	// emergencies: it is never implied by another setting.
	InsecureSkipVerify bool
}

func (t TLSConfig) isZero() bool { return t == TLSConfig{} }

const (
	defaultConnections = 2
	defaultWindowSize  = 2048
	defaultTimeout     = 30 * time.Second
	defaultKeepAlive   = 15 * time.Second
	defaultMaxBackoff  = 5 * time.Second
	defaultIdleTimeout = 60 * time.Second

	// minBackoff is the wait before the first retry of a window; each
	// further retry doubles it, up to MaxBackoff, with jitter.
	minBackoff = 100 * time.Millisecond
)

func (c Config) withDefaults() (Config, error) {
	if c.Connections < 0 || c.WindowSize < 0 || c.Timeout < 0 || c.KeepAlive < 0 || c.MaxBackoff < 0 {
		return c, errors.New("output: negative setting in config")
	}
	if c.Compression < 0 || c.Compression > 9 {
		return c, fmt.Errorf("output: compression level %d not in 0-9", c.Compression)
	}
	if c.Connections == 0 {
		c.Connections = defaultConnections
	}
	if c.WindowSize == 0 {
		c.WindowSize = defaultWindowSize
	}
	if c.Timeout == 0 {
		c.Timeout = defaultTimeout
	}
	if c.KeepAlive == 0 {
		c.KeepAlive = defaultKeepAlive
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = defaultIdleTimeout
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = defaultMaxBackoff
	}
	if c.Stdout == nil {
		c.Stdout = os.Stdout
	}
	return c, nil
}

// clientConfig builds the crypto/tls configuration, reading the files now
// so that a wrong path fails Open rather than every dial.
func (t TLSConfig) clientConfig(host string) (*tls.Config, error) {
	if t.InsecureSkipVerify && t.CAFile != "" {
		// crypto/tls would ignore the CAs: the operator meant one or the other.
		return nil, errors.New("tls: a CA file and skipping verification contradict each other: the CA file would be ignored; give one")
	}
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify,
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls: read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls: CA file %s holds no PEM certificate", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, errors.New("tls: client certificate and key go together: set both or neither")
	}
	if t.CertFile != "" {
		cert, err := loadKeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// loadKeyPair loads the client certificate and key, with errors that name
// the files (tls.LoadX509KeyPair's say only what is wrong) and one that
// says so for an encrypted key, which it cannot read.
func loadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	if keyPEM, err := os.ReadFile(keyFile); err == nil {
		for rest := keyPEM; ; {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				break
			}
			if b.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED") {
				return tls.Certificate{}, fmt.Errorf("tls: client key %s is encrypted: decrypt it (openssl pkey -in %s -out KEY), an encrypted key cannot be used", keyFile, keyFile)
			}
		}
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls: load client certificate %s with key %s: %w", certFile, keyFile, err)
	}
	return cert, nil
}
